"""Indicator computations side by side: on PostgreSQL each on its own connection at once, on
SQLite one after another on the caller's session; results in the order asked."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.parallel import Work, side_by_side


async def test_each_work_gets_its_own_connection_on_postgresql_only(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    on_postgres = session.bind.dialect.name == "postgresql"
    running = 0
    most = 0

    def work(rank: int) -> Work[tuple[int, object]]:
        async def run(own: AsyncSession) -> tuple[int, object]:
            nonlocal running, most
            running += 1
            most = max(most, running)
            await asyncio.sleep(0.05)  # the others start meanwhile, if they may
            pid = await own.scalar(text("SELECT pg_backend_pid()")) if on_postgres else id(own)
            running -= 1
            return rank, pid

        return run

    results = await side_by_side(session, sessionmaker, [work(rank) for rank in range(3)])
    assert [rank for rank, _ in results] == [0, 1, 2]
    connections = {pid for _, pid in results}
    if on_postgres:
        assert (len(connections), most) == (3, 3)
    else:
        assert (connections, most) == ({id(session)}, 1)
    most = 0
    alone = await side_by_side(session, None, [work(rank) for rank in range(2)])
    assert most == 1  # without a sessionmaker: one after another, on the caller's session
    assert len({pid for _, pid in alone}) == 1
