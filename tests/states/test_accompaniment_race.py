"""Issue 12, finding 10 (a) on PostgreSQL: many organisations start accompanying one person
at the same moment; one becomes référent, every other is refused with a 409, never a 500.

Observed through ``POST /api/accompaniments``: 15 concurrent calls for one person, 4 answered
500 (``IntegrityError`` on ``uq_accompaniments_current_person``: none of them found a current
accompaniment to lock, all inserted one). The test races the unit of work every way of
starting an accompaniment runs (a referral started, a handover confirmed, a direct start):
``begin_accompaniment`` inside ``core.db.transaction``, each on its own session and connection,
whoever may call it (that rule is the policy's, not this lock's).
"""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.db import transaction
from core.enums import AccompanimentSource, Territory
from core.errors import ConcurrentChange, http_status
from core.models import Accompaniment, Person
from states.accompaniments import begin_accompaniment
from tests.factories import World, person_fields

pytestmark = pytest.mark.postgres

CALLERS = 15
ROUNDS = 6


async def _start(
    sessionmaker: async_sessionmaker[AsyncSession],
    person_id: int,
    organisation_id: int,
    now: datetime,
) -> int | Exception:
    """One caller's unit of work: the organisation it made référent, or its refusal."""
    async with sessionmaker() as session:
        try:
            async with transaction(session):
                accompaniment = await begin_accompaniment(
                    session, person_id, organisation_id, AccompanimentSource.DIRECT, None, now,
                    territory=Territory.PARIS,
                )  # fmt: skip
        except Exception as refusal:  # kept to be checked: only a 409 is acceptable
            return refusal
        return accompaniment.organisation_id


@pytest.mark.parametrize("round_number", range(ROUNDS))
async def test_concurrent_starts_for_one_person_leave_one_referent_and_only_409s(
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    round_number: int,
) -> None:
    person = Person(**person_fields().model_dump(), created_at=clock.now())
    session.add(person)
    await session.commit()
    organisations = [world.sender.id, world.receiver.id, world.outsider.id, world.coordination.id]
    callers = [organisations[(index + round_number) % 4] for index in range(CALLERS)]

    outcomes = await asyncio.gather(
        *(_start(sessionmaker, person.id, caller, clock.now()) for caller in callers)
    )

    refusals = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert all(
        isinstance(refusal, ConcurrentChange) and http_status(refusal) == 409
        for refusal in refusals
    ), refusals
    current = (
        (
            await session.execute(
                select(Accompaniment).where(
                    Accompaniment.person_id == person.id, Accompaniment.ended_at.is_(None)
                )
            )
        )
        .scalars()
        .all()
    )
    assert len(current) == 1
    # Whoever was told « started » is the référent: an organisation that lost is never told so.
    assert {outcome for outcome in outcomes if isinstance(outcome, int)} == {
        current[0].organisation_id
    }
