"""On PostgreSQL, everything a transition writes in one statement, so one round trip.

The case's row is updated under its version check and, in the same statement, its event is
appended, the timers of the state it left are closed, those of its new state opened, and its
emails queued: each a data-modifying CTE of the update (``WITH moved AS (UPDATE … RETURNING)
INSERT …``). Each part reads the update's row: when the version check fails, nothing at all
is written and the statement returns no row. The ORM then learns the row as written (no
flush of it follows). SQLite has no data-modifying CTE: it keeps the statements one by one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    func,
    insert,
    select,
    true,
    update,
)
from sqlalchemy import cast as cast_as
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ColumnProperty, object_mapper
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.sql import Select

from core.db import CHANGED_MEANWHILE
from core.enums import OutboxStatus, TimerStatus
from core.errors import ConcurrentChange
from core.models import Event, OutboxMessage, Timer
from core.prepared import Prepared, insert_row
from core.references import SEQUENCES, reference_head
from states.lifecycle import Lifecycle
from states.timers import closing_timers, timer_arrays, timer_rows

EVENTS = cast(Table, Event.__table__)
TIMERS = cast(Table, Timer.__table__)
OUTBOX = cast(Table, OutboxMessage.__table__)

_EVENT_COLUMNS = ("trigger", "from_state", "to_state", "actor_id", "organisation_id")
_TIMER_COLUMNS = ("state", "kind", "target", "due_at", "message")


@dataclass(frozen=True)
class Queued:
    """An email the transition queues: its message, recipient, and idempotency key's end (the
    part after ``event:<id>``, which the statement completes)."""

    message: str
    email: str
    user_id: int | None
    key_suffix: str


def writes_at_once(session: AsyncSession, case: Any) -> bool:
    """Whether the transition on ``case`` can be written in one statement: on PostgreSQL,
    when the unit of work holds no change but the case's own columns (an effect that added or
    changed other rows keeps the statements one by one, in the ORM's order)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    if session.new or session.deleted or any(row is not case for row in session.dirty):
        return False
    mapper = object_mapper(case)
    return all(
        isinstance(mapper.attrs[key], ColumnProperty)
        for key in instance_state(case).committed_state
    )


async def write_transition(
    session: AsyncSession,
    case_kind: str,
    case: Any,
    event: Mapping[str, Any],
    timers: Sequence[Mapping[str, Any]] | None,
    queued: Sequence[Queued],
    context: Mapping[str, Any],
    now: datetime,
) -> int:
    """Write the case's changed columns (its version moved on), its ``event`` (the values of
    ``_EVENT_COLUMNS`` and ``payload``), its ``timers`` (None: it keeps those it has; else the
    old ones closed and these opened) and its ``queued`` emails; the event's id.

    ConcurrentChange when the case's version is no longer the one read: nothing is written.
    """
    table = cast(Table, object_mapper(case).local_table)
    state = instance_state(case)
    changed = tuple(
        sorted(key for key in state.committed_state if state.attrs[key].history.has_changes())
    )
    statement = _statement(table, changed, timers, bool(queued))
    version = state.committed_state.get("version", case.version)
    parameters: dict[str, Any] = {
        "w_case": case.id,
        "w_version": version,
        "w_new_version": version + 1,
        "w_case_kind": case_kind,
        "w_now": now,
        "w_payload": event["payload"],
        **{f"w_set_{key}": getattr(case, key) for key in changed},
        **{f"w_event_{name}": event[name] for name in _EVENT_COLUMNS},
    }
    if timers:
        parameters.update(timer_arrays("w_timer_", _TIMER_COLUMNS, timers))
    if queued:
        parameters.update(
            w_messages=[item.message for item in queued],
            w_emails=[item.email for item in queued],
            w_user_ids=[item.user_id for item in queued],
            w_key_suffixes=[item.key_suffix for item in queued],
            w_context=context,
        )
    rows = await statement.fetch(session, parameters)
    if not rows:
        raise ConcurrentChange(CHANGED_MEANWHILE)
    set_committed_value(case, "version", version + 1)
    # The row is now as the case holds it: what the ORM does after its own flush. Setting each
    # value as committed would leave the case among the session's modified rows, and the
    # commit would run a flush over it for nothing.
    state._commit_all(state.dict, session.sync_session.identity_map)
    return int(rows[0][0])


def creates_at_once(session: AsyncSession, lifecycle: Lifecycle, case: Any) -> bool:
    """Whether a new ``case`` can be numbered, inserted and its creation recorded in one
    statement (``insert_created``): on PostgreSQL, when the creation opens no timer and
    sends no email, and nothing else is pending in the unit of work (``core.prepared``'s
    ``insert_row`` then writes the row itself)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    if lifecycle.timers.get(lifecycle.initial) or lifecycle.creation.notices:
        return False
    if session.new or session.dirty or session.deleted:
        return False
    mapper = object_mapper(case)
    return not any(relation.key in instance_state(case).dict for relation in mapper.relationships)


async def insert_created(
    session: AsyncSession,
    case_kind: str,
    case: Any,
    prefix: str,
    year: int,
    event: Mapping[str, Any],
    now: datetime,
) -> int:
    """Insert ``case`` (``creates_at_once``), numbered in the same statement with the next
    reference of ``prefix`` in ``year`` (``core.references``), and append its creation
    ``event``; the event's id. The case is then held by the session as inserted."""
    parameters = {
        "w_reference_head": reference_head(prefix, year),
        "w_prefix": prefix,
        "w_year": year,
        "w_case_kind": case_kind,
        "w_now": now,
        "w_payload": event["payload"],
        **{f"w_event_{name}": event[name] for name in _EVENT_COLUMNS},
    }
    (event_id,) = await insert_row(session, case, _creation, parameters)
    return int(event_id)


_CREATIONS: dict[tuple[str, tuple[str, ...]], Prepared] = {}


def _creation(table: Table, given: tuple[str, ...]) -> Prepared:
    """The creation's statement for a table and the columns given, built once: the year's
    counter moved on, the row inserted with its reference, the event appended; it returns the
    row's columns, then the event's id."""
    if (table.name, given) not in _CREATIONS:
        numbered = (
            pg_insert(SEQUENCES)
            .values(
                prefix=bindparam("w_prefix", type_=String()),
                year=bindparam("w_year", type_=Integer()),
                last_value=bindparam("w_first", 1, type_=Integer()),
            )
            .on_conflict_do_update(
                index_elements=[SEQUENCES.c.prefix, SEQUENCES.c.year],
                set_={"last_value": SEQUENCES.c.last_value + 1},
            )
            .returning(SEQUENCES.c.last_value)
            .cte("numbered")
        )
        number = cast_as(numbered.c.last_value, Text())
        # Six digits at least, as ``core.references`` writes them; more past 999,999.
        reference = func.concat(
            bindparam("w_reference_head", type_=String()),
            func.lpad(number, func.greatest(6, func.length(number)), "0"),
        )
        columns = [bindparam(key, type_=table.c[key].type) for key in given]
        created = (
            insert(table)
            .from_select([*given, "reference"], select(*columns, reference).select_from(numbered))
            .returning(*table.columns)
            .cte("created")
        )
        case_kind = bindparam("w_case_kind", type_=String())
        now = bindparam("w_now", type_=DateTime(timezone=True))
        appended = _appending(created.c.id, case_kind, now)
        both = select(*created.c, appended.c.id).select_from(created.join(appended, true()))
        _CREATIONS[(table.name, given)] = Prepared(both)
    return _CREATIONS[(table.name, given)]


_STATEMENTS: dict[tuple[str, tuple[str, ...], str, bool], Prepared] = {}


def _statement(
    table: Table, changed: tuple[str, ...], timers: Sequence[Any] | None, queues: bool
) -> Prepared:
    """The statement of one shape of transition, built and compiled once (a prepared
    statement: ``core.prepared``): which columns change, whether timers are kept, closed, or
    replaced, whether emails are queued."""
    timer_work = "keep" if timers is None else ("replace" if timers else "close")
    key = (table.name, changed, timer_work, queues)
    if key not in _STATEMENTS:
        _STATEMENTS[key] = Prepared(_build(table, changed, timer_work, queues))
    return _STATEMENTS[key]


def _build(table: Table, changed: tuple[str, ...], timer_work: str, queues: bool) -> Select[Any]:
    case_kind = bindparam("w_case_kind", type_=String())
    now = bindparam("w_now", type_=DateTime(timezone=True))
    values: dict[str, Any] = {
        key: bindparam(f"w_set_{key}", type_=table.c[key].type) for key in changed
    }
    values["version"] = bindparam("w_new_version", type_=Integer())
    moved = (
        update(table)
        .where(
            table.c.id == bindparam("w_case", type_=Integer()),
            table.c.version == bindparam("w_version", type_=Integer()),
        )
        .values(values)
        .returning(table.c.id)
        .cte("moved")
    )
    appended = _appending(moved.c.id, case_kind, now)
    parts: list[Any] = [moved]
    if timer_work != "keep":
        closing = closing_timers(case_kind, select(moved.c.id).scalar_subquery(), now)
        parts.append(closing.cte("closed"))
    if timer_work == "replace":
        parts.append(_opening(moved, case_kind, now))
    if queues:
        parts.append(_queueing(appended, case_kind, moved, now))
    return select(appended.c.id).add_cte(*parts)


def _appending(case_id: Any, case_kind: Any, now: Any) -> Any:
    """The event of the case whose id is ``case_id`` (a column of the statement's row)."""
    return (
        insert(EVENTS)
        .from_select(
            ["case_kind", "case_id", *_EVENT_COLUMNS, "payload", "occurred_at"],
            select(
                case_kind,
                case_id,
                *(
                    bindparam(f"w_event_{name}", type_=EVENTS.c[name].type)
                    for name in _EVENT_COLUMNS
                ),
                bindparam("w_payload", type_=JSON()),
                now,
            ),
        )
        .returning(EVENTS.c.id)
        .cte("appended")
    )


def _opening(moved: Any, case_kind: Any, now: Any) -> Any:
    """The timers of the new state, one array per column."""
    planned = timer_rows("w_timer_", _TIMER_COLUMNS)
    rows = select(
        case_kind,
        moved.c.id,
        *(planned.c[name] for name in _TIMER_COLUMNS),
        bindparam("w_pending", TimerStatus.PENDING.value, type_=String()),
        now,
    ).select_from(moved.join(planned, true()))
    columns = ["case_kind", "case_id", *_TIMER_COLUMNS, "status", "created_at"]
    return insert(TIMERS).from_select(columns, rows).cte("opened")


def _queueing(appended: Any, case_kind: Any, moved: Any, now: Any) -> Any:
    """The emails, their keys completed with the event's id."""
    queued = (
        func.unnest(
            bindparam("w_messages", type_=ARRAY(String())),
            bindparam("w_emails", type_=ARRAY(String())),
            bindparam("w_user_ids", type_=ARRAY(Integer())),
            bindparam("w_key_suffixes", type_=ARRAY(String())),
        )
        .table_valued("message", "email", "user_id", "key_suffix")
        .render_derived()
    )
    key = func.concat("event:", appended.c.id, queued.c.key_suffix)
    rows = select(
        key,
        queued.c.message,
        case_kind,
        moved.c.id,
        queued.c.email,
        queued.c.user_id,
        bindparam("w_context", type_=JSON()),
        bindparam("w_queued", OutboxStatus.PENDING.value, type_=String()),
        bindparam("w_attempts", 0, type_=Integer()),
        now,
        now,
    ).select_from(appended.join(moved, true()).join(queued, true()))
    columns = [
        "idempotency_key",
        "message",
        "case_kind",
        "case_id",
        "recipient_email",
        "recipient_user_id",
        "context",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
    ]
    return insert(OUTBOX).from_select(columns, rows).cte("queued")
