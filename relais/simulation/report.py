"""What the simulation measured: stalled, unchased cases and silent alerts, lost and doubled
emails, response times."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.business_days import business_days_between
from core.enums import TimerKind, TimerStatus
from core.models import Event, Invitation, OutboxMessage, Timer
from relais.simulation.agenda import TrafficStats
from relais.simulation.delivery_worker import DeliveryTally
from states.lifecycle import Lifecycle
from states.registry import LIFECYCLES
from workflows.delivery import message_id

ON_TIME = timedelta(hours=1, minutes=30)
"""A deadline is kept when its timer acted within the hourly sweep, plus a crashed worker's
restart."""
ASKED = ("submit", "resubmit", "reassign")
ANSWERED = ("accept", "return")


@dataclass(frozen=True)
class SimulationReport:
    """The figures ``relais simulate`` prints."""

    referrals: int
    actions: int
    refused_actions: int
    dropped_actions: int
    invitations_accepted: int
    emails_expected: int
    emails_received: int
    smtp_refusals: int
    sweep_crashes: int
    delivery_crashes: int
    stalled: int
    silent: int
    unchased: int
    lost_emails: int
    duplicate_emails: int
    median_response_days: float
    answered_in_time: float
    seconds: float

    def lines(self) -> list[str]:
        """One ``name: value`` line per figure."""
        return [
            f"referrals: {self.referrals}",
            f"actions: {self.actions} (refused as already moved on: {self.refused_actions}, "
            f"dropped by a deactivated organisation: {self.dropped_actions})",
            f"invitations_accepted: {self.invitations_accepted}",
            f"emails_expected: {self.emails_expected}",
            f"emails_received: {self.emails_received}",
            f"smtp_451: {self.smtp_refusals}",
            f"crashes: {self.sweep_crashes} sweep, {self.delivery_crashes} delivery",
            f"stalled: {self.stalled}",
            f"silent: {self.silent}",
            f"unchased: {self.unchased}",
            f"lost_emails: {self.lost_emails}",
            f"duplicate_emails: {self.duplicate_emails}",
            f"median_response: {self.median_response_days:g} business days",
            f"answered_within_deadline: {self.answered_in_time:.1%}",
            f"duration: {self.seconds:.0f} s",
        ]

    @property
    def failed(self) -> bool:
        """Whether a promise was broken: a case stalled, went unchased or was alerted to
        nobody, or an email was lost or sent twice (``relais simulate`` then exits with 1)."""
        return bool(
            self.stalled
            or self.silent
            or self.unchased
            or self.lost_emails
            or self.duplicate_emails
        )


async def measure(
    sessions: async_sessionmaker[AsyncSession],
    delivery: DeliveryTally,
    stats: TrafficStats,
    sweep_crashes: int,
    *,
    start: datetime,
    end: datetime,
    silent: int,
    seconds: float,
) -> SimulationReport:
    """Compare what should have happened with what the database and the relay saw.

    ``silent`` is the number of reminders and alerts the sweeps found nobody to send to.
    """
    received = delivery.received
    async with sessions() as session:
        stalled = await _stalled(session, start, end)
        unchased = await unchased_cases(session, LIFECYCLES.values())
        joined = await session.scalar(
            select(func.count()).select_from(Invitation).where(Invitation.used_at.is_not(None))
        )
        keys = set((await session.execute(select(OutboxMessage.idempotency_key))).scalars())
        delays, in_time = await _responses(session, end)
    expected = {message_id(key) for key in keys}
    return SimulationReport(
        referrals=stats.done["create"],
        actions=sum(stats.done.values()),
        refused_actions=sum(stats.refused.values()),
        dropped_actions=sum(stats.dropped.values()),
        invitations_accepted=joined or 0,
        emails_expected=len(expected),
        emails_received=sum(received.values()),
        smtp_refusals=delivery.refused,
        sweep_crashes=sweep_crashes,
        delivery_crashes=delivery.crashes,
        stalled=stalled,
        silent=silent,
        unchased=unchased,
        lost_emails=len(expected - set(received)),
        duplicate_emails=sum(count - 1 for count in received.values() if count > 1),
        median_response_days=median(delays) if delays else 0.0,
        answered_in_time=in_time,
        seconds=seconds,
    )


async def _stalled(session: AsyncSession, start: datetime, end: datetime) -> int:
    """Cases with a deadline passed between ``start`` and ``end`` whose timer did not act on
    time (the demo's cases, dated before the simulation, were due before its first sweep).

    Late: still pending, fired too late, or cancelled by a move that came after the deadline
    had passed unnoticed.
    """
    rows = await session.execute(
        select(Timer.case_kind, Timer.case_id, Timer.due_at, Timer.fired_at, Timer.closed_at).where(
            Timer.due_at >= start,
            Timer.due_at <= end - ON_TIME,
            or_(
                Timer.status == TimerStatus.PENDING,
                and_(Timer.status == TimerStatus.FIRED, Timer.fired_at > Timer.due_at),
                and_(Timer.status == TimerStatus.CANCELLED, Timer.closed_at > Timer.due_at),
            ),
        )
    )
    stalled = set()
    for kind, case_id, due_at, fired_at, closed_at in rows.tuples():
        acted = fired_at or closed_at
        if acted is None or acted - due_at > ON_TIME:
            stalled.add((kind, case_id))
    return len(stalled)


async def unchased_cases(session: AsyncSession, lifecycles: Iterable[Lifecycle]) -> int:
    """Cases left waiting with nothing to come: in a state neither final nor declared to wait
    on nobody, with no pending timer, and no alert to the coordinators standing.

    A case whose escalation has fired is chased still: it stays on the coordinators'
    dashboard as overdue, and in their digest each morning, until it moves (the same open
    escalation ``services.overdue`` reads).
    """
    count = 0
    for lifecycle in lifecycles:
        model = lifecycle.model
        excluded = {*lifecycle.final_states, *lifecycle.waits_on_nobody}
        waiting = [state for state in lifecycle.states if state not in excluded]
        if not waiting:
            continue
        # A milestone (a birthday) does not chase the state the case is in.
        of_case = and_(
            Timer.case_kind == lifecycle.name,
            Timer.case_id == model.id,
            Timer.message.is_(None),
        )
        pending = select(Timer.id).where(of_case, Timer.status == TimerStatus.PENDING)
        alerted = select(Timer.id).where(
            of_case,
            Timer.kind == TimerKind.ESCALATION,
            Timer.status == TimerStatus.FIRED,
            Timer.closed_at.is_(None),
        )
        count += (
            await session.execute(
                select(func.count())
                .select_from(model)
                .where(model.state.in_(waiting), ~pending.exists(), ~alerted.exists())
            )
        ).scalar_one()
    return count


async def _responses(session: AsyncSession, end: datetime) -> tuple[list[int], float]:
    """Business days from each request to its answer, and the share answered by the deadline."""
    deadlines = {
        (case_id, created_at): due_at
        for case_id, created_at, due_at in (
            await session.execute(
                select(Timer.case_id, Timer.created_at, Timer.due_at).where(
                    Timer.case_kind == "referral",
                    Timer.state == "submitted",
                    Timer.kind == TimerKind.ESCALATION,
                )
            )
        ).tuples()
    }
    events = await session.execute(
        select(Event.case_id, Event.trigger, Event.occurred_at)
        .where(Event.case_kind == "referral", Event.trigger.in_((*ASKED, *ANSWERED, "expire")))
        .order_by(Event.case_id, Event.id)
    )
    delays: list[int] = []
    answered_in_time = 0
    asked: tuple[int, datetime] | None = None
    for case_id, trigger, occurred_at in events.tuples():
        if trigger in ASKED:
            asked = (case_id, occurred_at)
            continue
        if asked is None or asked[0] != case_id:
            continue
        deadline = deadlines.get(asked)
        if trigger in ANSWERED:
            delays.append(business_days_between(asked[1], occurred_at))
            answered_in_time += deadline is not None and occurred_at <= deadline <= end
        asked = None
    # Requests whose deadline passed: answered, expired, or still waiting at the end.
    due = sum(1 for deadline in deadlines.values() if deadline <= end)
    return delays, answered_in_time / due if due else 0.0
