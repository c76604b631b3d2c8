"""What awaits a person (their to-do list), soonest deadline first, and the deadlines of a case.

A case awaits an organisation when its state waits on a side (``Lifecycle.waiting_on``)
and that organisation holds the side; a coordinator's list holds everything waiting in their
territory. Its deadline is its open escalation: past it, the coordinators are told and the
case counts as overdue. A state that is a missed deadline in itself (``Waiting.late``: an
expired referral) is overdue from the moment the case enters it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.interfaces import ORMOption

from core.enums import TimerKind
from core.models import Organisation, Timer
from services.redaction import listed
from states.actor import Actor
from states.lifecycle import Lifecycle
from states.policy import awaits_clause
from states.registry import LIFECYCLES
from states.timers import fell_due_clause

INBOX_LIMIT = 200


@dataclass(frozen=True)
class AwaitingCase:
    """A case waiting on the caller, with what it waits for and until when.

    ``deadline`` is the moment the case counts as overdue: its open escalation, or for a
    state that is a missed deadline in itself (an expired referral), the moment it entered it.
    """

    lifecycle: Lifecycle
    case: Any
    action: str
    deadline: datetime | None
    overdue: bool

    @property
    def state_label(self) -> str:
        """The case's state as a person reads it."""
        return self.lifecycle.state_labels.get(self.case.state, self.case.state)


@dataclass(frozen=True)
class CaseDeadline:
    """One open timer of a case, as a person reads it."""

    kind: TimerKind
    due_at: datetime
    passed: bool
    # A milestone's message (``TimerSpec.message``): the « 26 ans » reminder or alert.
    message: str | None = None


async def todo(
    session: AsyncSession,
    actor: Actor,
    now: datetime,
    *,
    options: Mapping[str, Sequence[ORMOption]] | None = None,
    limit: int = INBOX_LIMIT,
) -> list[AwaitingCase]:
    """Every case waiting on ``actor``, of every lifecycle, soonest deadline first.

    One query per lifecycle (``policy.awaits_clause`` says which cases wait on whom); cases
    without deadline come last. ``options`` loads, per lifecycle name, what a page shows.
    """
    found: list[AwaitingCase] = []
    for lifecycle in LIFECYCLES.values():
        found.extend(
            await awaiting(
                session, lifecycle, actor, now, (options or {}).get(lifecycle.name, ()), limit
            )
        )
    found.sort(
        key=lambda item: (
            item.deadline is None, item.deadline or now, item.lifecycle.name, item.case.id,
        )
    )  # fmt: skip
    return found[:limit]


@dataclass(frozen=True)
class TodoEntry:
    """One line of a to-do list as the API gives it: the case, what is expected of whom, by
    when. Nothing about the person."""

    lifecycle: str
    case_id: int
    reference: str
    case_label: str
    state: str
    state_label: str
    expected_action: str
    waiting_on: str
    deadline: datetime | None
    overdue: bool
    path: str


@dataclass(frozen=True)
class TodoList:
    """A to-do list, and whether more cases wait than it shows."""

    items: list[TodoEntry]
    truncated: bool


async def list_todo(session: AsyncSession, actor: Actor, now: datetime, limit: int) -> TodoList:
    """``GET /api/todo``: what waits on ``actor`` (``todo``), with who is expected to act."""
    found = await todo(session, actor, now, limit=limit + 1)
    shown = found[:limit]
    organisation_ids = {
        getattr(item.case, item.lifecycle.parties[side].key)
        for item in shown
        if (side := item.lifecycle.waiting_on[item.case.state].side) in item.lifecycle.parties
    }
    rows = await session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.id.in_(organisation_ids))
    )
    names = dict(rows.tuples().all())
    return TodoList([_entry(item, names) for item in shown], truncated=len(found) > limit)


def _entry(item: AwaitingCase, names: Mapping[int, str]) -> TodoEntry:
    lifecycle, case = item.lifecycle, item.case
    side = lifecycle.waiting_on[case.state].side
    if side in lifecycle.parties:
        waiting_on = names[getattr(case, lifecycle.parties[side].key)]
    else:
        waiting_on = lifecycle.side_labels.get(side, side)
    return TodoEntry(
        lifecycle=lifecycle.name,
        case_id=case.id,
        reference=case.reference,
        case_label=lifecycle.case_label,
        state=case.state,
        state_label=item.state_label,
        expected_action=item.action,
        waiting_on=waiting_on,
        deadline=item.deadline,
        overdue=item.overdue,
        path=lifecycle.case_path(case.id),
    )


def _waiting_clause(lifecycle: Lifecycle, actor: Actor, now: datetime) -> Any:
    """SQL condition: the case of ``lifecycle`` is on ``actor``'s to-do list at ``now``
    (None: nothing of ``lifecycle`` can be)."""
    clause = awaits_clause(actor, lifecycle)
    checked_on = lifecycle.progress_check_states
    if clause is not None and checked_on:
        # Ongoing work is on the list once its progress check fell due, until a note.
        check_due = fell_due_clause(lifecycle, TimerKind.REMINDER, now)
        clause = and_(clause, or_(lifecycle.model.state.not_in(checked_on), check_due))
    return clause


TODO_COUNT_CAP = 99
"""The menu's figure stops there (« 99+ »): counting every case waiting on a coordinator of
all Paris would scan them all on every page (1.3 s at 180,000 referrals)."""


async def count_todo(
    session: AsyncSession, actor: Actor, now: datetime, cap: int = TODO_COUNT_CAP
) -> int:
    """How many cases wait on ``actor`` (``todo``'s list), the menu's figure: at most
    ``cap + 1``, which reads « more than the cap ».

    One query whatever the number of lifecycles: a sum of one bounded count per lifecycle,
    each stopping at the cap's next row.
    """
    counts = [
        select(func.count())
        .select_from(
            select(literal(1)).select_from(lifecycle.model).where(clause).limit(cap + 1).subquery()
        )
        .scalar_subquery()
        for lifecycle in LIFECYCLES.values()
        if (clause := _waiting_clause(lifecycle, actor, now)) is not None
    ]
    if not counts:
        return 0
    total = await session.scalar(select(sum(counts[1:], counts[0])))
    return min(int(total or 0), cap + 1)


async def awaiting(
    session: AsyncSession,
    lifecycle: Lifecycle,
    actor: Actor,
    now: datetime,
    options: Sequence[ORMOption] = (),
    limit: int = INBOX_LIMIT,
) -> list[AwaitingCase]:
    """The cases of ``lifecycle`` waiting on ``actor``, soonest deadline first."""
    clause = _waiting_clause(lifecycle, actor, now)
    if clause is None:
        return []
    model = lifecycle.model
    escalation = (
        select(Timer.case_id, Timer.due_at)
        .where(
            Timer.case_kind == lifecycle.name,
            Timer.kind == TimerKind.ESCALATION,
            Timer.closed_at.is_(None),
            Timer.message.is_(None),
        )
        .subquery()
    )
    late = lifecycle.late_states
    deadline = (
        case((model.state.in_(late), model.state_entered_at), else_=escalation.c.due_at)
        if late
        else escalation.c.due_at
    ).label("deadline")
    rows = await session.execute(
        select(model, deadline)
        .outerjoin(escalation, escalation.c.case_id == model.id)
        .where(clause)
        .order_by(deadline.is_(None), deadline, model.id)
        .limit(limit)
        .options(*options)
    )
    found = list(rows.tuples())
    # A coordinator's list names no one (``services.redaction.listed``).
    shown = listed(actor, lifecycle, [item for item, _ in found])
    return [
        AwaitingCase(
            lifecycle,
            item,
            lifecycle.waiting_on[item.state].action,
            moment,
            moment is not None and moment <= now,
        )
        for item, (_, moment) in zip(shown, found, strict=True)
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
            Timer.message.is_(None),
        )
    )
    return dict(rows.tuples().all())


async def case_deadlines(
    session: AsyncSession, lifecycle: Lifecycle, case_id: int, now: datetime
) -> list[CaseDeadline]:
    """The open timers of one case, soonest first (the caller has already seen the case)."""
    rows = await session.execute(
        select(Timer.kind, Timer.due_at, Timer.message)
        .where(
            Timer.case_kind == lifecycle.name,
            Timer.case_id == case_id,
            Timer.closed_at.is_(None),
        )
        .order_by(Timer.due_at)
    )
    return [
        CaseDeadline(kind, due_at, due_at <= now, message)
        for kind, due_at, message in rows.tuples()
    ]
