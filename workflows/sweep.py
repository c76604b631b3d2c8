"""The sweep: act on every timer that fell due, whatever its lifecycle.

A reminder goes to the side the case waits on, an escalation to the coordinators in scope and
the waiting organisation's admins (but those who chose the daily digest only: it lists the
case the next morning), and a system trigger (``expire``) is fired through the
engine. Each timer is marked fired in the same transaction as what it caused; due timers are
claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent sweeps never act twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import get_kept, transaction
from core.enums import MessageKey, Role, TimerKind, TimerStatus
from core.errors import DomainError
from core.models import Organisation, Timer
from core.models.trail import PENDING
from core.outbox import enqueue
from services.case_context import UNKNOWN, case_context
from states import engine
from states.actor import Actor
from states.lifecycle import Lifecycle
from states.recipients import (
    case_coordinators,
    digest_only,
    organisation_recipients,
    recipients_for,
    recipients_remembered,
)


@dataclass
class SweepReport:
    """What one sweep did: lines a person can read, per kind of action."""

    reminders: list[str] = field(default_factory=list)
    escalations: list[str] = field(default_factory=list)
    triggers: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    # Reminders or alerts that reached nobody, not even the coordinators: what must never be.
    silent: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line in French."""
        line = (
            f"{len(self.reminders)} rappel(s), {len(self.escalations)} alerte(s) aux "
            f"coordinateurs, {len(self.triggers)} action(s) automatique(s), "
            f"{len(self.skipped)} reportée(s)"
        )
        if self.silent:
            line += f", {len(self.silent)} sans aucun destinataire"
        return line


@dataclass(frozen=True)
class SweepPolicy:
    """How many timers a sweep claims at once, and how many batches at most per run."""

    batch_size: int = 200
    max_batches: int = 100


@dataclass
class Batch:
    """What a batch's timers need, read for all of them at once: their cases, locked (those
    another transaction holds are absent), and the cases' open escalation times."""

    cases: dict[tuple[str, int], Any]
    escalations: dict[tuple[str, int], datetime]
    moved_cases: set[tuple[str, int]] = field(default_factory=set)

    @classmethod
    async def read(
        cls, session: AsyncSession, lifecycles: Mapping[str, Lifecycle], timers: Sequence[Timer]
    ) -> Batch:
        """Lock the batch's cases (``SKIP LOCKED``) and read their escalation times."""
        cases: dict[tuple[str, int], Any] = {}
        escalations: dict[tuple[str, int], datetime] = {}
        for name in sorted({timer.case_kind for timer in timers}):
            model = lifecycles[name].model
            ids = sorted({timer.case_id for timer in timers if timer.case_kind == name})
            locked = await session.execute(
                select(model)
                .where(model.id.in_(ids))
                .order_by(model.id)
                .with_for_update(skip_locked=True)
            )
            cases.update(((name, case.id), case) for case in locked.scalars())
            due = await session.execute(
                select(Timer.case_id, Timer.due_at).where(
                    Timer.case_kind == name,
                    Timer.case_id.in_(ids),
                    Timer.kind == TimerKind.ESCALATION,
                    Timer.closed_at.is_(None),
                    Timer.message.is_(None),
                )
            )
            escalations.update(((name, case_id), due_at) for case_id, due_at in due.tuples())
        return cls(cases, escalations)

    def escalation(self, lifecycle: Lifecycle, case_id: int) -> Any:
        """The case's open escalation time (None if it has none), or ``UNKNOWN`` once the
        case moved during the batch, for ``case_context`` to look it up again."""
        key = (lifecycle.name, case_id)
        return UNKNOWN if key in self.moved_cases else self.escalations.get(key)

    def moved(self, lifecycle: Lifecycle, case_id: int) -> None:
        """The case changed state during the batch."""
        self.moved_cases.add((lifecycle.name, case_id))


async def _remind(
    session: AsyncSession,
    lifecycle: Lifecycle,
    case: Any,
    timer: Timer,
    now: datetime,
    batch: Batch,
) -> tuple[str, int]:
    """Remind the side the timer names; when nobody there can read it, alert at once.

    Returns the kind of message sent (``MessageKey.REMINDER``, or ``MessageKey.ESCALATION``
    when the reminder had nobody to reach) and how many people it reached.
    """
    recipients = await recipients_for(session, lifecycle, case, timer.target)
    if recipients:
        message = timer.message or MessageKey.REMINDER
        count = await _notify(session, message, lifecycle, case, timer, recipients, now, batch)
        return MessageKey.REMINDER, count
    side = lifecycle.side_labels.get(timer.target) or timer.target
    if timer.target in lifecycle.parties:
        organisation_id = getattr(case, lifecycle.parties[timer.target].key)
        side = (await get_kept(session, Organisation, organisation_id)).name
    reason = f"ni compte actif ni adresse de contact chez {side}"
    count, _ = await _escalate(session, lifecycle, case, timer, now, batch, unreachable=reason)
    return MessageKey.ESCALATION, count


async def _escalate(
    session: AsyncSession,
    lifecycle: Lifecycle,
    case: Any,
    timer: Timer,
    now: datetime,
    batch: Batch,
    *,
    unreachable: str | None = None,
) -> tuple[int, int]:
    """Alert the coordinators in scope and the waiting organisation's admins.

    Returns how many were emailed, and how many chose the daily digest instead: those get
    no email for a plain escalation, which their next digest lists (``services.overdue``
    lists every case past its escalation). A milestone's own alert and a reminder that
    reached nobody are in no digest, so they are emailed to everyone.
    """
    recipients = await case_coordinators(session, lifecycle, case)
    waiting = lifecycle.waiting_on.get(case.state)
    if waiting is not None and waiting.side in lifecycle.parties:
        organisation_id = getattr(case, lifecycle.parties[waiting.side].key)
        recipients += await organisation_recipients(
            session, organisation_id, frozenset({Role.ORG_ADMIN})
        )
    deferred: set[int] = set()
    if timer.kind is TimerKind.ESCALATION and timer.message is None and unreachable is None:
        deferred = await digest_only(session, recipients)
        recipients = [(email, user_id) for email, user_id in recipients if user_id not in deferred]
    count = await _notify(
        session,
        # A milestone's own alert; a reminder that reached nobody is a plain escalation.
        (timer.message if timer.kind is TimerKind.ESCALATION else None) or MessageKey.ESCALATION,
        lifecycle,
        case,
        timer,
        recipients,
        now,
        batch,
        extra={"unreachable": unreachable},
    )
    return count, len(deferred)


async def _notify(
    session: AsyncSession,
    message: str,
    lifecycle: Lifecycle,
    case: Any,
    timer: Timer,
    recipients: Iterable[tuple[str, int | None]],
    now: datetime,
    batch: Batch,
    extra: Mapping[str, Any] | None = None,
) -> int:
    """Queue ``message`` about ``case`` for ``recipients``, once for ``timer``."""
    context = await case_context(session, lifecycle, case, batch.escalation(lifecycle, case.id))
    return await enqueue(
        session,
        message,
        key_prefix=f"{message}:{lifecycle.name}-{case.id}:{timer.id}",
        case_kind=lifecycle.name,
        case_id=case.id,
        recipients=recipients,
        context={**context, **(extra or {})},
        now=now,
    )


async def _may_close_timers(session: AsyncSession, lifecycle: Lifecycle, case_id: int) -> bool:
    """Lock every open timer of the case without waiting; False if another transaction holds one."""
    open_timers = (
        Timer.case_kind == lifecycle.name,
        Timer.case_id == case_id,
        Timer.closed_at.is_(None),
    )
    count = (
        await session.execute(select(func.count()).select_from(Timer).where(*open_timers))
    ).scalar_one()
    locked = (
        await session.execute(
            select(Timer.id).where(*open_timers).with_for_update(skip_locked=True)
        )
    ).all()
    return len(locked) == count


async def _tell(
    session: AsyncSession,
    lifecycle: Lifecycle,
    case: Any,
    timer: Timer,
    now: datetime,
    batch: Batch,
    report: SweepReport,
) -> None:
    """A reminder or an escalation, and its line in the report (``silent`` if nobody got it)."""
    reference = getattr(case, "reference", str(case.id))
    if timer.kind is TimerKind.ESCALATION:
        count, deferred = await _escalate(session, lifecycle, case, timer, now, batch)
        line = f"{reference} : alerte à {count} destinataire(s)"
        if deferred:
            line += f", {deferred} par le résumé du jour"
        report.escalations.append(line)
        # Whoever chose the digest hears of it there: reached, not silent.
        count += deferred
    else:
        sent, count = await _remind(session, lifecycle, case, timer, now, batch)
        if sent == MessageKey.REMINDER:
            report.reminders.append(f"{reference} : rappel à {count} destinataire(s)")
        else:
            report.escalations.append(
                f"{reference} : rappel sans destinataire, alerte à {count} destinataire(s)"
            )
    if count == 0:
        report.silent.append(f"{reference} : {timer.kind.label.lower()} sans aucun destinataire")


async def _milestone_pointless(
    session: AsyncSession, lifecycle: Lifecycle, case: Any, timer: Timer
) -> str | None:
    """Why a milestone that fell due has nothing to say after all (``TimerSpec.unless``)."""
    if timer.message is None:
        return None
    for spec in lifecycle.timers.get(timer.state, ()):
        if spec.message == timer.message and spec.kind is timer.kind and spec.unless:
            return await spec.unless(session, case)
    return None


async def _perform(
    session: AsyncSession,
    lifecycle: Lifecycle,
    timer: Timer,
    now: datetime,
    report: SweepReport,
    batch: Batch,
) -> None:
    case = batch.cases.get((lifecycle.name, timer.case_id))
    if case is not None and inspect(case).expired_attributes:
        # An earlier timer of the batch failed on this case and its savepoint was rolled
        # back: read the case again (it stays locked by the batch's transaction).
        await session.refresh(case)
    label = f"{lifecycle.name} {timer.case_id} ({timer.kind.value} {timer.target})"
    if case is None:
        # Someone is changing this case right now: their transaction settles its timers.
        report.skipped.append(label)
        return
    if timer.kind is TimerKind.TRIGGER and not await _may_close_timers(session, lifecycle, case.id):
        # Firing closes every open timer of the case, and one is claimed by a concurrent
        # sweep. Waiting for it could deadlock (that sweep may be firing a trigger on a case
        # whose timer we claimed): leave this one to the next sweep.
        report.skipped.append(label)
        return
    reference = getattr(case, "reference", str(case.id))
    timer.status = TimerStatus.FIRED
    timer.fired_at = now
    pointless = await _milestone_pointless(session, lifecycle, case, timer)
    if pointless is not None:
        report.skipped.append(f"{reference} : {pointless}")
    elif timer.kind is TimerKind.TRIGGER:
        await engine.apply_transition(
            session, lifecycle, case, timer.target, Actor.system(), None, now
        )
        batch.moved(lifecycle, case.id)
        report.triggers.append(f"{reference} : {timer.target}")
    else:
        await _tell(session, lifecycle, case, timer, now, batch, report)
    await session.flush()


async def sweep_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    lifecycles: Mapping[str, Lifecycle],
    now: datetime,
    *,
    policy: SweepPolicy | None = None,
    dry_run: bool = False,
    report: SweepReport | None = None,
) -> SweepReport:
    """Act on every timer due at ``now``, batch after batch; ``dry_run`` changes nothing.

    ``report``, when given, is filled as the sweep goes: a caller keeps what the batches
    committed before a run died half-way (the simulation counts the silent alerts so).
    """
    policy = policy or SweepPolicy()
    report = report if report is not None else SweepReport()
    for _ in range(policy.max_batches):
        async with sessionmaker() as session, transaction(session, dry_run=dry_run):
            timers = (
                (
                    await session.execute(
                        select(Timer)
                        # Written out, not bound: the pending timers' partial index
                        # (``ix_timers_pending``) applies to every plan, generic ones too.
                        .where(text(f"timers.{PENDING}"), Timer.due_at <= now)
                        .order_by(Timer.due_at, Timer.id)
                        .limit(policy.batch_size)
                        .with_for_update(skip_locked=True)
                    )
                )
                .scalars()
                .all()
            )
            batch = await Batch.read(session, lifecycles, timers)
            with recipients_remembered(session):
                for timer in timers:
                    try:
                        async with session.begin_nested():
                            lifecycle = lifecycles[timer.case_kind]
                            await _perform(session, lifecycle, timer, now, report, batch)
                    except (DomainError, IntegrityError) as error:
                        report.skipped.append(f"{timer.case_kind} {timer.case_id} : {error}")
        if dry_run or len(timers) < policy.batch_size:
            break
    return report
