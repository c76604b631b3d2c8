"""Every migration since the accompaniment lifecycle upgrades a database that holds cases.

On SQLite a migration that rebuilds a table other tables' rows refer to (``offers`` under
referrals, ``persons`` under every case) fails on the first such row: an empty database, as in
``alembic check``, never shows it. This test fills the database at 0009 with organisations,
accounts, offers, persons, referrals, accompaniments and handovers, then upgrades to head.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.migrations import test_0010_accompaniment_lifecycle as seeded
from tests.migrations.schema_runner import migrate_to, run_in

SCHEMA = "migration_upgrade_with_cases"


async def _run(engine: AsyncEngine, work: Callable[[sa.Connection], Any]) -> Any:
    return await run_in(engine, SCHEMA, work)


def _counts(connection: sa.Connection) -> dict[str, int]:
    tables = ("persons", "offers", "referrals", "accompaniments", "handovers")
    return {
        table: connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
        for table in tables
    }


async def test_an_upgrade_to_head_keeps_every_case(engine: AsyncEngine) -> None:
    await migrate_to(engine, SCHEMA, "0009")
    await _run(engine, seeded._insert)
    before = await _run(engine, _counts)
    assert all(before.values()), before

    await migrate_to(engine, SCHEMA, "head")

    assert await _run(engine, _counts) == before


async def test_a_downgrade_back_to_0009_keeps_every_case(engine: AsyncEngine) -> None:
    await migrate_to(engine, SCHEMA, "0009")
    await _run(engine, seeded._insert)
    before = await _run(engine, _counts)
    await migrate_to(engine, SCHEMA, "head")

    await migrate_to(engine, SCHEMA, "0009", down=True)

    assert await _run(engine, _counts) == before
