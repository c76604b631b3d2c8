"""The dashboard's CSV export: every overdue case a watcher follows as a line, oldest first.

Each way of being overdue of each lifecycle (``overdue.overdue_selects``) is a stream, read in
its own order a chunk at a time, after its own last key: each case is read once, with the few
columns its line needs. The streams are merged as they come. A row read is released once no
stream could still hold an earlier one: up to the smallest last key among the streams not
read to their end. Only the organisations' names are read besides, all at once with the
first batch; no case is described one by one. On PostgreSQL the rows are asyncpg's own
(``core.prepared.read_rows``), not SQLAlchemy's.

The lines are written here, as CSV text (``services.overdue_csv``): each cell a line repeats
(the labels, the organisation, the date and days late) is written once for the export.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.business_days import PARIS
from core.db import end_reads
from core.models import Organisation
from core.prepared import read_rows
from services.case_context import waits_on
from services.overdue import CaseFilter, business_days_late_on, overdue_selects
from services.overdue_csv import LINE_END, MINUTES, csv_field, csv_fields, paris_day
from services.overdue_pages import CASE_BY_CASE, OverdueKey, after_key
from states.actor import Actor
from states.lifecycle import Lifecycle
from states.registry import LIFECYCLES

EXPORT_BATCH = 500
"""How many lines the export builds and hands over at once, each batch after its reads end."""
EXPORT_FIRST_BATCH = 100
"""How many lines the first batch holds: fewer than the others, so that they come sooner."""
EXPORT_KEYS = 50_000
"""How many rows a stream reads at once after its first read (a few columns each): a
territory's cases, and all Paris's at three years (31,000 referrals past their escalation),
in one read. Each read joins again every case left in its stream: read 10,000 at a time,
all Paris's took four reads of the referrals, 60 ms of PostgreSQL's time instead of 25.
Memory follows this many rows per stream: all Paris's export held 19 MiB at most (10 at
10,000 rows a read)."""

_KEY = itemgetter(0)
_Key = tuple[datetime, str, int]
"""A row's ``OverdueKey`` as a plain tuple: the same order, a seventh of its cost to make
(0.06 µs against 0.45, for each of tens of thousands of rows)."""
_Columns = Sequence[Any]
"""A case's columns as read (``_line_columns``, then when it became overdue), by position."""


@dataclass
class _Stream:
    """One way of being overdue of one lifecycle (the ``index``-th of its
    ``overdue_selects``), the rows read and not released yet, and where its next read
    starts."""

    lifecycle: Lifecycle
    index: int
    held: list[tuple[_Key, _Columns]] = field(default_factory=list)
    last: OverdueKey | None = None
    ended: bool = False


@dataclass
class _Names:
    """What the export has written once for all its lines (``overdue_csv``'s cells): each
    organisation's name, each Paris day (by its ordinal) and its days late, what each state
    of each lifecycle writes."""

    organisations: dict[int, str] = field(default_factory=dict)
    days: dict[int, tuple[str, str]] = field(default_factory=dict)
    states: dict[tuple[str, str], tuple[str, int | None]] = field(default_factory=dict)


REFERENCE, STATE = 1, 2
"""Where a stream's rows hold the case's reference and state (``_line_columns``)."""


def _line_columns(lifecycle: Lifecycle) -> list[Any]:
    """What a line reads of a case of ``lifecycle``: its id, reference, state and the
    organisation of each party (``case_context.waits_on`` names the one it waits on)."""
    model = lifecycle.model
    return [model.id, model.reference, model.state, *lifecycle.parties.values()]


@dataclass
class _Selects:
    """The statements of the export's streams (``overdue.overdue_selects``), built once for
    each lifecycle and shape: building one costs more than a small read."""

    actor: Actor
    now: datetime
    where: CaseFilter | None
    built: dict[tuple[str, bool], list[tuple[Select[Any], Any]]] = field(default_factory=dict)

    def of(self, lifecycle: Lifecycle, *, case_by_case: bool) -> list[tuple[Select[Any], Any]]:
        """Each way of being overdue of ``lifecycle``: its statement, and its order's moment."""
        key = (lifecycle.name, case_by_case)
        if key not in self.built:
            self.built[key] = overdue_selects(
                lifecycle,
                self.actor,
                self.now,
                *_line_columns(lifecycle),
                where=self.where,
                case_by_case=case_by_case,
            )
        return self.built[key]


async def _read(session: AsyncSession, stream: _Stream, selects: _Selects, size: int) -> None:
    """Hold the next ``size`` rows of ``stream`` (its line's columns, then when the case
    became overdue); a shorter read is its end."""
    lifecycle = stream.lifecycle
    ident = lifecycle.model.id
    statement, since = selects.of(lifecycle, case_by_case=size <= CASE_BY_CASE)[stream.index]
    condition = after_key(stream.last, lifecycle, since, ident)
    if condition is not None:
        statement = statement.where(condition)
    rows = await read_rows(session, statement.order_by(since, ident).limit(size))
    name = lifecycle.name
    stream.held.extend(((row[-1], name, row[0]), row) for row in rows)
    stream.ended = len(rows) < size
    if rows:
        stream.last = OverdueKey(*stream.held[-1][0])


def _release(streams: Sequence[_Stream]) -> list[tuple[_Key, _Columns]]:
    """The rows held that no stream can precede any more, in order, taken from the streams.

    Every stream not read to its end must hold rows: its last one bounds what is released.
    """
    bounds = [stream.held[-1][0] for stream in streams if not stream.ended]
    bound = min(bounds) if bounds else None
    released: list[tuple[_Key, _Columns]] = []
    for stream in streams:
        cut = len(stream.held) if bound is None else bisect_right(stream.held, bound, key=_KEY)
        released.extend(stream.held[:cut])
        del stream.held[:cut]
    released.sort(key=_KEY)
    return released


async def overdue_export(
    sessions: async_sessionmaker[AsyncSession],
    lifecycles: Sequence[Lifecycle],
    actor: Actor,
    now: datetime,
    *,
    where: CaseFilter | None = None,
    size: int | None = None,
) -> AsyncIterator[str]:
    """Every overdue case ``actor`` follows as a line of the CSV export (no header), oldest
    first, ``size`` (``EXPORT_BATCH``) lines at a time, the first batch at most
    ``EXPORT_FIRST_BATCH``, each batch one text.

    The first read of each stream asks for the first batch only, for the first lines to
    come at once: with ``where`` (a territory, not in the order's indexes) it walks the order
    and checks each case (``CASE_BY_CASE``). Each further read holds ``EXPORT_KEYS`` rows
    and goes through all the cases ``where`` keeps: the fewer reads the better.

    Every read is in one session whose transaction ends before each batch is handed over:
    no read stays open while the caller writes it out (on SQLite a read holds the write
    lock).
    """
    batch = size or EXPORT_BATCH
    taken = min(batch, EXPORT_FIRST_BATCH)
    reach = taken
    selects = _Selects(actor, now, where)
    streams = [
        _Stream(lifecycle, index)
        for lifecycle in lifecycles
        for index in range(len(selects.of(lifecycle, case_by_case=True)))
    ]
    ready: deque[tuple[_Key, _Columns]] = deque()
    names = _Names()
    async with sessions() as session:
        while True:
            while len(ready) < taken and not all(stream.ended for stream in streams):
                for stream in streams:
                    if not stream.ended and not stream.held:
                        await _read(session, stream, selects, reach)
                ready.extend(_release(streams))
                reach = max(EXPORT_KEYS, batch)
            if not ready:
                return
            rows = [ready.popleft() for _ in range(min(taken, len(ready)))]
            lines = await _lines(session, rows, names, now)
            taken = batch
            await end_reads(session)
            yield lines


def _what_a_line_says(lifecycle_name: str, state: str) -> tuple[str, int | None]:
    """What a line of a case of ``lifecycle_name`` in ``state`` writes after its reference:
    the case's label and the state's, then who it waits on (``case_context.waits_on``).
    That last cell is written here when it is the label of a side; otherwise the line ends
    with ``;`` and the position in the stream's rows (``_line_columns``) of the party's
    organisation comes with it."""
    lifecycle = LIFECYCLES[lifecycle_name]
    waiting = waits_on(lifecycle, state)
    labels = f"{csv_field(lifecycle.case_label)};{csv_field(lifecycle.state_labels[state])};"
    if isinstance(waiting, str):
        return labels + csv_field(waiting), None
    columns = _line_columns(lifecycle)
    return labels, next(index for index, column in enumerate(columns) if column is waiting)


def _day_cells(day: date, now: datetime) -> tuple[str, str]:
    """What a line of a case overdue since the Paris date ``day`` writes around its time:
    the date, and the days late at ``now`` to the line's end."""
    return paris_day(day), f";{business_days_late_on(day, now)}{LINE_END}"


async def _lines(
    session: AsyncSession,
    rows: Sequence[tuple[_Key, _Columns]],
    names: _Names,
    now: datetime,
) -> str:
    """The CSV lines of ``rows`` as one text, their escalation time in Paris time.

    Every organisation's name is read with the first batch, at once, so that each line is
    written in one pass; read again if a line names an organisation created since."""
    if not names.organisations:
        await _read_organisations(session, names)
    # References are relais's own (``core.references``): the batch's are checked at once.
    references = csv_fields([row[REFERENCE] for _, row in rows])
    try:
        return _written(rows, references, names, now)
    except KeyError:
        await _read_organisations(session, names)
        return _written(rows, references, names, now)


async def _read_organisations(session: AsyncSession, names: _Names) -> None:
    """Every organisation's name, as a cell of the file, into ``names``."""
    read = select(Organisation.id, Organisation.name)
    for ident, name in (await session.execute(read)).tuples():
        names.organisations[ident] = csv_field(name)


def _written(
    rows: Sequence[tuple[_Key, _Columns]], references: list[str], names: _Names, now: datetime
) -> str:
    """The lines of ``rows``, each with its reference's cell from ``references``."""
    states = names.states
    organisations = names.organisations
    days = names.days
    lines = []
    for ((since, lifecycle, _), row), reference in zip(rows, references, strict=True):
        what = states.get((lifecycle, row[STATE]))
        if what is None:
            what = states[lifecycle, row[STATE]] = _what_a_line_says(lifecycle, row[STATE])
        head, party = what
        local = since.astimezone(PARIS)
        day = days.get(ordinal := local.toordinal())
        if day is None:
            day = days[ordinal] = _day_cells(local.date(), now)
        waiting = head if party is None else head + organisations[row[party]]
        minute = MINUTES[local.hour * 60 + local.minute]
        lines.append(f"{reference};{waiting};{day[0]}{minute}{day[1]}")
    return "".join(lines)
