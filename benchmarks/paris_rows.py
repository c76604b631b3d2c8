"""What the bulk generator of ``paris_years`` writes with: rows gathered per table with their
ids handed out in Python, written by ``COPY``, and a fast business-day calendar.

Ids are given by the generator (not by the sequences) so that events, timers and outbox rows
can refer to their case before anything is written; the sequences are moved past them after.
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import asyncpg

from core.business_days import PARIS, is_business_day


class Calendar:
    """Paris business days of some years, by index: adding business days is a list lookup."""

    def __init__(self, first_year: int, last_year: int) -> None:
        day = date(first_year, 1, 1)
        self.days: list[date] = []
        while day <= date(last_year + 1, 12, 31):
            if is_business_day(day):
                self.days.append(day)
            day += timedelta(days=1)
        self.index = {day: number for number, day in enumerate(self.days)}

    def at(self, number: int, minutes: int) -> datetime:
        """Business day ``number`` at ``minutes`` past midnight, Paris time, in UTC."""
        day = self.days[min(number, len(self.days) - 1)]
        clock = time(minutes // 60, minutes % 60)
        return datetime.combine(day, clock, tzinfo=PARIS).astimezone(UTC)

    def number(self, moment: datetime) -> int:
        """The index of ``moment``'s Paris day (the next business day if it is not one)."""
        return bisect_left(self.days, moment.astimezone(PARIS).date())

    def add(self, moment: datetime, days: int) -> datetime:
        """``core.business_days.add_business_days`` for a moment on a business day."""
        local = moment.astimezone(PARIS)
        number = self.index.get(local.date())
        if number is None:
            number = self.number(moment) - 1
        day = self.days[min(number + days, len(self.days) - 1)]
        return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=PARIS).astimezone(
            UTC
        )

    def between(self, start: datetime, end: datetime) -> int:
        """Business days from ``start``'s day to ``end``'s day."""
        return self.number(end) - self.number(start)


@dataclass
class Table:
    """The rows of one table, their columns, and the next id to give."""

    name: str
    next_id: int = 1
    rows: list[dict[str, Any]] = field(default_factory=list)


class Rows:
    """Rows per table, written in one go by ``copy``."""

    def __init__(self, first_ids: dict[str, int]) -> None:
        self.tables = {name: Table(name, next_id) for name, next_id in first_ids.items()}

    def add(self, table: str, **values: Any) -> int:
        """Add a row to ``table`` (giving it the next id unless ``values`` has one)."""
        target = self.tables.setdefault(table, Table(table))
        if "id" not in values and table not in NO_ID:
            values = {"id": target.next_id, **values}
        if "id" in values:
            target.next_id = max(target.next_id, int(values["id"]) + 1)
        target.rows.append(values)
        return int(values.get("id", 0))

    def put(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        """Add ``row`` (with its id) to ``table`` as is: later changes to it are written."""
        target = self.tables.setdefault(table, Table(table))
        target.next_id = max(target.next_id, int(row["id"]) + 1)
        target.rows.append(row)
        return row

    def peek(self, table: str) -> int:
        """The id the next row of ``table`` will get."""
        return self.tables.setdefault(table, Table(table)).next_id

    async def copy(self, connection: asyncpg.Connection, order: tuple[str, ...]) -> int:
        """Write the rows gathered of every table in ``order`` (parents first), forget them
        (their ids go on), move each id sequence on; how many rows were written."""
        written = 0
        for name in order:
            table = self.tables.get(name)
            if table is None or not table.rows:
                continue
            columns = list(table.rows[0])
            records = [tuple(row[column] for column in columns) for row in table.rows]
            await connection.copy_records_to_table(name, records=records, columns=columns)
            written += len(records)
            table.rows = []
            if name not in NO_ID:
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT max(id) FROM {name}))"
                )
        return written


NO_ID = frozenset({"offer_sub_axes", "committee_members"})
"""Tables keyed by something other than a serial ``id``."""


def as_json(value: Any) -> str:
    """A JSON column's value as ``COPY`` takes it."""
    return json.dumps(value, ensure_ascii=False)


def recipient_token(email: str) -> str:
    """A short stable token for a recipient, as ``core.outbox`` keys its messages."""
    return hashlib.sha256(email.lower().encode()).hexdigest()[:16]
