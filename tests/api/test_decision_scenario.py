"""Acceptance point 3 of issue 4, through the API: a decision's whole life and its follow-up.

A Mission locale proposal is scheduled on a comité technique meeting, adjourned there,
rescheduled on the next meeting, approved with two action items and published with the
minutes. One action item is not done by its due date: once its escalation time (due date + 5
business days) has passed it is in the overdue list and the coordinators' digest. The year's
action plan lists the approved action plan decisions by axis, as JSON and as CSV.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import PlanAxis, Role
from core.models import OutboxMessage
from services.overdue import overdue_cases
from states.registry import LIFECYCLES
from tests.factories import World, actor_of, auth_headers, make_user
from workflows.digest import send_digests

PARIS = ZoneInfo("Europe/Paris")
Json = dict[str, Any]


def paris(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """An instant given by its wall-clock time in Paris."""
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


ACTION_PLAN_CSV = [
    [
        "axis",
        "axis_label",
        "decision_reference",
        "decision_title",
        "decided_at",
        "action_reference",
        "action_title",
        "owner",
        "due_on",
        "state",
        "overdue",
    ],
    [
        "1.1",
        PlanAxis.A1_1.label,
        "DC-2026-000002",
        "Observatoire partagé des publics",
        "2026-04-07",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "3.3",
        "Articuler les accompagnements pour un parcours sans rupture",
        "DC-2026-000001",
        "Fiche de liaison commune",
        "2026-04-07",
        "AC-2026-000001",
        "Diffuser la fiche de liaison aux EPI",
        "EPI Paris Centre",
        "2026-05-15",
        "à faire",
        "oui",
    ],
    [
        "3.3",
        "Articuler les accompagnements pour un parcours sans rupture",
        "DC-2026-000001",
        "Fiche de liaison commune",
        "2026-04-07",
        "AC-2026-000002",
        "Former les conseillers",
        "Mission locale de Paris",
        "2026-06-30",
        "à faire",
        "non",
    ],
]
"""The 2026 action plan as CSV rows: a header, then one row per decision and action item."""


class Api:
    """The scenario's callers, each with their token."""

    def __init__(self, client: httpx.AsyncClient, headers: dict[str, dict[str, str]]) -> None:
        self.client = client
        self.headers = headers

    async def call(self, who: str, method: str, path: str, expected: int, body: Any = None) -> Any:
        """Send a request as ``who`` and check its status; the JSON answer."""
        answer = await self.client.request(method, path, json=body, headers=self.headers[who])
        assert answer.status_code == expected, answer.text
        return answer.json()


async def test_decision_scenario(
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    api = await _callers(client, session, world, clock)
    committee, first, second = await _committee_and_meetings(api, world)
    liaison, observatory, forum = await _propose_three_decisions(api, committee)
    path = f"/api/decisions/{liaison['id']}"
    await _adjourn_then_reschedule(api, clock, path, first, second, [liaison, observatory, forum])
    spread, train = await _approve_with_two_actions(api, clock, world, path, observatory, forum)
    assert (spread["state"], spread["decision"]["id"]) == ("open", liaison["id"])
    await _publish_with_the_minutes(api, path, second)

    await _check_minutes(client, api.headers["epi"], first["id"], second["id"])
    await _check_overdue(api, sessionmaker, clock, world, spread)
    await _check_action_plan(api, spread, train, liaison, observatory)
    await _check_action_plan_csv(api, client)

    # Done: it leaves the overdue list.
    await api.call("epi", "POST", f"/api/actions/{spread['id']}/done", 200, {"note": "Diffusée."})
    overdue = await api.call("coordinator", "GET", "/api/overdue", 200)
    assert overdue["total"] == 0


async def _callers(
    client: httpx.AsyncClient, session: AsyncSession, world: World, clock: FixedClock
) -> Api:
    """A secretary joins the world; the secretary, both partners and the coordinator sign in."""
    secretary = await make_user(session, world.coordination, clock.now(), role=Role.SECRETARY)
    return Api(
        client,
        {
            "secretary": await auth_headers(secretary),
            "ml": await auth_headers(world.referrer),
            "epi": await auth_headers(world.receiver_member),
            "coordinator": await auth_headers(world.coordinator),
        },
    )


async def _committee_and_meetings(api: Api, world: World) -> tuple[Json, Json, Json]:
    """The secretary creates the comité technique and its March and April meetings."""
    committee = await api.call(
        "secretary",
        "POST",
        "/api/committees",
        201,
        {
            "name": "Comité technique du PPIE",
            "kind": "technique",
            "member_organisation_ids": [world.sender.id, world.receiver.id, world.coordination.id],
        },
    )
    first = await api.call(
        "secretary",
        "POST",
        "/api/meetings",
        201,
        {
            "committee_id": committee["id"],
            "starts_at": "2026-03-10T14:00:00+01:00",
            "place": "EPEC, 5 rue de Lobau",
            "agenda": "1. Fiche de liaison commune",
        },
    )
    second = await api.call(
        "secretary",
        "POST",
        "/api/meetings",
        201,
        {
            "committee_id": committee["id"],
            "starts_at": "2026-04-07T14:00:00+02:00",
            "place": "Hôtel de Ville",
            "agenda": "1. Fiche de liaison commune\n2. Observatoire\n3. Forum",
        },
    )
    return committee, first, second


async def _propose_three_decisions(api: Api, committee: Json) -> tuple[Json, Json, Json]:
    """The Mission locale proposes the liaison form, the EPI an observatory and a forum."""

    def proposal(title: str, axis: str) -> dict[str, Any]:
        return {
            "committee_id": committee["id"],
            "title": title,
            "description": f"{title} : proposition détaillée.",
            "kind": "action_plan",
            "axis": axis,
        }

    liaison = await api.call(
        "ml", "POST", "/api/decisions", 201, proposal("Fiche de liaison commune", "3.3")
    )
    observatory = await api.call(
        "epi", "POST", "/api/decisions", 201, proposal("Observatoire partagé des publics", "1.1")
    )
    forum = await api.call("epi", "POST", "/api/decisions", 201, proposal("Forum annuel", "2.1"))
    assert liaison["reference"] == "DC-2026-000001"
    return liaison, observatory, forum


async def _adjourn_then_reschedule(
    api: Api, clock: FixedClock, path: str, first: Json, second: Json, items: list[Json]
) -> None:
    """The liaison form is adjourned at the first meeting; all three go on the second."""
    # Scheduled on the first meeting; nothing can be recorded before it is held.
    scheduled = await api.call(
        "secretary", "POST", f"{path}/schedule", 200, {"meeting_id": first["id"]}
    )
    assert (scheduled["state"], scheduled["meeting"]["id"]) == ("scheduled", first["id"])
    assert scheduled["meeting_at"] == "2026-03-10T13:00:00Z"
    await api.call("secretary", "POST", f"{path}/approve", 409, {})

    # The first meeting adjourns it.
    clock.set(paris(2026, 3, 10, 17, 0))
    adjourned = await api.call(
        "secretary", "POST", f"{path}/adjourn", 200, {"decision_text": "Chiffrage à compléter."}
    )
    assert (adjourned["state"], adjourned["meeting"]) == ("adjourned", None)
    assert adjourned["allowed_actions"] == ["schedule"]
    await api.call(
        "secretary", "PATCH", f"/api/meetings/{first['id']}", 200, {"minutes": "Ajourné."}
    )
    # Not back on a meeting already held, but on the next one.
    await api.call("secretary", "POST", f"{path}/schedule", 422, {"meeting_id": first["id"]})
    for item in items:
        await api.call(
            "secretary",
            "POST",
            f"/api/decisions/{item['id']}/schedule",
            200,
            {"meeting_id": second["id"]},
        )


async def _approve_with_two_actions(
    api: Api, clock: FixedClock, world: World, path: str, observatory: Json, forum: Json
) -> tuple[Json, Json]:
    """The second meeting approves the liaison form and the observatory, rejects the forum
    (which then takes no action item) and gives the liaison form two action items."""
    clock.set(paris(2026, 4, 7, 17, 30))
    approved = await api.call(
        "secretary", "POST", f"{path}/approve", 200, {"decision_text": "Adoptée à l'unanimité."}
    )
    assert approved["outcome"] == "approved"
    assert approved["decided_at"] == "2026-04-07T15:30:00Z"
    await api.call("secretary", "POST", f"/api/decisions/{observatory['id']}/approve", 200, {})
    await api.call("secretary", "POST", f"/api/decisions/{forum['id']}/reject", 200, {})
    await api.call(
        "secretary",
        "POST",
        f"/api/decisions/{forum['id']}/actions",
        409,
        {"owner_organisation_id": world.receiver.id, "title": "Rien", "due_on": "2026-06-01"},
    )
    spread = await api.call(
        "secretary",
        "POST",
        f"{path}/actions",
        201,
        {
            "owner_organisation_id": world.receiver.id,
            "title": "Diffuser la fiche de liaison aux EPI",
            "due_on": "2026-05-15",
        },
    )
    train = await api.call(
        "secretary",
        "POST",
        f"{path}/actions",
        201,
        {
            "owner_organisation_id": world.sender.id,
            "title": "Former les conseillers",
            "due_on": "2026-06-30",
        },
    )
    assert (spread["reference"], train["reference"]) == ("AC-2026-000001", "AC-2026-000002")
    assert spread["due_at"] == "2026-05-14T22:00:00Z"
    return spread, train


async def _publish_with_the_minutes(api: Api, path: str, second: Json) -> None:
    """Published with the minutes of the second meeting, which must exist first."""
    await api.call("secretary", "POST", f"{path}/publish", 409)
    await api.call(
        "secretary", "PATCH", f"/api/meetings/{second['id']}", 200, {"minutes": "Relevé."}
    )
    published = await api.call("secretary", "POST", f"{path}/publish", 200)
    assert (published["state"], published["outcome"]) == ("published", "approved")
    assert [event["trigger"] for event in published["events"]] == [
        "propose",
        "schedule",
        "adjourn",
        "schedule",
        "approve",
        "publish",
    ]


async def _check_minutes(
    client: httpx.AsyncClient, headers: dict[str, str], first_id: int, second_id: int
) -> None:
    """The minutes of both meetings record the adjournment, the decisions and the actions."""
    first = (await client.get(f"/api/meetings/{first_id}/minutes.html", headers=headers)).text
    assert "DC-2026-000001 – Fiche de liaison commune" in first
    assert "Ajournée" in first and "Chiffrage à compléter." in first
    assert "AC-2026-000001" not in first
    second = (await client.get(f"/api/meetings/{second_id}/minutes.html", headers=headers)).text
    for text in (
        "Adoptée",
        "publiée",
        "Adoptée à l&#39;unanimité.",
        "Rejetée",
        "DC-2026-000003 – Forum annuel",
        "AC-2026-000001 – Diffuser la fiche de liaison aux EPI",
        "AC-2026-000002 – Former les conseillers",
        "vendredi 15 mai 2026",
        "Relevé.",
    ):
        assert text in second, text


async def _check_overdue(
    api: Api,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    world: World,
    spread: dict[str, Any],
) -> None:
    """Past its escalation time the undone action item is overdue and in the digest."""
    # Due Friday 15 May; five business days later is Friday 22 May, 00:00 in Paris.
    clock.set(paris(2026, 5, 21, 23, 59))
    assert (await api.call("coordinator", "GET", "/api/overdue", 200))["total"] == 0
    assert (await api.call("coordinator", "GET", "/api/actions?overdue=true", 200))["items"] == []

    clock.set(paris(2026, 5, 22, 8, 0))
    overdue = await api.call("coordinator", "GET", "/api/overdue", 200)
    assert overdue["total"] == 1
    (group,) = overdue["groups"]
    assert group["organisation"] == "EPI Paris Centre"
    (case,) = group["cases"]
    assert (case["lifecycle"], case["reference"]) == ("action", "AC-2026-000001")
    assert case["escalation_at"] == "2026-05-21T22:00:00Z"
    listed = await api.call("epi", "GET", "/api/actions?overdue=true", 200)
    assert [item["id"] for item in listed["items"]] == [spread["id"]]
    async with sessionmaker() as session:
        found = await overdue_cases(
            session, list(LIFECYCLES.values()), actor_of(world.coordinator), clock.now()
        )
    assert [(item.lifecycle, item.case_id) for item in found] == [("action", spread["id"])]

    report = await send_digests(sessionmaker, LIFECYCLES, clock.now())
    assert any(line.startswith(world.coordinator.email) for line in report.sent)
    async with sessionmaker() as session:
        digest = (
            await session.execute(
                select(OutboxMessage).where(
                    OutboxMessage.message == "digest",
                    OutboxMessage.recipient_email == world.coordinator.email,
                )
            )
        ).scalar_one()
    references = [
        case["reference"] for group in digest.context["groups"] for case in group["cases"]
    ]
    assert references == ["AC-2026-000001"]


async def _check_action_plan(
    api: Api,
    spread: dict[str, Any],
    train: dict[str, Any],
    liaison: dict[str, Any],
    observatory: dict[str, Any],
) -> None:
    """The year's action plan lists the approved action plan decisions by axis."""
    plan = await api.call("ml", "GET", "/api/action-plan?year=2026", 200)
    assert plan["year"] == 2026
    assert [axis["axis"] for axis in plan["axes"]] == [axis.value for axis in PlanAxis]
    assert [axis["label"] for axis in plan["axes"]] == [axis.label for axis in PlanAxis]
    by_axis = {axis["axis"]: axis["decisions"] for axis in plan["axes"]}
    assert {axis for axis, decisions in by_axis.items() if decisions} == {"1.1", "3.3"}
    (kept,) = by_axis["3.3"]
    assert (kept["id"], kept["reference"]) == (liaison["id"], "DC-2026-000001")
    assert kept["decided_at"] == "2026-04-07T15:30:00Z"
    assert [
        (action["id"], action["state"], action["overdue"], action["owner_organisation"]["name"])
        for action in kept["actions"]
    ] == [
        (spread["id"], "open", True, "EPI Paris Centre"),
        (train["id"], "open", False, "Mission locale de Paris"),
    ]
    (without,) = by_axis["1.1"]
    assert (without["id"], without["actions"]) == (observatory["id"], [])
    previous = await api.call("ml", "GET", "/api/action-plan?year=2025", 200)
    assert all(axis["decisions"] == [] for axis in previous["axes"])
    assert len(previous["axes"]) == 10


async def _check_action_plan_csv(api: Api, client: httpx.AsyncClient) -> None:
    """The same plan as a CSV download, with a BOM and CRLF line ends."""
    answer = await client.get(
        "/api/action-plan?year=2026&format=csv", headers=api.headers["coordinator"]
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="plan-action-2026.csv"'
    assert answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"), newline="")))
    assert b"\r\n" in answer.content
    assert rows == ACTION_PLAN_CSV
