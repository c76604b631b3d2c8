"""``core.prepared.read_rows``: a read of many rows (the CSV export's) run by asyncpg on
PostgreSQL, in the session's transaction, its rows as SQLAlchemy gives them; and the UTC
datetimes asyncpg gives back as they are. On the suite's database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, literal, select, text
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.db import UTCDateTime
from core.enums import OrganisationKind, Territory
from core.models import Organisation
from core.prepared import read_rows
from tests.plans import postgresql_dialect

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _organisation(name: str, territory: Territory, minutes: int) -> Organisation:
    return Organisation(
        name=name,
        kind=OrganisationKind.ASSOCIATION,
        territory=territory,
        created_at=NOW + timedelta(minutes=minutes),
    )


async def _added(session: AsyncSession) -> None:
    session.add_all(
        [
            _organisation("Alpha", Territory.ARR_18, 0),
            _organisation("Beta", Territory.ARR_19, 1),
            _organisation("Gamma", Territory.ARR_20, 2),
        ]
    )
    await session.flush()


def _read() -> Any:
    """An ``IN`` list (expanded at execution), a literal written into the SQL, a bound
    datetime and an enum column: each way a value reaches a statement."""
    return (
        select(
            Organisation.name,
            Organisation.territory,
            Organisation.created_at,
            literal("x", literal_execute=True),
        )
        .where(
            Organisation.territory.in_([Territory.ARR_18, Territory.ARR_20]),
            Organisation.created_at >= NOW,
        )
        .order_by(Organisation.created_at)
    )


async def test_its_rows_are_the_sessions_own(session: AsyncSession) -> None:
    await _added(session)  # not committed: the read must be in the session's transaction
    rows = await read_rows(session, _read())
    expected = [tuple(row) for row in await session.execute(_read())]
    assert [tuple(row) for row in rows] == expected
    assert [row[0] for row in rows] == ["Alpha", "Gamma"]
    assert rows[1][1] is Territory.ARR_20
    assert rows[1][2] == NOW + timedelta(minutes=2) and rows[1][2].tzinfo is UTC


async def test_on_postgresql_it_bypasses_sqlalchemys_execution(
    session: AsyncSession, db_engine: AsyncEngine, is_postgres: bool
) -> None:
    await _added(session)
    contexts: list[object] = []

    def note(*args: Any) -> None:
        contexts.append(args[4])  # SQLAlchemy's own execution carries its context

    event.listen(db_engine.sync_engine, "before_cursor_execute", note)
    try:
        rows = await read_rows(session, _read())
    finally:
        event.remove(db_engine.sync_engine, "before_cursor_execute", note)
    assert len(rows) == 2 and len(contexts) == 1
    assert (contexts[0] is None) is is_postgres


async def test_asyncpg_gives_a_utc_datetime_back_in_utc_whatever_the_sessions_zone(
    session: AsyncSession, is_postgres: bool
) -> None:
    """What lets ``UTCDateTime`` leave asyncpg's datetimes as they are: were asyncpg to give
    them in the session's zone, the type would have to convert them again."""
    await _added(session)
    if is_postgres:
        await session.execute(text("SET LOCAL TIME ZONE 'Europe/Paris'"))
    (created_at,) = (await session.execute(select(Organisation.created_at).limit(1))).one()
    assert created_at == NOW and created_at.tzinfo is UTC
    (row,) = await read_rows(session, select(Organisation.created_at).limit(1))
    assert row[0] == NOW and row[0].tzinfo is UTC


def test_a_utc_datetime_is_converted_on_sqlite_only() -> None:
    assert UTCDateTime().result_processor(postgresql_dialect(), None) is None
    convert = UTCDateTime().result_processor(SQLiteDialect_aiosqlite(), None)
    assert convert is not None
    assert convert(datetime(2026, 3, 2, 9, 30)) == NOW
