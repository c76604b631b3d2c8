"""Issue 12, finding 9: nobody makes itself référent.

An accompaniment starts only when the receiving partner starts a referral to an
accompaniment offer, by a confirmed handover, or by a coordinator with a written reason. A
referrer that calls ``POST /api/accompaniments`` for the person it referred is refused, and
the receiving partner's ``start`` then makes it the référent.
"""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.models import Accompaniment, Referral
from tests.factories import World, auth_headers, make_offer, referral_json

REASON = "Sortie d'hébergement d'urgence : la coordination confie le suivi à l'EPI."


async def _current_referents(
    sessionmaker: async_sessionmaker[AsyncSession], person_id: int
) -> list[tuple[int, str, str | None]]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(Accompaniment.organisation_id, Accompaniment.source, Accompaniment.reason).where(
                Accompaniment.person_id == person_id, Accompaniment.ended_at.is_(None)
            )
        )
        return [(row[0], str(row[1]), row[2]) for row in rows]


async def test_the_referrer_cannot_make_itself_referent_and_the_receiver_starts(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    offer = await make_offer(session, world.receiver, clock.now(), is_accompaniment=True)
    referrer = await auth_headers(world.referrer)
    receiver = await auth_headers(world.receiver_member)
    sent = await client.post("/api/referrals", json=referral_json(offer), headers=referrer)
    assert sent.status_code == 201, sent.text
    referral_id = sent.json()["id"]
    async with sessionmaker() as reading:
        person_id = (
            await reading.execute(select(Referral.person_id).where(Referral.id == referral_id))
        ).scalar_one()

    for body in (
        {"person_id": person_id, "consent": True},
        {"person_id": person_id, "consent": True, "reason": "Je le suis déjà."},
    ):
        taken = await client.post("/api/accompaniments", json=body, headers=referrer)
        assert taken.status_code == 403, taken.text
        assert taken.json()["code"] == "forbidden"
    assert await _current_referents(sessionmaker, person_id) == []

    for trigger in ("accept", "start"):
        answer = await client.post(
            f"/api/referrals/{referral_id}/{trigger}", json={}, headers=receiver
        )
        assert answer.status_code == 200, answer.text
    assert await _current_referents(sessionmaker, person_id) == [
        (world.receiver.id, "referral", None)
    ]


async def test_a_coordinator_starts_an_accompaniment_only_with_a_reason(
    client: httpx.AsyncClient,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    coordinator = await auth_headers(world.coordinator)
    body = {
        "person": {"first_name": "Inès", "last_name": "Dupuis"},
        "organisation_id": world.receiver.id,
        "consent": True,
    }

    unexplained = await client.post("/api/accompaniments", json=body, headers=coordinator)
    assert unexplained.status_code == 422, unexplained.text
    assert "reason" in [error["field"] for error in unexplained.json()["errors"]]

    started = await client.post(
        "/api/accompaniments", json={**body, "reason": REASON}, headers=coordinator
    )
    assert started.status_code == 201, started.text
    assert started.json()["organisation_id"] == world.receiver.id
    assert started.json()["reason"] == REASON
    assert started.json()["started_by_id"] == world.coordinator.id
    person_id = started.json()["person_id"]
    assert await _current_referents(sessionmaker, person_id) == [
        (world.receiver.id, "direct", REASON)
    ]
    history = await client.get(
        f"/api/persons/{person_id}/accompaniments",
        headers=await auth_headers(world.receiver_member),
    )
    assert history.status_code == 200, history.text
    assert [item["reason"] for item in history.json()] == [REASON]
