"""Acceptance point 4: concurrent requests on PostgreSQL, through the whole HTTP stack.

The requests run at once on the application's own connection pool (``asyncio.gather`` over
the in-process client): the row lock (``SELECT ... FOR UPDATE``) and the version column must
let exactly one ``accept`` through, and the reference counter must never hand out a number
twice.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.models import Event, Referral
from tests.factories import World, auth_headers, referral_json

pytestmark = pytest.mark.postgres

CONCURRENT_ACCEPTS = 20
CONCURRENT_CREATIONS = 10


async def test_twenty_concurrent_accepts_one_wins(
    client: httpx.AsyncClient,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    created = await client.post(
        "/api/referrals",
        json=referral_json(world.offer),
        headers=await auth_headers(world.referrer),
    )
    assert created.status_code == 201, created.text
    referral_id = created.json()["id"]
    assert created.json()["version"] == 2
    receiver = await auth_headers(world.receiver_member)

    answers = await asyncio.gather(
        *(
            client.post(f"/api/referrals/{referral_id}/accept", json={}, headers=receiver)
            for _ in range(CONCURRENT_ACCEPTS)
        )
    )

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] + [409] * 19, [answer.text for answer in answers]
    refused = [answer.json() for answer in answers if answer.status_code == 409]
    assert {body["code"] for body in refused} <= {"transition_not_allowed", "concurrent_change"}
    async with sessionmaker() as session:
        accept_events = (
            await session.execute(
                select(func.count())
                .select_from(Event)
                .where(
                    Event.case_kind == "referral",
                    Event.case_id == referral_id,
                    Event.trigger == "accept",
                )
            )
        ).scalar_one()
        referral = (
            await session.execute(
                select(Referral.state, Referral.version).where(Referral.id == referral_id)
            )
        ).one()
    assert accept_events == 1
    assert (referral.state, referral.version) == ("accepted", 3)


async def test_ten_concurrent_creations_get_distinct_references(
    client: httpx.AsyncClient,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    referrer = await auth_headers(world.referrer)
    answers = await asyncio.gather(
        *(
            client.post("/api/referrals", json=referral_json(world.offer), headers=referrer)
            for _ in range(CONCURRENT_CREATIONS)
        )
    )

    assert [answer.status_code for answer in answers] == [201] * 10, [a.text for a in answers]
    references = sorted(answer.json()["reference"] for answer in answers)
    assert references == [f"OR-2026-{number:06d}" for number in range(1, 11)]
    async with sessionmaker() as session:
        stored = (await session.execute(select(Referral.reference))).scalars().all()
    assert sorted(stored) == references
