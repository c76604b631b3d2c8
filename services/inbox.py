"""What awaits an organisation, soonest deadline first, and the deadlines of one case.

A case awaits an organisation when its state waits on a side (``Lifecycle.waiting_on``)
and that organisation holds the side. Its deadline is its open escalation: past it, the
coordinators are told and the case counts as overdue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.interfaces import ORMOption

from core.enums import TimerKind
from core.models import Timer
from states.actor import Actor
from states.lifecycle import Lifecycle
from states.policy import may_work_cases

INBOX_LIMIT = 200


@dataclass(frozen=True)
class AwaitingCase:
    """A case waiting on the caller's organisation, with what it waits for and until when."""

    lifecycle: Lifecycle
    case: Any
    action: str
    deadline: datetime | None
    overdue: bool


@dataclass(frozen=True)
class CaseDeadline:
    """One open timer of a case, as a person reads it."""

    kind: TimerKind
    due_at: datetime
    passed: bool


async def awaiting(
    session: AsyncSession,
    lifecycle: Lifecycle,
    actor: Actor,
    now: datetime,
    options: Sequence[ORMOption] = (),
    limit: int = INBOX_LIMIT,
) -> list[AwaitingCase]:
    """The cases of ``lifecycle`` waiting on ``actor``'s organisation, soonest deadline first.

    One query whatever the number of cases: cases without deadline come last. Nothing
    awaits a role that works no cases (a secretary, an admin), whatever their organisation.
    """
    if not may_work_cases(actor):
        return []
    assert actor.organisation_id is not None
    model = lifecycle.model
    waiting = [
        and_(model.state == state, lifecycle.parties[wait.side] == actor.organisation_id)
        for state, wait in lifecycle.waiting_on.items()
        if wait.side in lifecycle.parties
    ]
    if not waiting:
        return []
    escalation = (
        select(Timer.case_id, Timer.due_at)
        .where(
            Timer.case_kind == lifecycle.name,
            Timer.kind == TimerKind.ESCALATION,
            Timer.closed_at.is_(None),
        )
        .subquery()
    )
    rows = await session.execute(
        select(model, escalation.c.due_at)
        .outerjoin(escalation, escalation.c.case_id == model.id)
        .where(or_(*waiting))
        .order_by(escalation.c.due_at.is_(None), escalation.c.due_at, model.id)
        .limit(limit)
        .options(*options)
    )
    return [
        AwaitingCase(
            lifecycle,
            case,
            lifecycle.waiting_on[case.state].action,
            deadline,
            deadline is not None and deadline <= now,
        )
        for case, deadline in rows.tuples()
    ]


async def escalation_deadlines(
    session: AsyncSession, lifecycle: Lifecycle, case_ids: Sequence[int]
) -> dict[int, datetime]:
    """The open escalation instant of each of ``case_ids`` that has one."""
    if not case_ids:
        return {}
    rows = await session.execute(
        select(Timer.case_id, Timer.due_at).where(
            Timer.case_kind == lifecycle.name,
            Timer.case_id.in_(case_ids),
            Timer.kind == TimerKind.ESCALATION,
            Timer.closed_at.is_(None),
        )
    )
    return dict(rows.tuples().all())


async def case_deadlines(
    session: AsyncSession, lifecycle: Lifecycle, case_id: int, now: datetime
) -> list[CaseDeadline]:
    """The open timers of one case, soonest first (the caller has already seen the case)."""
    rows = await session.execute(
        select(Timer.kind, Timer.due_at)
        .where(
            Timer.case_kind == lifecycle.name,
            Timer.case_id == case_id,
            Timer.closed_at.is_(None),
        )
        .order_by(Timer.due_at)
    )
    return [CaseDeadline(kind, due_at, due_at <= now) for kind, due_at in rows.tuples()]
