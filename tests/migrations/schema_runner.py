"""Run work and Alembic commands on a migration test's own database (``conftest.engine``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import AsyncEngine

from core.migrate import alembic_config


async def run_in(engine: AsyncEngine, schema: str, work: Callable[[sa.Connection], Any]) -> Any:
    """``work`` on a connection of ``engine``, in one transaction, in ``schema`` on PostgreSQL."""
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execute(sa.text(f"SET search_path TO {schema}"))
        return await connection.run_sync(work)


async def migrate_to(engine: AsyncEngine, schema: str, revision: str, *, down: bool = False) -> Any:
    """Upgrade (or, ``down``, downgrade) the database of ``engine`` to ``revision``."""

    def work(connection: sa.Connection) -> None:
        config = alembic_config(engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

    return await run_in(engine, schema, work)
