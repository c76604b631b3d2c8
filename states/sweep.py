"""The sweep: act on every timer that fell due, whatever its lifecycle.

A reminder goes to the side the case waits on, an escalation to the coordinators in scope and
the waiting organisation's admins, and a system trigger (``expire``) is fired through the
engine. Each timer is marked fired in the same transaction as what it caused; due timers are
claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent sweeps never act twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import get_kept
from core.enums import Role, TimerKind, TimerStatus
from core.errors import DomainError
from core.models import Organisation, Timer
from notifications.outbox import enqueue
from states import engine
from states.lifecycle import Lifecycle
from states.policy import Actor
from states.recipients import coordinator_recipients, organisation_recipients, recipients_for


@dataclass
class SweepReport:
    """What one sweep did: lines a person can read, per kind of action."""

    reminders: list[str] = field(default_factory=list)
    escalations: list[str] = field(default_factory=list)
    triggers: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line in French."""
        return (
            f"{len(self.reminders)} rappel(s), {len(self.escalations)} alerte(s) aux "
            f"coordinateurs, {len(self.triggers)} action(s) automatique(s), "
            f"{len(self.skipped)} reportée(s)"
        )


@dataclass(frozen=True)
class SweepPolicy:
    """How many timers a sweep claims at once, and how many batches at most per run."""

    batch_size: int = 200
    max_batches: int = 100


_UNKNOWN: Any = object()


async def case_context(
    session: AsyncSession, lifecycle: Lifecycle, case: Any, escalation: Any = _UNKNOWN
) -> dict[str, Any]:
    """What reminders and escalations say of a case: its description and who it waits on.

    ``escalation`` is the case's open escalation time when the caller already read it (the
    overdue list does, for every case at once); otherwise it is looked up.
    """
    assert lifecycle.describe is not None
    context = await lifecycle.describe(session, case)
    waiting = lifecycle.waiting_on.get(case.state)
    if escalation is _UNKNOWN:
        escalation = (
            await session.execute(
                select(Timer.due_at).where(
                    Timer.case_kind == lifecycle.name,
                    Timer.case_id == case.id,
                    Timer.kind == TimerKind.ESCALATION,
                    Timer.closed_at.is_(None),
                )
            )
        ).scalar_one_or_none()
    waiting_organisation = ""
    if waiting is not None and waiting.side in lifecycle.parties:
        organisation_id = getattr(case, lifecycle.parties[waiting.side].key)
        waiting_organisation = (await get_kept(session, Organisation, organisation_id)).name
    elif waiting is not None:
        waiting_organisation = lifecycle.side_labels.get(waiting.side, waiting.side)
    return {
        **context,
        "case_label": lifecycle.case_label,
        "expected_action": waiting.action if waiting else "",
        "waiting_organisation": waiting_organisation,
        "state_entered_at": case.state_entered_at.isoformat(),
        "escalation_at": escalation.isoformat() if escalation else None,
    }


async def _remind(
    session: AsyncSession, lifecycle: Lifecycle, case: Any, timer: Timer, now: datetime
) -> int:
    recipients = await recipients_for(session, lifecycle, case, timer.target)
    rows = enqueue(
        session,
        "reminder",
        key_prefix=f"reminder:{lifecycle.name}-{case.id}:{timer.id}",
        case_kind=lifecycle.name,
        case_id=case.id,
        recipients=recipients,
        context=await case_context(session, lifecycle, case),
        now=now,
    )
    return len(rows)


async def _escalate(
    session: AsyncSession, lifecycle: Lifecycle, case: Any, timer: Timer, now: datetime
) -> int:
    recipients = await coordinator_recipients(session, getattr(case, lifecycle.territory.key))
    waiting = lifecycle.waiting_on.get(case.state)
    if waiting is not None and waiting.side in lifecycle.parties:
        organisation_id = getattr(case, lifecycle.parties[waiting.side].key)
        recipients += await organisation_recipients(
            session, organisation_id, frozenset({Role.ORG_ADMIN})
        )
    rows = enqueue(
        session,
        "escalation",
        key_prefix=f"escalation:{lifecycle.name}-{case.id}:{timer.id}",
        case_kind=lifecycle.name,
        case_id=case.id,
        recipients=recipients,
        context=await case_context(session, lifecycle, case),
        now=now,
    )
    return len(rows)


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


async def _perform(
    session: AsyncSession,
    lifecycle: Lifecycle,
    timer: Timer,
    now: datetime,
    report: SweepReport,
) -> None:
    model = lifecycle.model
    case = (
        await session.execute(
            select(model).where(model.id == timer.case_id).with_for_update(skip_locked=True)
        )
    ).scalar_one_or_none()
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
    if timer.kind is TimerKind.REMINDER:
        count = await _remind(session, lifecycle, case, timer, now)
        report.reminders.append(f"{reference} : rappel à {count} destinataire(s)")
    elif timer.kind is TimerKind.ESCALATION:
        count = await _escalate(session, lifecycle, case, timer, now)
        report.escalations.append(f"{reference} : alerte à {count} destinataire(s)")
    else:
        await engine.apply_transition(
            session, lifecycle, case, timer.target, Actor.system(), None, now
        )
        report.triggers.append(f"{reference} : {timer.target}")
    await session.flush()


async def sweep_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    lifecycles: Mapping[str, Lifecycle],
    now: datetime,
    *,
    policy: SweepPolicy | None = None,
    dry_run: bool = False,
) -> SweepReport:
    """Act on every timer due at ``now``, batch after batch; ``dry_run`` changes nothing."""
    policy = policy or SweepPolicy()
    report = SweepReport()
    for _ in range(policy.max_batches):
        async with sessionmaker() as session:
            timers = (
                (
                    await session.execute(
                        select(Timer)
                        .where(Timer.status == TimerStatus.PENDING, Timer.due_at <= now)
                        .order_by(Timer.due_at, Timer.id)
                        .limit(policy.batch_size)
                        .with_for_update(skip_locked=True)
                    )
                )
                .scalars()
                .all()
            )
            for timer in timers:
                try:
                    async with session.begin_nested():
                        await _perform(session, lifecycles[timer.case_kind], timer, now, report)
                except (DomainError, IntegrityError) as error:
                    report.skipped.append(f"{timer.case_kind} {timer.case_id} : {error}")
            if dry_run:
                await session.rollback()
                return report
            await session.commit()
        if len(timers) < policy.batch_size:
            break
    return report
