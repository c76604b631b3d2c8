"""Human-readable case references such as ``OR-2026-000123``, numbered per prefix and year."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core.models.trail import ReferenceSequence

COUNTER = ReferenceSequence.last_value


async def next_reference(session: AsyncSession, prefix: str, year: int) -> str:
    """The next free reference for ``prefix`` in ``year``, in the caller's transaction.

    One upsert both creates the year's counter and increments it, so concurrent
    creations never hand out the same number (the row lock holds until commit).
    """
    dialect = session.get_bind().dialect.name
    values = {"prefix": prefix, "year": year, "last_value": 1}
    keys = ["prefix", "year"]
    increment = {"last_value": COUNTER + 1}
    upserted: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        on_pg = postgresql.insert(ReferenceSequence).values(**values)
        upserted = on_pg.on_conflict_do_update(index_elements=keys, set_=increment)
    elif dialect == "sqlite":
        on_lite = sqlite.insert(ReferenceSequence).values(**values)
        upserted = on_lite.on_conflict_do_update(index_elements=keys, set_=increment)
    else:  # pragma: no cover - only the two supported databases reach here
        raise RuntimeError(f"unsupported database {dialect}")
    number = (await session.execute(upserted.returning(COUNTER))).scalar_one()
    return f"{prefix}-{year}-{number:06d}"
