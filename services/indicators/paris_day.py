"""The Paris calendar day of a stored instant, computed in SQL on SQLite and PostgreSQL.

The delays count how many cases fall on each (start day, end day) pair in SQL, rather than
fetching one row per case: PostgreSQL converts with the time zone database; SQLite, which
has none, adds Paris's offset (one hour, two in summer by the EU rule).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, case, cast, func, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

EPOCH = date(1970, 1, 1)


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def summer_times(years: range) -> list[tuple[datetime, datetime]]:
    """Paris summer time for ``years``: from the last Sunday of March to that of October,
    01:00 UTC each (the EU rule since 1996)."""
    return [
        (
            datetime.combine(_last_sunday(year, 3), datetime.min.time(), UTC) + timedelta(hours=1),
            datetime.combine(_last_sunday(year, 10), datetime.min.time(), UTC) + timedelta(hours=1),
        )
        for year in years
    ]


class paris_day(FunctionElement[int]):
    """Days since 1 January 1970 of the Paris date of a UTC instant column."""

    type = Integer()
    inherit_cache = True


@compiles(paris_day, "postgresql")
def _postgresql(element: paris_day, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    moment = compiler.process(column, **kw)
    return f"(CAST(({moment} AT TIME ZONE 'Europe/Paris') AS DATE) - DATE '1970-01-01')"


@compiles(paris_day, "sqlite")
def _sqlite(element: paris_day, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    summers = summer_times(range(2015, 2036))
    offset = case(
        *(((column >= start) & (column < end), literal_column("7200")) for start, end in summers),
        else_=literal_column("3600"),
    )
    seconds = cast(func.strftime("%s", column), Integer) + offset
    return str(compiler.process(cast(seconds / literal_column("86400"), Integer), **kw))


def day_of(number: int) -> date:
    """The date ``number`` days after 1 January 1970."""
    return EPOCH + timedelta(days=number)
