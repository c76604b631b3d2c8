"""``relais offers import`` as a real process on the tests' PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.models import Offer
from tests.cli.test_offers_import import import_twice_then_refuse

pytestmark = pytest.mark.postgres


async def test_import_on_postgresql(
    tmp_path: Path, database_url: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async def titles() -> list[tuple[str, str]]:
        async with sessionmaker() as session:
            rows = await session.execute(
                select(Offer.source_id, Offer.title)
                .where(Offer.source_id.is_not(None))
                .order_by(Offer.source_id)
            )
            return [(str(source_id), title) for source_id, title in rows.tuples()]

    await import_twice_then_refuse(tmp_path, database_url, titles)
