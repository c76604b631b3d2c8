"""The access log through the API: every read of a case or a person is logged, the DPO
searches the log (403 for anyone else), a coordinator sees who consulted a case of their
scope (403 out of it)."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import Role, Territory
from core.models import Referral
from tests.factories import World, auth_headers, make_user, referral_json


async def test_reads_are_logged_and_the_dpo_finds_them(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    now = clock.now()
    dpo = await auth_headers(await make_user(session, world.coordination, now, role=Role.DPO))
    elsewhere = await make_user(
        session, world.outsider, now, role=Role.COORDINATOR, scope_territory=Territory("75020")
    )
    created = await client.post(
        "/api/referrals",
        json=referral_json(world.offer),
        headers=await auth_headers(world.referrer),
    )
    referral_id = created.json()["id"]
    person_id = await session.scalar(select(Referral.person_id).where(Referral.id == referral_id))
    await session.commit()  # on SQLite, an open read holds the write lock
    assert (await client.get("/api/access-log", headers=dpo)).json()["items"] == []

    receiver = await auth_headers(world.receiver_member)
    assert (await client.get(f"/api/referrals/{referral_id}", headers=receiver)).status_code == 200
    coordinator = await auth_headers(world.coordinator)
    assert (await client.get(f"/api/persons/{person_id}", headers=coordinator)).status_code == 200
    # A case the caller may not see is not read: 404 and nothing logged (the DPO reads none).
    assert (await client.get(f"/api/referrals/{referral_id}", headers=dpo)).status_code == 404

    found = await client.get("/api/access-log", params={"person_id": person_id}, headers=dpo)
    assert found.status_code == 200, found.text
    items = found.json()["items"]
    assert [(i["user_id"], i["case_kind"], i["channel"]) for i in items] == [
        (world.coordinator.id, None, "api"),
        (world.receiver_member.id, "referral", "api"),
    ]
    assert items[1]["organisation"] == world.receiver.name
    assert items[1]["case_reference"] == created.json()["reference"]
    assert items[1]["health_data"] is False
    by_user = await client.get(
        "/api/access-log", params={"user_id": world.receiver_member.id}, headers=dpo
    )
    assert [i["person_id"] for i in by_user.json()["items"]] == [person_id]
    assert found.json()["has_next"] is False

    # A listing that returns the persons' data logs one read per case listed.
    listed = await client.get("/api/referrals", headers=await auth_headers(world.referrer))
    assert [item["id"] for item in listed.json()["items"]] == [referral_id]
    by_referrer = await client.get(
        "/api/access-log", params={"user_id": world.referrer.id}, headers=dpo
    )
    assert [(i["case_id"], i["channel"]) for i in by_referrer.json()["items"]] == [
        (referral_id, "api")
    ]
    # A coordinator's listing names nobody: no one's data is read, nothing is logged.
    supervised = await client.get("/api/referrals", headers=coordinator)
    assert [(i["id"], i["person"]) for i in supervised.json()["items"]] == [(referral_id, None)]
    by_coordinator = await client.get(
        "/api/access-log", params={"user_id": world.coordinator.id}, headers=dpo
    )
    assert [i["case_kind"] for i in by_coordinator.json()["items"]] == [None]

    for refused in (world.coordinator, world.admin, world.receiver_member):
        answer = await client.get("/api/access-log", headers=await auth_headers(refused))
        assert answer.status_code == 403, refused.email
    assert (await client.get("/api/access-log")).status_code == 401

    accesses = f"/api/referrals/{referral_id}/accesses"
    seen = await client.get(accesses, headers=coordinator)
    assert seen.status_code == 200
    assert [i["user_id"] for i in seen.json()] == [world.referrer.id, world.receiver_member.id]
    assert (await client.get(accesses, headers=dpo)).status_code == 200
    for refused in (elsewhere, world.receiver_member, world.referrer):
        answer = await client.get(accesses, headers=await auth_headers(refused))
        assert answer.status_code == 403, refused.email
    missing = await client.get(f"/api/handovers/{referral_id + 1000}/accesses", headers=dpo)
    assert missing.status_code == 404


async def test_bad_searches_answer_422(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    dpo = await auth_headers(
        await make_user(session, world.coordination, clock.now(), role=Role.DPO)
    )
    for params in (
        {"person_id": "2147483648"},
        {"since": "2026-03-02T10:00:00"},
        {"until": "demain"},
        {"until": "0.5"},
        {"page": "0"},
    ):
        answer = await client.get("/api/access-log", params=params, headers=dpo)
        assert answer.status_code == 422, params
