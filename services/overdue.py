"""Overdue cases across every lifecycle, and the daily digest that lists them.

A case is overdue once its escalation time has passed and it has not moved since, or while it
is in a state that is a missed deadline in itself (``Waiting.late``: an expired referral not
yet resubmitted, redirected or closed), from the moment it entered it. The digest
goes each business day to every coordinator (their scope) and organisation admin (their
organisation's cases), grouped by the organisation that is expected to act, oldest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from core.business_days import business_days_between_dates, paris_date
from core.db import keep_rows
from core.enums import TimerKind
from core.models import Offer, Organisation, Timer
from services.case_context import case_context
from states.actor import Actor
from states.lifecycle import Lifecycle
from states.policy import responsibility_clause


@dataclass(frozen=True)
class OverdueCase:
    """One overdue case as the digest and ``/api/overdue`` show it: no personal data."""

    lifecycle: str
    case_id: int
    reference: str
    case_label: str
    state: str
    state_label: str
    subject_line: str
    path: str
    waiting_organisation: str
    escalation_at: datetime
    days_overdue: int


@dataclass(frozen=True)
class OverdueGroup:
    """The overdue cases waiting on one organisation, oldest first."""

    organisation: str
    cases: list[OverdueCase]

    @property
    def count(self) -> int:
        """How many cases wait on this organisation."""
        return len(self.cases)


def business_days_late(escalation_at: datetime, now: datetime) -> int:
    """How many business days a case overdue since ``escalation_at`` has been late at ``now``
    (one on the day itself)."""
    return business_days_late_on(paris_date(escalation_at), now)


def business_days_late_on(day: date, now: datetime) -> int:
    """``business_days_late`` of a case overdue since the Paris date ``day``."""
    return max(business_days_between_dates(day, paris_date(now)), 1)


OVERDUE_PAGE = 1000
"""How many overdue cases are read at once: memory follows one page, not the whole table."""


class CaseFilter(Protocol):
    """A further SQL condition on a lifecycle's cases (the dashboard's territory filter),
    shaped for a read that walks a few cases in order when ``case_by_case``
    (``policy.territory_clause``)."""

    def __call__(
        self, lifecycle: Lifecycle, /, *, case_by_case: bool = False
    ) -> ColumnElement[bool]: ...


def overdue_selects(
    lifecycle: Lifecycle,
    actor: Actor,
    now: datetime,
    *columns: Any,
    where: CaseFilter | None = None,
    case_by_case: bool = False,
) -> list[tuple[Select[Any], Any]]:
    """The statements selecting ``columns`` of ``lifecycle``'s cases overdue at ``now`` that
    ``actor`` follows, each with the moment its cases became overdue: past their open
    escalation (in a state that has one, not late in itself), and (for a lifecycle that has
    some) in a state that is late in itself.
    ``case_by_case``: the caller reads a few of them, in order (``where``'s shape)."""
    model = lifecycle.model
    late = lifecycle.late_states
    escalating = sorted(str(state) for state in lifecycle.escalation_states if state not in late)
    scope = [responsibility_clause(actor, lifecycle)]
    if where is not None:
        scope.append(where(lifecycle, case_by_case=case_by_case))
    past_escalation = (
        select(*columns, Timer.due_at)
        .select_from(model)
        .join(Timer, (Timer.case_kind == lifecycle.name) & (Timer.case_id == model.id))
        .where(
            Timer.kind == TimerKind.ESCALATION,
            Timer.closed_at.is_(None),
            Timer.message.is_(None),
            Timer.due_at <= now,
            # The states written out, not bound: PostgreSQL reads a partial index only for a
            # statement that names its states itself (``ix_referrals_overdue_parties``).
            model.state.in_([literal(state, literal_execute=True) for state in escalating]),
            *scope,
        )
    )
    selects: list[tuple[Select[Any], Any]] = [(past_escalation, Timer.due_at)]
    if late:
        # An expired referral is late from the moment it expired, whatever its timers.
        in_late_state = select(*columns, model.state_entered_at).where(
            model.state.in_(late), model.state_entered_at <= now, *scope
        )
        selects.append((in_late_state, model.state_entered_at))
    return selects


async def overdue_cases(
    session: AsyncSession,
    lifecycles: Sequence[Lifecycle],
    actor: Actor,
    now: datetime,
    *,
    where: CaseFilter | None = None,
) -> list[OverdueCase]:
    """Every case ``actor`` may see whose escalation time has passed, oldest first, narrowed
    by ``where`` (a page of them: ``services.overdue_pages``).

    Set-based: one query per page of cases (with their escalation time), and the few
    organisations and offers they name are read once per session; each case row is released
    once described, so only the list itself stays in memory.
    """
    found: list[OverdueCase] = []
    for lifecycle in lifecycles:
        for statement, since in overdue_selects(
            lifecycle, actor, now, lifecycle.model, where=where
        ):
            found.extend(await _described(session, lifecycle, statement, since, now))
    found.sort(key=lambda item: (item.escalation_at, item.lifecycle, item.case_id))
    return found


async def _described(
    session: AsyncSession,
    lifecycle: Lifecycle,
    statement: Select[Any],
    since: Any,
    now: datetime,
) -> list[OverdueCase]:
    """The cases ``statement`` selects (each with the moment it became overdue, ``since``),
    read a page at a time in that order and described."""
    model = lifecycle.model
    statement = statement.order_by(since, model.id).limit(OVERDUE_PAGE)
    found: list[OverdueCase] = []
    after: tuple[datetime, int] | None = None
    while True:
        page = statement
        if after is not None:
            page = page.where(tuple_(since, model.id) > after)
        rows = (await session.execute(page)).tuples().all()
        await _keep_named(session, model, [case for case, _ in rows])
        for case, overdue_since in rows:
            found.append(await _overdue_case(session, lifecycle, case, overdue_since, now))
            session.expunge(case)
        if len(rows) < OVERDUE_PAGE:
            return found
        after = (rows[-1][1], rows[-1][0].id)


async def describe_overdue(
    session: AsyncSession, now: datetime, found: Sequence[tuple[Lifecycle, int, datetime]]
) -> list[OverdueCase]:
    """The cases ``found`` (lifecycle, id, moment it became overdue) described, in that order:
    one query per lifecycle for the cases, one per kind of row they name.

    The cases are read as plain rows of their table's columns, not as ORM entities: a
    description only reads their columns (``Lifecycle.describe``), and an entity costs its
    identity map entry and its state for each case of an export of thousands.
    """
    by_lifecycle: dict[str, dict[int, Any]] = {}
    for lifecycle in {item[0].name: item[0] for item in found}.values():
        model = lifecycle.model
        ids = {case_id for owner, case_id, _ in found if owner is lifecycle}
        table = model.__table__
        cases = (await session.execute(select(table).where(table.c.id.in_(ids)))).all()
        await _keep_named(session, model, cases)
        by_lifecycle[lifecycle.name] = {case.id: case for case in cases}
    described = []
    for lifecycle, case_id, since in found:
        case = by_lifecycle[lifecycle.name].get(case_id)
        if case is not None:  # deleted between its key's read and this one
            described.append(await _overdue_case(session, lifecycle, case, since, now))
    return described


NAMED = (Organisation, Offer)
"""What describing a case reads of the rows it points to (``Lifecycle.describe``)."""


async def _keep_named(session: AsyncSession, model: Any, cases: Sequence[Any]) -> None:
    """Read at once the organisations and offers a page of ``cases`` points to."""
    for named in NAMED:
        columns = [
            key.parent.key
            for key in model.__table__.foreign_keys
            if key.column.table is named.__table__
        ]
        idents = {getattr(case, column) for case in cases for column in columns}
        await keep_rows(session, named, {ident for ident in idents if ident is not None})


async def _overdue_case(
    session: AsyncSession, lifecycle: Lifecycle, case: Any, escalation_at: datetime, now: datetime
) -> OverdueCase:
    context = await case_context(session, lifecycle, case, escalation_at)
    return OverdueCase(
        lifecycle=lifecycle.name,
        case_id=case.id,
        reference=context["reference"],
        case_label=lifecycle.case_label,
        state=case.state,
        state_label=context["state_label"],
        subject_line=context["subject_line"],
        path=context["path"],
        waiting_organisation=context["waiting_organisation"],
        escalation_at=escalation_at,
        days_overdue=business_days_late(escalation_at, now),
    )


def group_by_organisation(cases: Sequence[OverdueCase]) -> list[OverdueGroup]:
    """Cases grouped by the organisation expected to act; the group with the oldest first."""
    ordered = sorted(cases, key=lambda item: (item.waiting_organisation, item.escalation_at))
    groups = [
        OverdueGroup(organisation, list(items))
        for organisation, items in groupby(ordered, key=lambda item: item.waiting_organisation)
    ]
    groups.sort(key=lambda group: (group.cases[0].escalation_at, group.organisation))
    return groups
