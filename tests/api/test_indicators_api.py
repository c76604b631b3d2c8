"""``GET /api/indicators`` and ``/api/indicators.csv``: who may read them, the checks of the
question, and the « < 5 » rule: a member or an organisation admin never reads a count below
five, a coordinator does on relais's API but never in the CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import Role
from services.indicators.catalogue import INDICATORS
from services.indicators.model import SMALL_COUNT, Unit
from tests.factories import World, auth_headers, make_user
from tests.services.indicator_year import PARIS, build_year

YEAR_2026 = {"start": "2026-01-01", "end": "2026-12-31"}
PEOPLE = {key for key, indicator in INDICATORS.items() if indicator.unit is Unit.PEOPLE}
ABOUT_PEOPLE = {key for key, indicator in INDICATORS.items() if indicator.may_point_at_people}
"""Meetings, decisions and action items (``Unit.COUNT``) are about no person: never masked."""


async def get(
    client: httpx.AsyncClient, headers: dict[str, str], path: str = "/api/indicators", **params: Any
) -> httpx.Response:
    return await client.get(path, params=params, headers=headers)


async def test_a_coordinator_reads_the_definitions_and_this_years_figures_to_date(
    client: httpx.AsyncClient, world: World, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 5, 20, 15, tzinfo=PARIS))
    response = await get(client, await auth_headers(world.coordinator))
    assert response.status_code == 200
    body = response.json()
    assert body["result"]["start"] == "2026-01-01"
    assert body["result"]["end"] == "2026-05-20"
    assert body["comparison"]["start"] == "2025-01-01"
    assert body["comparison"]["end"] == "2025-05-20"
    assert body["paris"] is None
    assert body["exact"] is True
    assert body["result"]["scope_label"] == "Tout Paris"
    keys = {definition["key"] for definition in body["definitions"]}
    assert keys == set(INDICATORS)
    sent = next(d for d in body["definitions"] if d["key"] == "referrals_sent")
    assert sent["name"] == "Orientations envoyées"
    assert "première transmission" in sent["definition"]
    assert sent["unit"] == "people"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-03-01", "end": "2026-02-28"}, "end"),
        ({"start": "2020-01-01", "end": "2026-01-02"}, "end"),
        ({"group_by": "barrier"}, "group_by"),
        ({"public": "aah"}, "public"),
        ({"public": "rqth"}, "public"),
        ({"start": "2026-02-30"}, "start"),
        ({"offer_id": "0"}, "offer_id"),
        # A number is not a day (pydantic would read it as a Unix timestamp: 1 January 1970).
        ({"end": "0"}, "end"),
        ({"start": "1899-12-31"}, "start"),
    ],
)
async def test_a_bad_question_is_a_422_naming_the_field(
    client: httpx.AsyncClient, world: World, params: dict[str, str], field: str
) -> None:
    headers = await auth_headers(world.coordinator)
    for path in ("/api/indicators", "/api/indicators.csv"):
        response = await get(client, headers, path, **params)
        assert response.status_code == 422, (path, params)
        assert field in response.text


async def test_five_years_exactly_is_allowed(client: httpx.AsyncClient, world: World) -> None:
    headers = await auth_headers(world.coordinator)
    response = await get(client, headers, start="2021-01-01", end="2026-01-01")
    assert response.status_code == 200


@pytest.mark.parametrize("role", [Role.SECRETARY, Role.ADMIN])
async def test_the_secretariat_and_the_admins_may_not_read_indicators(
    client: httpx.AsyncClient, world: World, session: AsyncSession, role: Role, clock: FixedClock
) -> None:
    user = await make_user(session, world.coordination, clock.now(), role=role)
    for path in ("/api/indicators", "/api/indicators.csv"):
        response = await get(client, await auth_headers(user), path)
        assert response.status_code == 403
        assert "indicateurs" in response.json()["detail"]


async def test_without_signing_in_nothing_is_read(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/indicators")).status_code == 401


def _json_figures(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        figure
        for block in ("result", "comparison", "paris")
        if body[block] is not None
        for figure in body[block]["figures"]
    ]


def _assert_no_small_count_in_json(body: dict[str, Any]) -> int:
    """No count of people, and no basis, below five; returns how many were masked."""
    masked = 0
    for figure in _json_figures(body):
        if figure["masked"]:
            masked += 1
            assert (figure["value"], figure["basis"], figure["shown"]) == (None, None, "< 5")
            continue
        if figure["indicator"] not in ABOUT_PEOPLE:
            continue
        assert figure["basis"] >= SMALL_COUNT, figure
        if figure["indicator"] in PEOPLE:
            assert figure["value"] >= SMALL_COUNT, figure
            assert int(figure["shown"].replace("\u202f", "")) >= SMALL_COUNT
    return masked


def _csv_rows(response: httpx.Response) -> list[dict[str, str]]:
    assert response.headers["content-type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def _assert_no_small_count_in_csv(rows: list[dict[str, str]]) -> None:
    for row in rows:
        if row["Clé"] not in ABOUT_PEOPLE:
            continue
        basis = row["Nombre de cas (base)"]
        assert basis == "< 5" or int(basis) >= SMALL_COUNT, row
        if row["Clé"] in PEOPLE:
            assert row["Valeur"] == "< 5" or int(row["Valeur"]) >= SMALL_COUNT, row


async def test_no_output_shows_a_member_or_an_org_admin_a_count_below_five(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    world: World,
    clock: FixedClock,
) -> None:
    await build_year(session, sessionmaker, world)
    org_admin = await make_user(session, world.receiver, clock.now(), role=Role.ORG_ADMIN)
    for user in (world.referrer, world.receiver_member, org_admin):
        headers = await auth_headers(user)
        for group_by in (None, "sub_axis", "month"):
            params = {**YEAR_2026, **({"group_by": group_by} if group_by else {})}
            response = await get(client, headers, **params)
            assert response.status_code == 200
            body = response.json()
            assert body["exact"] is False
            assert body["paris"] is not None
            assert _assert_no_small_count_in_json(body) > 0
            csv_response = await get(client, headers, "/api/indicators.csv", **params)
            _assert_no_small_count_in_csv(_csv_rows(csv_response))
    body = (await get(client, await auth_headers(org_admin), **YEAR_2026)).json()
    assert body["result"]["scope_label"] == "EPI Paris Centre"
    received = next(f for f in body["result"]["figures"] if f["indicator"] == "referrals_received")
    assert (received["value"], received["shown"]) == (5, "5")
    paris_sent = next(f for f in body["paris"]["figures"] if f["indicator"] == "referrals_sent")
    assert paris_sent["value"] == 8


async def test_a_coordinator_reads_small_counts_exactly_but_never_in_the_csv(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    world: World,
) -> None:
    await build_year(session, sessionmaker, world)
    headers = await auth_headers(world.coordinator)
    body = (await get(client, headers, **YEAR_2026)).json()
    accepted = next(f for f in body["result"]["figures"] if f["indicator"] == "referrals_accepted")
    assert accepted["detail"] is None
    assert (accepted["value"], accepted["shown"], accepted["masked"]) == (3, "3", False)
    rows = _csv_rows(await get(client, headers, "/api/indicators.csv", **YEAR_2026))
    row = next(r for r in rows if r["Clé"] == "referrals_accepted" and r["Groupe"] == "Ensemble")
    assert row["Valeur"] == "< 5"
    assert row["Indicateur"] == "Orientations acceptées"
    _assert_no_small_count_in_csv(rows)
    sent = next(
        r for r in rows if r["Clé"] == "referrals_sent" and r["Période"].startswith("du 01/01/2026")
    )
    assert sent["Valeur"] == "8"


async def test_filters_and_grouping_not_applying_are_said(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    world: World,
) -> None:
    year = await build_year(session, sessionmaker, world)
    headers = await auth_headers(world.coordinator)
    body = (
        await get(client, headers, **YEAR_2026, offer_id=str(year.offer_a.id), group_by="month")
    ).json()
    left_out = {item["indicator"]: item["reason"] for item in body["result"]["left_out"]}
    assert "handovers_proposed" in left_out
    assert "offre" in left_out["handovers_proposed"]
    sent = [f for f in body["result"]["figures"] if f["indicator"] == "referrals_sent"]
    assert [(f["group"], f["value"]) for f in sent] == [(None, 5), ("2026-03", 5)]
