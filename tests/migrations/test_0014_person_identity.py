"""The person-identity migration computes the name key of every person already recorded.

A database at revision 0010 holds four persons, two of them the same human spelt two ways
(« Éloïse D'Arcy-Núñez » and « eloise  d arcy nunez », same birth date). Upgraded, each has
the key the running code computes (``states.identity.name_key``), no identifier, and the two
spellings are still two records (the coordinators merge them); the database refuses a
France Travail identifier held twice. Downgraded, the columns go; upgraded again, the keys
come back the same.

On PostgreSQL the migration runs in a schema of its own, on SQLite in a file of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import UTCDateTime
from states.identity import name_key
from tests.migrations.schema_runner import migrate_to, run_in

SCHEMA = "migration_person_identity"
REVISION = "0014"
NAMES = {
    1: ("Éloïse", "D'Arcy-Núñez"),
    2: ("eloise ", " d arcy  nunez"),
    3: ("Jean-Pierre", "Martin"),
    4: ("Ærwin", "Straße"),
}
PERSONS = sa.table(
    "persons",
    sa.column("id"),
    sa.column("first_name"),
    sa.column("last_name"),
    sa.column("birth_date"),
    sa.column("created_at", UTCDateTime()),
)


async def _run(engine: AsyncEngine, work: Callable[[sa.Connection], Any]) -> Any:
    return await run_in(engine, SCHEMA, work)


async def _migrate(engine: AsyncEngine, revision: str, *, down: bool = False) -> Any:
    return await migrate_to(engine, SCHEMA, revision, down=down)


def _insert(connection: sa.Connection) -> None:
    connection.execute(
        sa.insert(PERSONS),
        [
            {
                "id": person_id,
                "first_name": first,
                "last_name": last,
                "birth_date": date(1990, 5, 17) if person_id <= 2 else None,
                "created_at": datetime(2026, 1, 5, 9, tzinfo=UTC),
            }
            for person_id, (first, last) in NAMES.items()
        ],
    )


def _keys(connection: sa.Connection) -> dict[int, tuple[Any, ...]]:
    rows = connection.execute(
        sa.text("SELECT id, name_key, france_travail_id, caf_number FROM persons ORDER BY id")
    )
    return {row[0]: tuple(row[1:]) for row in rows}


async def test_the_name_key_of_every_person_is_computed(engine: AsyncEngine) -> None:
    await _migrate(engine, "0013")
    await _run(engine, _insert)
    await _migrate(engine, REVISION)

    keys = await _run(engine, _keys)
    assert keys == {
        person_id: (name_key(last, first), None, None) for person_id, (first, last) in NAMES.items()
    }
    assert keys[1][0] == keys[2][0] == "d arcy nunez|eloise"  # one human, still two records
    assert keys[4][0] == "strasse|ærwin"  # NFKD splits no ligature: Æ stays

    def twice(connection: sa.Connection) -> None:
        connection.execute(sa.text("UPDATE persons SET france_travail_id = '1234567A'"))

    with pytest.raises(IntegrityError):
        await _run(engine, twice)

    await _migrate(engine, "0013", down=True)

    def columns(connection: sa.Connection) -> set[str]:
        return {column["name"] for column in sa.inspect(connection).get_columns("persons")}

    assert "name_key" not in await _run(engine, columns)
    await _migrate(engine, REVISION)
    assert await _run(engine, _keys) == keys
