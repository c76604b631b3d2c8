"""Migration ``project_groups`` (issue 16): committees keep their rows and gain a lead partner,
a mandate and an end date (empty for the existing ones); the downgrade drops them again."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.migrations.schema_runner import migrate_to, run_in

SCHEMA = "migration_project_groups"


def _committee(connection: sa.Connection) -> None:
    connection.execute(
        sa.text(
            "INSERT INTO committees (id, name, kind, territory, created_at) "
            "VALUES (1, 'Groupe projet numérique', 'projet', 'paris', '2026-01-01 00:00:00')"
        )
    )


def _columns(connection: sa.Connection) -> set[str]:
    return {column["name"] for column in sa.inspect(connection).get_columns("committees")}


def _project(connection: sa.Connection) -> tuple[object, ...]:
    row = connection.execute(
        sa.text("SELECT name, lead_organisation_id, mandate, ends_on FROM committees")
    ).one()
    return tuple(row)


async def test_existing_committees_gain_empty_project_fields(engine: AsyncEngine) -> None:
    await migrate_to(engine, SCHEMA, "0022")
    await run_in(engine, SCHEMA, _committee)
    await migrate_to(engine, SCHEMA, "0023")
    assert await run_in(engine, SCHEMA, _project) == ("Groupe projet numérique", None, None, None)
    await migrate_to(engine, SCHEMA, "0022", down=True)
    assert not {"lead_organisation_id", "mandate", "ends_on"} & await run_in(
        engine, SCHEMA, _columns
    )
