"""Human-readable case references such as ``OR-2026-000123``, numbered per prefix and year."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Integer, Table, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.models.trail import ReferenceSequence
from core.prepared import Prepared

SEQUENCES = cast(Table, ReferenceSequence.__table__)
# One upsert, the same on both databases: it creates the year's counter or increments it.
# Written as text because SQLAlchemy compiles its ON CONFLICT construct again at each use.
UPSERT = Prepared(
    text(
        f"INSERT INTO {SEQUENCES.name} (prefix, year, last_value) VALUES (:prefix, :year, 1) "
        f"ON CONFLICT (prefix, year) DO UPDATE SET last_value = {SEQUENCES.name}.last_value + 1 "
        "RETURNING last_value"
    ).columns(last_value=Integer())
)


async def next_reference(session: AsyncSession, prefix: str, year: int) -> str:
    """The next free reference for ``prefix`` in ``year``, in the caller's transaction.

    One upsert both creates the year's counter and increments it, so concurrent
    creations never hand out the same number (the row lock holds until commit).
    """
    ((number,),) = await UPSERT.fetch(session, {"prefix": prefix, "year": year})
    return f"{reference_head(prefix, year)}{number:06d}"


def reference_head(prefix: str, year: int) -> str:
    """What a reference of ``prefix`` in ``year`` starts with; its number follows, on six
    digits at least (``states.one_statement`` writes it the same way, in SQL)."""
    return f"{prefix}-{year}-"
