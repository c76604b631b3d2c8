"""The sweep's boundary (issue 13): a timer due at T acts at T, not one second before.

The cases are generated from the declarations: every ``TimerSpec`` of every state of every
lifecycle in ``states.registry.LIFECYCLES``, so a timer declared later is covered without
editing this module (a new lifecycle needs a builder in ``case_builders.BUILDERS``, or its
cases fail). Each case puts a case of the lifecycle in the state (``enter_state``), keeps the
timer under test alone (the state's other timers are cancelled, so whatever happens to the
case is that timer's doing), reads its ``due_at`` from the database, sweeps one second before
it (nothing happens), then exactly at it or one second after (it acts).

Time: cases enter their state on Friday 27 March 2026 at 17:45:30 in Paris (16:45:30 UTC),
the last business day before the change to summer time; the next business day is Monday
30 March, where 17:45:30 in Paris is 15:45:30 UTC. Anchored timers count from Thursday
2 April 2026 10:15 in Paris instead: Friday 3 April is worked in Paris, Easter Monday
(6 April) is not, so two business days after it is Tuesday 7 April.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.business_days import PARIS, add_business_days
from core.clock import FixedClock
from core.enums import MessageKey, TimerKind, TimerStatus
from core.models import OutboxMessage, Timer
from states.lifecycle import Lifecycle, TimerSpec
from states.referral import REFERRAL
from states.registry import LIFECYCLES
from tests.factories import World, make_offer
from tests.workflows.case_builders import (
    BUILDERS,
    Cast,
    Sessions,
    build_referral,
    enter_state,
    keep_only,
    make_cast,
)
from workflows.sweep import sweep_due

ENTERED = datetime(2026, 3, 27, 17, 45, 30, tzinfo=PARIS)
"""When the case enters the state under test: a Friday, before the change to summer time."""
ANCHOR = datetime(2026, 4, 2, 10, 15, tzinfo=PARIS)
"""What an anchored timer counts from (a meeting, a due date): the Thursday before Easter."""
SECOND = timedelta(seconds=1)
LATENESS = pytest.mark.parametrize("late", [timedelta(0), SECOND], ids=["at", "1s-after"])


def timer_labels(specs: tuple[TimerSpec, ...]) -> list[str]:
    """The timers of a state as test ids read them: their kind, or the trigger they fire
    (``expire``); numbered when a state has two of the same."""
    labels = [spec.target if spec.kind is TimerKind.TRIGGER else spec.kind.value for spec in specs]
    return [
        f"{label}{index}" if labels.count(label) > 1 else label
        for index, label in enumerate(labels)
    ]


def declared_timers() -> list[Any]:
    """``(lifecycle, state, index)`` of every declared timer, with ids such as
    ``referral-submitted-reminder``."""
    return [
        pytest.param(lifecycle.name, str(state), index, id=f"{lifecycle.name}-{state}-{label}")
        for lifecycle in LIFECYCLES.values()
        for state, specs in lifecycle.timers.items()
        for index, label in enumerate(timer_labels(specs))
    ]


@dataclass(frozen=True)
class Look:
    """What the sweep may change: the timer under test, the case's state, its emails."""

    status: TimerStatus
    fired_at: datetime | None
    state: str
    state_entered_at: datetime
    messages: tuple[str, ...]


async def look(sessionmaker: Sessions, lifecycle: Lifecycle, case_id: int, timer_id: int) -> Look:
    """The timer, the case and the message keys of the case's outbox rows, oldest first."""
    async with sessionmaker() as session:
        timer = await session.get(Timer, timer_id)
        case = await session.get(lifecycle.model, case_id)
        assert timer is not None and case is not None
        messages = await session.execute(
            select(OutboxMessage.message)
            .where(OutboxMessage.case_kind == lifecycle.name, OutboxMessage.case_id == case_id)
            .order_by(OutboxMessage.id)
        )
        return Look(
            timer.status,
            timer.fired_at,
            str(case.state),
            case.state_entered_at,
            tuple(messages.scalars()),
        )


async def check_boundary(
    sessionmaker: Sessions,
    lifecycle: Lifecycle,
    case_id: int,
    spec: TimerSpec,
    timer_id: int,
    due: datetime,
    late: timedelta,
) -> None:
    """Sweep one second before ``due``: nothing happens; at ``due + late``: the timer acts."""
    before = await look(sessionmaker, lifecycle, case_id, timer_id)
    assert before.status is TimerStatus.PENDING

    await sweep_due(sessionmaker, LIFECYCLES, due - SECOND)
    assert await look(sessionmaker, lifecycle, case_id, timer_id) == before, (
        "the sweep acted one second before the timer was due"
    )

    moment = due + late
    await sweep_due(sessionmaker, LIFECYCLES, moment)
    after = await look(sessionmaker, lifecycle, case_id, timer_id)
    assert (after.status, after.fired_at) == (TimerStatus.FIRED, moment)
    if spec.kind is TimerKind.TRIGGER:
        assert after.state == lifecycle.transition(spec.target).dest
        assert after.state_entered_at == moment
        return
    written = after.messages[len(before.messages) :]
    # A reminder nobody could receive may become an alert to the coordinators instead.
    assert written or after.state != before.state, "the timer fired and nothing came of it"
    # A milestone (a birthday) sends its own message instead.
    assert set(written) <= {MessageKey.REMINDER, MessageKey.ESCALATION, spec.message}
    if spec.kind is TimerKind.ESCALATION:
        assert (spec.message or MessageKey.ESCALATION) in written


async def timer_due(sessionmaker: Sessions, timer_id: int) -> datetime:
    """The timer's ``due_at``, as the database holds it."""
    async with sessionmaker() as session:
        timer = await session.get(Timer, timer_id)
        assert timer is not None
        return timer.due_at


@pytest.fixture
async def cast(world: World, session: AsyncSession, clock: FixedClock) -> Cast:
    """The world, a secretary and a comité technique; the clock set to ``ENTERED``."""
    made = await make_cast(world, session, clock.now(), ANCHOR)
    clock.set(ENTERED)
    return made


def test_every_lifecycle_has_a_builder() -> None:
    """A lifecycle without a builder would have its timers' boundaries silently untested."""
    missing = sorted(set(LIFECYCLES) - set(BUILDERS))
    assert not missing, f"add a builder to tests/workflows/case_builders.BUILDERS for {missing}"


def test_every_declared_timer_is_a_case() -> None:
    """The parametrisation reads the declarations: each timer of each lifecycle is a case."""
    ids = [param.id for param in declared_timers()]
    expected = sum(len(specs) for lc in LIFECYCLES.values() for specs in lc.timers.values())
    assert len(ids) == expected == len(set(ids))
    assert {"referral-submitted-reminder", "referral-submitted-expire"} <= set(ids)
    assert {"decision-scheduled-escalation", "action-open-reminder"} <= set(ids)


@LATENESS
@pytest.mark.parametrize(("name", "state", "index"), declared_timers())
async def test_a_timer_acts_at_its_due_time_and_not_a_second_before(
    name: str,
    state: str,
    index: int,
    late: timedelta,
    cast: Cast,
    sessionmaker: Sessions,
    clock: FixedClock,
) -> None:
    lifecycle = LIFECYCLES[name]
    builder = BUILDERS.get(name)
    if builder is None:
        pytest.fail(
            f"lifecycle {name!r} has timers but no builder: add one to "
            "tests/workflows/case_builders.BUILDERS so that its sweep boundaries are tested"
        )
    spec = lifecycle.timers[state][index]
    case_id = await builder.create(sessionmaker, cast, clock.now())
    fields = builder.state_fields(cast, state, ANCHOR)
    await enter_state(sessionmaker, lifecycle, case_id, state, ENTERED, ANCHOR, fields)
    timer_id = await keep_only(sessionmaker, lifecycle, case_id, state, index)

    due = await timer_due(sessionmaker, timer_id)
    start = ENTERED if spec.anchor is None else ANCHOR
    assert due == spec.due_at(start, spec.business_days)
    if spec.anchor is not None:
        # Counted from the anchor, not from the moment the case entered the state.
        assert due != spec.due_at(ENTERED, spec.business_days)
    await check_boundary(sessionmaker, lifecycle, case_id, spec, timer_id, due, late)


# An offer's own response times replace the submitted state's defaults (3, 5 and 20 business
# days): offer field, its value, and the due time worked out by hand from ENTERED.
OFFER_DEADLINES = {
    # +1: Monday 30 March, summer time: 17:45:30 in Paris is 15:45:30 UTC.
    TimerKind.REMINDER: ("reminder_days", 1, datetime(2026, 3, 30, 15, 45, 30, tzinfo=UTC)),
    # +2: Tuesday 31 March.
    TimerKind.ESCALATION: ("escalation_days", 2, datetime(2026, 3, 31, 15, 45, 30, tzinfo=UTC)),
    # +4: Tuesday 31 March, Wednesday 1, Thursday 2 April.
    TimerKind.TRIGGER: ("expiry_days", 4, datetime(2026, 4, 2, 15, 45, 30, tzinfo=UTC)),
}


@LATENESS
@pytest.mark.parametrize(
    ("index", "spec"),
    [
        pytest.param(index, spec, id=f"referral-submitted-{label}-offer")
        for index, (spec, label) in enumerate(
            zip(
                REFERRAL.timers["submitted"],
                timer_labels(REFERRAL.timers["submitted"]),
                strict=True,
            )
        )
    ],
)
async def test_an_offers_own_deadline_acts_at_its_due_time_and_not_a_second_before(
    index: int,
    spec: TimerSpec,
    late: timedelta,
    cast: Cast,
    session: AsyncSession,
    sessionmaker: Sessions,
    clock: FixedClock,
) -> None:
    offer = await make_offer(
        session,
        cast.world.receiver,
        clock.now(),
        **{field: days for field, days, _ in OFFER_DEADLINES.values()},
    )
    field, days, expected = OFFER_DEADLINES[spec.kind]
    assert days != spec.business_days, f"{field} must differ from the default to prove anything"
    referral_id = await build_referral(sessionmaker, cast, clock.now(), offer)
    timer_id = await keep_only(sessionmaker, REFERRAL, referral_id, "submitted", index)

    due = await timer_due(sessionmaker, timer_id)
    assert due == expected == add_business_days(ENTERED, days)
    await check_boundary(sessionmaker, REFERRAL, referral_id, spec, timer_id, due, late)
