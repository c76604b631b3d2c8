"""Overdue cases a page at a time: ``GET /api/overdue`` and the dashboard's CSV export.

The cases of every lifecycle are in one order, oldest first: the moment each became overdue,
then the lifecycle's name, then the case's id (``services.overdue.overdue_cases``'s order). A
page is found by its key alone: each way of being overdue of each lifecycle gives the ids of
its next cases after the cursor (a few columns, ``LIMIT``), the keys are merged, and only the
cases kept are read and described, set-based; the export reads its lines with their keys.
What a page costs follows its size, not the number of overdue cases.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Row, and_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import MAX_ID, end_reads
from core.errors import Forbidden, InvalidInput
from core.models import Organisation
from services.case_context import waiting_party
from services.overdue import (
    CaseFilter,
    OverdueCase,
    OverdueLine,
    business_days_late,
    describe_overdue,
    overdue_selects,
)
from states.actor import Actor
from states.lifecycle import Lifecycle
from states.policy import may_list_overdue
from states.registry import LIFECYCLES

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
CURSOR_PATTERN = r"^[0-9]{1,16}-[a-z_]{1,32}-[0-9]{1,10}$"
"""A cursor as ``OverdueKey.token`` writes it: microseconds since 1970, lifecycle, id."""
CURSOR_EXAMPLE = "1773043200000000-referral-1234"
EXPORT_BATCH = 500
"""How many cases the CSV export reads and writes at once, each batch in its own short read."""
EXPORT_FIRST_BATCH = 100
"""How many cases the export's first batch holds: fewer than the others, so that its first
lines come sooner."""
EXPORT_KEYS = 10_000
"""How many keys of overdue cases the CSV export reads at once (a few columns each): one
territory's cases in one read."""
CASE_BY_CASE = EXPORT_BATCH + 1
"""Up to how many cases a read of keys checks the filter case by case, walking the order
(``CaseFilter``'s ``case_by_case``); a larger one goes through all the cases the filter keeps."""


class OverdueKey(NamedTuple):
    """Where a case stands in the overdue order: when it became overdue, its lifecycle's
    name, its id (a named tuple: an export makes and sorts one per case)."""

    since: datetime
    lifecycle: str
    case_id: int

    def token(self) -> str:
        """The key as a cursor of the API (``CURSOR_PATTERN``)."""
        return f"{(self.since - EPOCH) // MICROSECOND}-{self.lifecycle}-{self.case_id}"

    @classmethod
    def parse(cls, token: str) -> OverdueKey:
        """The key a cursor names; ``InvalidInput`` for one ``token`` never wrote."""
        match = re.fullmatch(r"([0-9]{1,16})-([a-z_]{1,32})-([0-9]{1,10})", token)
        if match is None or match[2] not in LIFECYCLES or int(match[3]) > MAX_ID:
            raise InvalidInput(
                "Curseur inconnu : reprenez le « next_cursor » de la page précédente.",
                field="cursor",
            )
        return cls(EPOCH + int(match[1]) * MICROSECOND, match[2], int(match[3]))


@dataclass(frozen=True)
class OverduePage:
    """A page of overdue cases, oldest first; ``next_cursor`` is None on the last one."""

    cases: list[OverdueCase]
    next_cursor: str | None


def _after(
    key: OverdueKey | None,
    lifecycle: Lifecycle,
    since: ColumnElement[datetime],
    ident: ColumnElement[int],
) -> ColumnElement[bool] | None:
    """The condition keeping the cases of ``lifecycle`` that come after ``key``."""
    if key is None:
        return None
    if lifecycle.name > key.lifecycle:
        return since >= key.since
    if lifecycle.name < key.lifecycle:
        return since > key.since
    # ``since >= ...`` on its own lets the database walk its index from there.
    return and_(since >= key.since, (since > key.since) | (ident > key.case_id))


async def _next_rows(
    session: AsyncSession,
    lifecycles: Sequence[Lifecycle],
    actor: Actor,
    now: datetime,
    where: CaseFilter | None,
    after: OverdueKey | None,
    size: int,
    *,
    lines: bool = False,
) -> list[tuple[OverdueKey, Row[Any]]]:
    """The keys of the ``size`` cases that follow ``after``, in order (the ``size`` next of
    each way of being overdue, merged), each with its row: the case's id, with ``lines``
    also its reference, state and parties (``_line_columns``), then when it became overdue."""
    found: list[tuple[OverdueKey, Row[Any]]] = []
    for lifecycle in lifecycles:
        ident = lifecycle.model.id
        columns = _line_columns(lifecycle) if lines else [ident]
        for statement, since in overdue_selects(
            lifecycle, actor, now, *columns, where=where, case_by_case=size <= CASE_BY_CASE
        ):
            condition = _after(after, lifecycle, since, ident)
            if condition is not None:
                statement = statement.where(condition)
            rows = await session.execute(statement.order_by(since, ident).limit(size))
            found.extend((OverdueKey(row[-1], lifecycle.name, row[0]), row) for row in rows)
    found.sort(key=itemgetter(0))
    return found[:size]


def _line_columns(lifecycle: Lifecycle) -> list[Any]:
    """What a CSV line reads of a case of ``lifecycle``: its id, reference, state and the
    organisation of each party (``waiting_party`` names the one it waits on)."""
    model = lifecycle.model
    return [model.id, model.reference, model.state, *lifecycle.parties.values()]


async def overdue_page(
    session: AsyncSession,
    lifecycles: Sequence[Lifecycle],
    actor: Actor,
    now: datetime,
    *,
    where: CaseFilter | None = None,
    after: OverdueKey | None = None,
    limit: int,
) -> tuple[list[OverdueCase], OverdueKey | None]:
    """The ``limit`` overdue cases ``actor`` follows that come after ``after`` (from the
    oldest when None), narrowed by ``where``, and the key of the last one when more follow."""
    rows = await _next_rows(session, lifecycles, actor, now, where, after, limit + 1)
    keys = [key for key, _ in rows]
    more = len(keys) > limit
    keys = keys[:limit]
    cases = await describe_overdue(
        session, now, [(LIFECYCLES[key.lifecycle], key.case_id, key.since) for key in keys]
    )
    return cases, (keys[-1] if more else None)


async def list_overdue_page(
    session: AsyncSession, actor: Actor, now: datetime, cursor: str | None, limit: int
) -> OverduePage:
    """A page of the overdue cases of every lifecycle in ``actor``'s scope
    (``GET /api/overdue``), after the ``cursor`` of the previous page.

    Forbidden to a role that follows no cases; ``InvalidInput`` for a cursor not given.
    """
    if not may_list_overdue(actor):
        raise Forbidden("Votre rôle ne suit pas de dossiers.")
    after = OverdueKey.parse(cursor) if cursor is not None else None
    lifecycles = list(LIFECYCLES.values())
    cases, last = await overdue_page(session, lifecycles, actor, now, after=after, limit=limit)
    return OverduePage(cases, last.token() if last is not None else None)


async def overdue_batches(
    sessions: async_sessionmaker[AsyncSession],
    lifecycles: Sequence[Lifecycle],
    actor: Actor,
    now: datetime,
    *,
    where: CaseFilter | None = None,
    size: int | None = None,
) -> AsyncIterator[list[OverdueLine]]:
    """Every overdue case ``actor`` follows as a line of the CSV export, oldest first,
    ``size`` (``EXPORT_BATCH``) at a time, the first batch at most ``EXPORT_FIRST_BATCH``.

    Set-based: a line is read with its case's key (reference, state, parties: a few
    columns), ``EXPORT_KEYS`` at a time, and only the names of the organisations the cases
    wait on are read besides, once each for the whole export; no case is described one by
    one. The first read asks for the first batch only, for the first lines to come at once:
    with ``where`` (a territory, not in the order's indexes) it walks the order and checks
    each case (``CASE_BY_CASE``); each further read goes through all the cases ``where``
    keeps, whatever its limit: the fewer reads the better, and memory follows
    ``EXPORT_KEYS`` rows of a few columns.

    Every read is in one session whose transaction ends before each batch is handed over:
    no read stays open while the caller writes it out (on SQLite a read holds the write
    lock).
    """
    batch = size or EXPORT_BATCH
    taken = min(batch, EXPORT_FIRST_BATCH)
    reach = taken
    pending: list[tuple[OverdueKey, Row[Any]]] = []
    after: OverdueKey | None = None
    more = True
    names: dict[int, str] = {}
    async with sessions() as session:
        while True:
            if more and len(pending) < taken:
                rows = await _next_rows(
                    session, lifecycles, actor, now, where, after, reach + 1, lines=True
                )
                more = len(rows) > reach
                pending.extend(rows[:reach])
                if more:
                    after = pending[-1][0]
                reach = max(EXPORT_KEYS, batch)
            if not pending:
                return
            lines = await _lines(session, pending[:taken], names, now)
            del pending[:taken]
            taken = batch
            await end_reads(session)
            yield lines


async def _lines(
    session: AsyncSession,
    rows: Sequence[tuple[OverdueKey, Row[Any]]],
    names: dict[int, str],
    now: datetime,
) -> list[OverdueLine]:
    """The CSV lines of ``rows`` (``_next_rows(lines=True)``); the names of organisations
    not in ``names`` yet are read at once and kept there."""
    waiting = [waiting_party(LIFECYCLES[key.lifecycle], row) for key, row in rows]
    missing = {party for party in waiting if isinstance(party, int) and party not in names}
    if missing:
        read = select(Organisation.id, Organisation.name).where(Organisation.id.in_(missing))
        names.update((await session.execute(read)).tuples().all())
    lines = []
    for (key, row), party in zip(rows, waiting, strict=True):
        lifecycle = LIFECYCLES[key.lifecycle]
        lines.append(
            OverdueLine(
                reference=row.reference,
                case_label=lifecycle.case_label,
                state_label=lifecycle.state_labels[row.state],
                waiting_organisation=names[party] if isinstance(party, int) else party,
                escalation_at=key.since,
                days_overdue=business_days_late(key.since, now),
            )
        )
    return lines
