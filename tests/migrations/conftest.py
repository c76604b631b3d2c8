"""Each migration test runs on an empty database of its own: a throw-away SQLite file, or a
schema of the test database on PostgreSQL named by the test module's ``SCHEMA``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import create_engine


@pytest.fixture
async def engine(
    database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[AsyncEngine]:
    """An engine on an empty database of this test's own."""
    schema = request.module.SCHEMA
    on_postgres = database_url.startswith("postgresql")
    url = database_url if on_postgres else f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"
    engine = create_engine(url, pool=False)
    if on_postgres:
        async with engine.begin() as connection:
            await connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            await connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    yield engine
    if on_postgres:
        async with engine.begin() as connection:
            await connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    await engine.dispose()
