"""Migration 0021 ``plan_reference`` (issue 16): the plan's axes and sub-axes are reference
rows identical to the code's enums, and offers can be attached to sub-axes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.enums import PlanAxis, PlanMainAxis
from tests.migrations.schema_runner import migrate_to, run_in

SCHEMA = "migration_plan_reference"


def _rows(connection: sa.Connection) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    axes = connection.execute(sa.text("SELECT code, title FROM plan_axes ORDER BY code"))
    sub_axes = connection.execute(
        sa.text("SELECT code, axis_code, title FROM plan_sub_axes ORDER BY position")
    )
    return [tuple(row) for row in axes], [tuple(row) for row in sub_axes]


async def test_the_reference_rows_are_the_enums(engine: AsyncEngine) -> None:
    await migrate_to(engine, SCHEMA, "0021")
    axes, sub_axes = await run_in(engine, SCHEMA, _rows)
    assert axes == [(axis.value, axis.label) for axis in PlanMainAxis]
    assert sub_axes == [(sub.value, sub.main_axis.value, sub.label) for sub in PlanAxis]
    assert len(sub_axes) == 10


def _attach(code: str) -> Callable[[sa.Connection], None]:
    def work(connection: sa.Connection) -> None:
        connection.execute(
            sa.text(
                "INSERT INTO organisations (id, name, kind, territory, is_active, created_at) "
                "VALUES (1, 'EPI', 'epi', 'paris', true, '2026-01-01 00:00:00')"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO offers (id, organisation_id, title, description, category, "
                "territory, eligible_publics, is_active, created_at) VALUES (1, 1, 'Offre', '', "
                "'choisir-un-metier', 'paris', '[]', true, "
                "'2026-01-01 00:00:00')"
            )
        )
        connection.execute(
            sa.text("INSERT INTO offer_sub_axes (offer_id, sub_axis) VALUES (1, :code)"),
            {"code": code},
        )

    return work


async def test_an_offer_serves_only_a_sub_axis_of_the_plan(engine: AsyncEngine) -> None:
    await migrate_to(engine, SCHEMA, "0021")
    with pytest.raises(IntegrityError):
        await run_in(engine, SCHEMA, _attach("5.1"))
    await run_in(engine, SCHEMA, _attach("3.3"))


async def test_downgrade_drops_the_tables(engine: AsyncEngine) -> None:
    await migrate_to(engine, SCHEMA, "0021")
    await migrate_to(engine, SCHEMA, "0020", down=True)

    def tables(connection: sa.Connection) -> set[str]:
        return set(sa.inspect(connection).get_table_names())

    assert not {"plan_axes", "plan_sub_axes", "offer_sub_axes"} & await run_in(
        engine, SCHEMA, tables
    )
