"""Several independent reads at once, each on its own connection.

A page of indicators asks independent questions (the period, the same period last year, a
grouping, the months), and the dashboard three (its figures, its oldest cases, its weekly
trend): on PostgreSQL each keeps one core busy for tens to hundreds of milliseconds, and run
side by side they take the time of the longest rather than their sum. SQLite runs one
transaction at a time (relais opens them ``IMMEDIATE``), so there they run one after another
on the caller's session.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

Sessions = async_sessionmaker[AsyncSession]
T = TypeVar("T")
Work = Callable[[AsyncSession], Awaitable[T]]


def runs_side_by_side(session: AsyncSession, sessions: Sessions | None) -> bool:
    """Whether work may run on several connections at once: PostgreSQL with a sessionmaker."""
    return sessions is not None and session.bind.dialect.name == "postgresql"


async def side_by_side(
    session: AsyncSession, sessions: Sessions | None, works: Sequence[Work[T]]
) -> list[T]:
    """The result of each of ``works``, in order: each in its own session from ``sessions``
    at once on PostgreSQL, else one after another on ``session``."""
    if not runs_side_by_side(session, sessions):
        return [await work(session) for work in works]
    assert sessions is not None
    return list(await asyncio.gather(*(alone(sessions, work) for work in works)))


async def alone(sessions: Sessions, work: Work[T]) -> T:
    """``work``'s result, run in a session of its own that ends with it (whatever the other
    works beside it do)."""
    async with sessions() as own:
        return await work(own)
