"""A transition that learnt its person has no follow-up to restart (``states.follow_up``)
knows it for its own transaction only: the same session, in its next transaction, restarts
an accompaniment begun meanwhile by someone else."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import AccompanimentSource, TimerStatus
from core.models import Referral, Timer
from services.referral_service import create_referral
from states import engine
from states.accompaniments import begin_accompaniment
from states.referral import REFERRAL
from tests.factories import World, actor_of, make_offer, referral_create

Sessions = async_sessionmaker[AsyncSession]


async def test_the_next_transaction_of_the_session_asks_again(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    now = clock.now()
    later = now + timedelta(days=1)
    async with sessionmaker() as session:
        offer = await make_offer(session, world.receiver, now)
        view = await create_referral(session, actor_of(world.referrer), referral_create(offer), now)
    referral_id = int(view.case.id)
    receiver = actor_of(world.receiver_member)
    async with sessionmaker() as worker:
        # The person has no accompaniment yet: nothing to restart.
        await engine.fire(worker, REFERRAL, referral_id, "accept", receiver, {}, later)
        async with sessionmaker() as other:
            person_id = (await other.get_one(Referral, referral_id)).person_id
            accompaniment = await begin_accompaniment(
                other,
                person_id,
                world.receiver.id,
                AccompanimentSource.DIRECT,
                None,
                now,
                territory=offer.territory,
            )
            accompaniment_id = accompaniment.id
            await other.commit()
        # Same session, same instant, next transaction: the news restarts the progress check.
        await engine.fire(worker, REFERRAL, referral_id, "start", receiver, {}, later)
    async with sessionmaker() as session:
        timers = list(
            (
                await session.execute(
                    select(Timer)
                    .where(Timer.case_kind == "accompaniment", Timer.case_id == accompaniment_id)
                    .order_by(Timer.id)
                )
            ).scalars()
        )
    assert [(t.status, t.created_at, t.closed_at) for t in timers] == [
        (TimerStatus.CANCELLED, now, later),
        (TimerStatus.CANCELLED, now, later),
        (TimerStatus.PENDING, later, None),
        (TimerStatus.PENDING, later, None),
    ]
