"""A case's timers: opened when it enters a state, closed when it leaves, counted in business
days (Europe/Paris) from the state's entry or an anchor; and the overdue condition."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any, cast

from sqlalchemy import (
    DateTime,
    Integer,
    String,
    Table,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy import case as sql_case
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Update
from sqlalchemy.sql.selectable import TableValuedAlias
from sqlalchemy.types import TypeEngine

from core.enums import TimerKind, TimerStatus
from core.models import Timer
from states.lifecycle import Lifecycle, TimerSpec, timer_start

TIMERS = cast(Table, Timer.__table__)

_ARRAY_OF: dict[str, TypeEngine[Any]] = {
    "case_id": Integer(),
    "due_at": DateTime(timezone=True),
    "created_at": DateTime(timezone=True),
}


def closing_timers(case_kind: Any, case_id: Any, closing_at: Any) -> Update:
    """The update that closes the open timers of a case leaving their state, the pending ones
    cancelled: ``case_kind``, ``case_id`` and ``closing_at`` are SQL expressions."""
    return (
        update(TIMERS)
        .where(
            TIMERS.c.case_kind == case_kind,
            TIMERS.c.case_id == case_id,
            TIMERS.c.closed_at.is_(None),
        )
        .values(
            status=sql_case(
                (TIMERS.c.status == TimerStatus.PENDING, TimerStatus.CANCELLED),
                else_=TIMERS.c.status,
            ),
            closed_at=closing_at,
        )
    )


def timer_rows(prefix: str, columns: Sequence[str]) -> TableValuedAlias:
    """Timer rows sent as one PostgreSQL array per column (parameters ``prefix`` + column,
    ``timer_arrays``) and read back as a table: a statement that inserts them is compiled
    once whatever their number (a multi-row VALUES is compiled again at each use)."""
    return (
        func.unnest(
            *(
                bindparam(f"{prefix}{column}", type_=ARRAY(_ARRAY_OF.get(column, String())))
                for column in columns
            )
        )
        .table_valued(*columns)
        .render_derived()
    )


def timer_arrays(
    prefix: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> dict[str, list[Any]]:
    """The parameters of ``timer_rows``: ``rows``' values, column by column, an enum by its
    value (the driver writes arrays of plain values)."""
    return {
        f"{prefix}{column}": [
            row[column].value if isinstance(row[column], Enum) else row[column] for row in rows
        ]
        for column in columns
    }


# The statements every transition runs, built once: only their parameters change.
OPEN_TIMERS = insert(TIMERS)
CLOSE_TIMERS = closing_timers(bindparam("lifecycle"), bindparam("case"), bindparam("closing_at"))
_COLUMNS = (
    "case_kind",
    "case_id",
    "state",
    "kind",
    "target",
    "due_at",
    "status",
    "created_at",
    "message",
)
# Named apart from the columns: a parameter named as a column would be SET by the CTE.
_PLANNED = timer_rows("planned_", _COLUMNS)
# PostgreSQL: the closing as a CTE of the insert.
REPLACE_TIMERS = (
    insert(TIMERS)
    .from_select(list(_COLUMNS), select(*(_PLANNED.c[column] for column in _COLUMNS)))
    .add_cte(CLOSE_TIMERS.cte())
)


async def close_timers(
    session: AsyncSession, lifecycle: Lifecycle, case_id: int, now: datetime
) -> None:
    """Close the timers of the state the case leaves: pending ones are cancelled."""
    await session.execute(
        CLOSE_TIMERS, {"lifecycle": lifecycle.name, "case": case_id, "closing_at": now}
    )


async def reset_timers(
    session: AsyncSession, lifecycle: Lifecycle, case: Any, now: datetime
) -> None:
    """Recount the case's current timers, after a date they count from has moved."""
    await close_timers(session, lifecycle, case.id, now)
    await open_timers(session, lifecycle, case, case.state_entered_at, now)


async def replace_anchored_timers(
    session: AsyncSession, lifecycle: Lifecycle, case: Any, anchor: str, now: datetime
) -> None:
    """Recount the milestones of the case's state that count from ``anchor`` (a birthday),
    after it moved: their pending timers are cancelled and opened again from the new date;
    the state's other timers are left as they are (a reminder already sent is not resent)."""
    specs = [
        spec
        for spec in lifecycle.timers.get(case.state, ())
        if spec.anchor == anchor and spec.message is not None
    ]
    if not specs:
        return
    await session.execute(
        update(TIMERS)
        .where(
            TIMERS.c.case_kind == lifecycle.name,
            TIMERS.c.case_id == case.id,
            TIMERS.c.closed_at.is_(None),
            TIMERS.c.status == TimerStatus.PENDING,
            TIMERS.c.message.in_([spec.message for spec in specs]),
        )
        .values(status=TimerStatus.CANCELLED, closed_at=now)
    )
    await open_timers(session, lifecycle, case, case.state_entered_at, now, specs=specs)


async def open_timers(
    session: AsyncSession,
    lifecycle: Lifecycle,
    case: Any,
    entered_at: datetime,
    now: datetime,
    *,
    specs: Sequence[TimerSpec] | None = None,
) -> None:
    """Create the timers the case's state declares (or only ``specs`` of them), counted from
    ``entered_at`` or their anchor."""
    rows = await plan_timers(session, lifecycle, case, entered_at, now, specs=specs)
    await write_timers(session, rows)


async def replace_timers(
    session: AsyncSession,
    lifecycle: Lifecycle,
    case: Any,
    left: str,
    rows: Sequence[Mapping[str, Any]],
    now: datetime,
) -> None:
    """Close the timers of the state ``left`` and open ``rows`` (``plan_timers``): on
    PostgreSQL in one statement (the closing as a CTE of the insert)."""
    closing = {"lifecycle": lifecycle.name, "case": case.id, "closing_at": now}
    if rows and session.get_bind().dialect.name == "postgresql":
        # Both parts see the snapshot taken before the statement: the closing never
        # touches the rows the insert adds.
        await session.execute(
            REPLACE_TIMERS, {**closing, **timer_arrays("planned_", _COLUMNS, rows)}
        )
        return
    if lifecycle.timers.get(left):
        # A state without timers left none open: nothing to close.
        await session.execute(CLOSE_TIMERS, closing)
    await write_timers(session, rows)


async def plan_timers(
    session: AsyncSession,
    lifecycle: Lifecycle,
    case: Any,
    entered_at: datetime,
    now: datetime,
    *,
    specs: Sequence[TimerSpec] | None = None,
) -> list[dict[str, Any]]:
    """The rows of the timers ``open_timers`` creates, not written yet (``write_timers``)."""
    if specs is None:
        specs = lifecycle.timers.get(case.state, ())
    if not specs:
        return []
    overrides: Mapping[tuple[str, TimerKind], int] = {}
    if lifecycle.deadline_overrides is not None:
        overrides = await lifecycle.deadline_overrides(session, case)
    rows = []
    for spec in specs:
        start = timer_start(spec, case, entered_at)
        if start is None:
            continue
        days = overrides.get((case.state, spec.kind), spec.business_days)
        due_at = spec.due_at(start, days)
        if spec.message is not None and await _milestone_fired(
            session, lifecycle, case.id, spec, due_at
        ):
            continue
        rows.append(
            {
                "case_kind": lifecycle.name,
                "case_id": case.id,
                "state": case.state,
                "kind": spec.kind,
                "target": spec.target,
                "due_at": due_at,
                "status": TimerStatus.PENDING,
                "created_at": now,
                "message": spec.message,
            }
        )
    return rows


async def write_timers(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert the timers ``plan_timers`` planned, in one statement."""
    if rows:
        await session.execute(OPEN_TIMERS, list(rows))


def first_dues(rows: Sequence[Mapping[str, Any]]) -> dict[TimerKind, datetime]:
    """The due instant of the first planned timer of each kind (``states.milestones``)."""
    dues: dict[TimerKind, datetime] = {}
    for row in rows:
        dues.setdefault(row["kind"], row["due_at"])
    return dues


async def _milestone_fired(
    session: AsyncSession, lifecycle: Lifecycle, case_id: int, spec: TimerSpec, due_at: datetime
) -> bool:
    """Whether the case's milestone ``spec`` due at ``due_at`` already fell due once."""
    fired = await session.scalar(
        select(
            exists().where(
                Timer.case_kind == lifecycle.name,
                Timer.case_id == case_id,
                Timer.kind == spec.kind,
                Timer.message == spec.message,
                Timer.due_at == due_at,
                Timer.status == TimerStatus.FIRED,
            )
        )
    )
    return bool(fired)


def fell_due_clause(lifecycle: Lifecycle, kind: TimerKind, now: datetime) -> Any:
    """SQL condition: the case has an open timer of ``kind`` whose time has come at ``now``
    (the case has not left the state that set it). Milestones (``TimerSpec.message``) say
    nothing of the state: they are left out."""
    return exists().where(
        Timer.case_kind == lifecycle.name,
        Timer.case_id == lifecycle.model.id,
        Timer.kind == kind,
        Timer.closed_at.is_(None),
        Timer.message.is_(None),
        Timer.due_at <= now,
    )


def overdue_clause(lifecycle: Lifecycle, now: datetime) -> Any:
    """SQL condition: the case's escalation time has passed and it has not moved since, or it
    is in a state that is a missed deadline in itself (``Waiting.late``)."""
    model = lifecycle.model
    past_escalation = fell_due_clause(lifecycle, TimerKind.ESCALATION, now)
    if not lifecycle.late_states:
        return past_escalation
    return or_(past_escalation, model.state.in_(lifecycle.late_states))
