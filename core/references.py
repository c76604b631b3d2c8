"""Human-readable case references such as ``OR-2026-000123``, numbered per prefix and year."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core.models.trail import ReferenceSequence

SEQUENCES = cast(Table, ReferenceSequence.__table__)
KEYS = ["prefix", "year"]
INCREMENT = {"last_value": SEQUENCES.c.last_value + 1}
# One upsert per database, built once: it creates the year's counter or increments it.
UPSERTS = {
    name: dialect_insert(SEQUENCES)
    .on_conflict_do_update(index_elements=KEYS, set_=INCREMENT)
    .returning(SEQUENCES.c.last_value)
    for name, dialect_insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}


async def next_reference(session: AsyncSession, prefix: str, year: int) -> str:
    """The next free reference for ``prefix`` in ``year``, in the caller's transaction.

    One upsert both creates the year's counter and increments it, so concurrent
    creations never hand out the same number (the row lock holds until commit).
    """
    dialect = session.get_bind().dialect.name
    upsert = UPSERTS.get(dialect)
    if upsert is None:  # pragma: no cover - only the two supported databases reach here
        raise RuntimeError(f"unsupported database {dialect}")
    values = {"prefix": prefix, "year": year, "last_value": 1}
    number = (await session.execute(upsert, values)).scalar_one()
    return f"{prefix}-{year}-{number:06d}"
