"""Health data (the health barrier, AAH, RQTH) through the API: recorded only with its own
attestation, read only by the receiving organisation and the person's référent; a
coordinator's lists name no one, the case's own read does."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.db import transaction
from core.enums import AccompanimentSource, Territory
from core.models import AccessLogEntry, Referral
from states.accompaniments import begin_accompaniment
from tests.factories import World, auth_headers, referral_json

HEALTH = {"barriers": ["sante", "logement"], "health_data_attested": True}
PERSON = {"first_name": "Zoé", "last_name": "Quatremer", "publics": ["aah", "rsa"]}


def _body(world: World, **overrides: Any) -> dict[str, Any]:
    body = referral_json(world.offer, **overrides)
    body["person"].update(PERSON)
    return body


async def _refer(client: httpx.AsyncClient, world: World, **overrides: Any) -> dict[str, Any]:
    headers = await auth_headers(world.referrer)
    response = await client.post("/api/referrals", json=_body(world, **overrides), headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_health_data_without_its_attestation_is_refused_by_name(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = await auth_headers(world.referrer)
    for overrides in ({"barriers": ["sante"]}, {"situation": "rqth"}, {}):
        body = _body(world, **overrides)
        if overrides:
            body["person"]["publics"] = ["rsa"]  # the health data is the barrier or situation
        response = await client.post("/api/referrals", json=body, headers=headers)
        assert response.status_code == 422, response.text
        error = response.json()
        assert error["code"] == "health_data_not_attested"
        assert error["errors"][0]["field"] == "health_data_attested"
        assert "consentement exprès pour les données de santé" in error["detail"]
    # Without health data, no attestation is asked, and none is recorded.
    plain = _body(world)
    plain["person"]["publics"] = ["rsa"]
    response = await client.post("/api/referrals", json=plain, headers=headers)
    assert response.status_code == 201
    assert response.json()["health_data_attested_at"] is None


async def test_the_attested_health_data_is_stored_with_its_moment(
    client: httpx.AsyncClient, world: World, clock: FixedClock
) -> None:
    created = await _refer(client, world, **HEALTH)
    assert created["health_data_attested_at"] == clock.now().isoformat().replace("+00:00", "Z")


async def test_a_resubmission_adding_health_data_needs_the_attestation(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    body = _body(world)
    body["person"]["publics"] = ["rsa"]
    referrer = await auth_headers(world.referrer)
    created = (await client.post("/api/referrals", json=body, headers=referrer)).json()
    path = f"/api/referrals/{created['id']}"
    returned = {"reason": "missing_information", "comment": "Précisez."}
    receiver = await auth_headers(world.receiver_member)
    assert (await client.post(f"{path}/return", json=returned, headers=receiver)).status_code == 200
    refused = await client.post(f"{path}/resubmit", json={"barriers": ["sante"]}, headers=referrer)
    assert refused.status_code == 422
    assert refused.json()["code"] == "health_data_not_attested"
    accepted = await client.post(
        f"{path}/resubmit",
        json={"barriers": ["sante"], "health_data_attested": True},
        headers=referrer,
    )
    assert accepted.status_code == 200, accepted.text
    row = await session.get_one(Referral, created["id"], populate_existing=True)
    assert row.barriers == ["sante"] and row.health_data_attested_at is not None


def _shows_health(body: dict[str, Any]) -> bool:
    """Whether a referral's body carries health data anywhere."""
    text = str(body)
    return any(code in text for code in ("'sante'", "'aah'", "'rqth'", "personnes-en-situation"))


async def test_only_the_receiver_and_the_referent_read_the_health_data(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    created = await _refer(client, world, **HEALTH)
    path = f"/api/referrals/{created['id']}"
    received = (await client.get(path, headers=await auth_headers(world.receiver_member))).json()
    assert received["barriers"] == ["logement", "sante"]
    assert "aah" in received["person"]["publics"]
    assert "personnes-en-situation-de-handicap" in received["publics"]
    for reader in (world.referrer, world.coordinator):
        seen = (await client.get(path, headers=await auth_headers(reader))).json()
        assert seen["barriers"] == ["logement"], reader.email
        assert seen["person"]["publics"] == ["rsa"]
        assert not _shows_health(seen), seen
    # The sender's own list, and the creation's answer (it sent; it is not the receiver).
    listed = await client.get("/api/referrals", headers=await auth_headers(world.referrer))
    assert not _shows_health(listed.json())
    assert not _shows_health(created)
    outsider = await client.get(path, headers=await auth_headers(world.outsider_member))
    assert outsider.status_code == 404
    # Once the sender is the person's référent, it reads them again.
    async with transaction(session):
        await begin_accompaniment(
            session, await _person_of(session, created["id"]), world.sender.id,
            AccompanimentSource.DIRECT, None, clock.now(), territory=Territory.PARIS,
        )  # fmt: skip
    referent = (await client.get(path, headers=await auth_headers(world.referrer))).json()
    assert referent["barriers"] == ["logement", "sante"]
    # The access log marks the reads that showed health data, and only those.
    marks = await session.execute(
        select(AccessLogEntry.user_id, AccessLogEntry.health_data)
        .where(AccessLogEntry.case_id == created["id"])
        .order_by(AccessLogEntry.id)
    )
    assert [tuple(row) for row in marks] == [
        (world.receiver_member.id, True),
        (world.referrer.id, False),
        (world.coordinator.id, False),
        (world.referrer.id, False),  # its list
        (world.referrer.id, True),
    ]


async def _person_of(session: AsyncSession, referral_id: int) -> int:
    row = await session.get_one(Referral, referral_id, populate_existing=True)
    return row.person_id


async def test_a_coordinator_s_list_names_no_one_but_the_case_read_does(
    client: httpx.AsyncClient, world: World
) -> None:
    created = await _refer(client, world, **HEALTH)
    coordinator = await auth_headers(world.coordinator)
    listed = (await client.get("/api/referrals", headers=coordinator)).json()
    assert [item["reference"] for item in listed["items"]] == [created["reference"]]
    assert listed["items"][0]["person"] is None
    assert "Quatremer" not in str(listed)
    overdue = await client.get("/api/overdue", headers=coordinator)
    assert overdue.status_code == 200 and "Quatremer" not in overdue.text
    one = (await client.get(f"/api/referrals/{created['id']}", headers=coordinator)).json()
    assert one["person"]["last_name"] == "Quatremer"
    # The organisations of the case still read the person in their lists.
    for member in (world.referrer, world.receiver_member):
        theirs = (await client.get("/api/referrals", headers=await auth_headers(member))).json()
        assert theirs["items"][0]["person"]["last_name"] == "Quatremer"
