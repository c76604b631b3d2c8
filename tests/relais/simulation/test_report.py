"""The simulation's ``unchased`` count: cases left waiting with nothing to come.

A case is chased while it has a pending timer, and once its escalation has fired (it stays on
the coordinators' dashboard and in their digest until it moves). A draft waits on nobody, a
completed case on nothing; a case under way whose timers were taken away is unchased.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.business_days import add_business_days
from core.clock import FixedClock
from core.enums import Outcome, TimerKind, TimerStatus
from core.models import Timer
from relais.simulation.report import unchased_cases
from services.referral_service import create_referral
from states import engine
from states.referral import PROGRESS_ESCALATION_DAYS, REFERRAL, ReferralState
from states.registry import LIFECYCLES
from tests.factories import World, actor_of, referral_create
from workflows.sweep import sweep_due


async def unchased(session: AsyncSession) -> int:
    """The count the simulation reports, read in a transaction of its own."""
    count = await unchased_cases(session, LIFECYCLES.values())
    await session.commit()
    return count


async def started(session: AsyncSession, world: World, clock: FixedClock) -> int:
    """A referral accepted and started by its receiver: in progress, progress check pending."""
    view = await create_referral(
        session, actor_of(world.referrer), referral_create(world.offer), clock.now()
    )
    case_id = int(view.case.id)
    receiver = actor_of(world.receiver_member)
    for trigger in ("accept", "start"):
        await engine.fire(session, REFERRAL, case_id, trigger, receiver, {}, clock.now())
    return case_id


async def test_a_case_waiting_with_nothing_to_come_is_unchased(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    world: World,
    clock: FixedClock,
) -> None:
    referrer = actor_of(world.referrer)
    await create_referral(
        session, referrer, referral_create(world.offer, submit=False), clock.now()
    )
    await create_referral(session, referrer, referral_create(world.offer), clock.now())
    done = await started(session, world, clock)
    await engine.fire(
        session,
        REFERRAL,
        done,
        "complete",
        actor_of(world.receiver_member),
        {"outcome": Outcome.LASTING_EMPLOYMENT.value},
        clock.now(),
    )
    left_alone = await started(session, world, clock)
    forgotten = await started(session, world, clock)
    # A draft, a referral waiting for its answer, one completed, two under way: all chased.
    assert await unchased(session) == 0

    await session.execute(
        update(Timer)
        .where(Timer.case_kind == REFERRAL.name, Timer.case_id == forgotten)
        .values(status=TimerStatus.CANCELLED, closed_at=clock.now())
    )
    await session.commit()
    assert await unchased(session) == 1

    # Past the escalation, the referral left alone has no pending timer either, but the
    # coordinators were alerted: it is overdue, still chased. The forgotten one is not.
    escalated = add_business_days(clock.now(), PROGRESS_ESCALATION_DAYS)
    await sweep_due(sessionmaker, LIFECYCLES, escalated)
    timers = await session.execute(
        select(Timer.kind, Timer.status).where(
            Timer.case_kind == REFERRAL.name,
            Timer.case_id == left_alone,
            Timer.state == ReferralState.IN_PROGRESS,
        )
    )
    assert set(timers.tuples()) == {
        (TimerKind.REMINDER, TimerStatus.FIRED),
        (TimerKind.ESCALATION, TimerStatus.FIRED),
    }
    assert await unchased(session) == 1
