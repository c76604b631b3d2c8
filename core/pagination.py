"""Keyset pagination: one page of rows after a cursor, and the cursor of the next page."""

from __future__ import annotations

from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

T = TypeVar("T")


class Page(NamedTuple, Generic[T]):
    """One page of a listing; ``next_cursor`` is None on the last page.

    A tuple, so that ``items, next_cursor = page`` reads it too.
    """

    items: list[T]
    next_cursor: int | None


async def fetch_page(
    session: AsyncSession,
    statement: Select[tuple[T]],
    id_column: InstrumentedAttribute[int],
    limit: int,
) -> Page[T]:
    """Run the already ordered and filtered ``statement`` for one page of ``limit`` rows.

    One more row is fetched to know whether there is a next page; its cursor is the
    ``id_column`` of the last row of this one.
    """
    rows = list((await session.execute(statement.limit(limit + 1))).scalars())
    next_cursor: int | None = None
    if len(rows) > limit:
        last: Any = rows[limit - 1]
        next_cursor = getattr(last, id_column.key)
    return Page(rows[:limit], next_cursor)


async def keyset_page(
    session: AsyncSession,
    statement: Select[tuple[T]],
    id_column: InstrumentedAttribute[int],
    cursor: int | None,
    limit: int,
    *,
    descending: bool = False,
) -> Page[T]:
    """The page of ``statement`` ordered by ``id_column`` that follows the id ``cursor``.

    Ascending ids by default; ``descending`` lists the newest first. ``cursor`` is the id of
    the last row of the previous page, None for the first page.
    """
    if cursor is not None:
        statement = statement.where(id_column < cursor if descending else id_column > cursor)
    order = id_column.desc() if descending else id_column
    return await fetch_page(session, statement.order_by(order), id_column, limit)
