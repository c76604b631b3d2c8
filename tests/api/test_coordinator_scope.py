"""A coordinator of a territory follows the cases of its offers and of its residents.

A coordinator of the 18th arrondissement; two referrals to a Paris-wide offer, one for a
person living in the 18th, one for a person living in the 17th. The coordinator sees,
lists, is asked to act on and is alerted about the first only, in every list relais builds
(the case itself, the referrals, the to-do list, the overdue cases and the digest, the
escalation's recipients).
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import Role, Territory
from core.models import OutboxMessage, Referral, User
from states.recipients import case_coordinators
from states.referral import REFERRAL
from states.registry import LIFECYCLES
from tests.factories import World, auth_headers, make_offer, make_user, referral_json
from workflows.digest import send_digests


@pytest.fixture
async def scoped(world: World, session: AsyncSession, clock: FixedClock) -> User:
    return await make_user(
        session, world.coordination, clock.now(), role=Role.COORDINATOR,
        email="coordination-18@epec-test.fr", scope_territory=Territory.ARR_18,
    )  # fmt: skip


async def _refer(client: httpx.AsyncClient, world: World, offer_id: int, residence: str) -> int:
    person = {"first_name": "Zoé", "last_name": residence, "residence": residence}
    sent = await client.post(
        "/api/referrals",
        json=referral_json(world.offer) | {"offer_id": offer_id, "person": person},
        headers=await auth_headers(world.referrer),
    )
    assert sent.status_code == 201, sent.text
    referral_id: int = sent.json()["id"]
    return referral_id


@pytest.fixture
async def referrals(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> tuple[int, int]:
    paris_wide = await make_offer(session, world.receiver, clock.now(), territory=Territory.PARIS)
    resident = await _refer(client, world, paris_wide.id, "75018")
    neighbour = await _refer(client, world, paris_wide.id, "75017")
    return resident, neighbour


async def test_sees_the_residents_cases_not_the_neighbours(
    client: httpx.AsyncClient, scoped: User, referrals: tuple[int, int]
) -> None:
    resident, neighbour = referrals
    headers = await auth_headers(scoped)
    seen = await client.get(f"/api/referrals/{resident}", headers=headers)
    assert seen.status_code == 200
    assert "reassign" in seen.json()["allowed_actions"]  # the coordination's side
    assert (await client.get(f"/api/referrals/{neighbour}", headers=headers)).status_code == 404
    listed = await client.get("/api/referrals", headers=headers)
    assert [item["id"] for item in listed.json()["items"]] == [resident]
    todo = await client.get("/api/todo", headers=headers)
    assert todo.status_code == 200, todo.text
    assert {item["case_id"] for item in todo.json()["items"]} == {resident}
    closed = await client.post(
        f"/api/referrals/{neighbour}/reassign", json={"offer_id": 1}, headers=headers
    )
    assert closed.status_code == 404


async def test_overdue_digest_and_alerts_follow_the_same_rule(
    client: httpx.AsyncClient,
    scoped: User,
    referrals: tuple[int, int],
    clock: FixedClock,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    resident, neighbour = referrals
    clock.advance(timedelta(days=14))  # well past the 5 business days of the escalation
    overdue = await client.get("/api/overdue", headers=await auth_headers(scoped))
    assert overdue.status_code == 200, overdue.text
    listed = [case["case_id"] for group in overdue.json()["groups"] for case in group["cases"]]
    assert listed == [resident]

    await send_digests(sessionmaker, LIFECYCLES, clock.now())
    digest = (
        await session.execute(
            select(OutboxMessage).where(
                OutboxMessage.message == "digest", OutboxMessage.recipient_user_id == scoped.id
            )
        )
    ).scalar_one()
    paths = [line["path"] for group in digest.context["groups"] for line in group["cases"]]
    assert paths == [REFERRAL.case_path(resident)]

    for referral_id, alerted in ((resident, True), (neighbour, False)):
        case = await session.get_one(Referral, referral_id)
        recipients = await case_coordinators(session, REFERRAL, case)
        assert ((scoped.email, scoped.id) in recipients) is alerted
