"""What PostgreSQL would do with a statement, for the tests that hold a read to its index."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncSession


def postgresql_dialect() -> Any:
    """The dialect relais sends PostgreSQL its statements in (asyncpg's), to compile one
    without a database."""
    return cast(Any, asyncpg_dialect)()


async def index_plan(session: AsyncSession, statement: Any) -> str:
    """``EXPLAIN`` of ``statement`` with only the index paths left: an empty test database is
    read whole by any plan."""
    sql = statement.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
    )
    async with session.begin():
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        await session.execute(text("SET LOCAL enable_bitmapscan = off"))
        return "\n".join((await session.execute(text(f"EXPLAIN {sql}"))).scalars())
