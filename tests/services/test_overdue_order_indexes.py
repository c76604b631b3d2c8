"""The cases late in themselves (an expired referral) are read in the overdue order from an
index of their own (migration 0033), as the open escalations are (``ix_timers_overdue_order``):
the dashboard's oldest, ``GET /api/overdue`` and the export's first lines sort nothing."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Index
from sqlalchemy.ext.asyncio import AsyncSession

from core.business_days import PARIS
from services.overdue import overdue_selects
from states.lifecycle import Lifecycle
from states.registry import LIFECYCLES
from tests.factories import World, actor_of
from tests.plans import index_plan

NOW = datetime(2027, 1, 4, 9, tzinfo=PARIS)


def _in_late_order(lifecycle: Lifecycle) -> list[Index]:
    """The indexes of ``lifecycle``'s cases by when they entered their state, then id."""
    return [
        index
        for index in lifecycle.model.__table__.indexes
        if [column.name for column in index.columns] == ["state_entered_at", "id"]
    ]


def test_each_lifecycle_late_in_itself_has_its_index_in_that_order() -> None:
    """Its partial index holds the cases of its late states by when they entered them."""
    late = [lifecycle for lifecycle in LIFECYCLES.values() if lifecycle.late_states]
    assert late, "a lifecycle has a state late in itself"
    for lifecycle in late:
        expected = " OR ".join(f"state = '{state}'" for state in sorted(lifecycle.late_states))
        ordered = _in_late_order(lifecycle)
        assert [
            (str(index.dialect_options["postgresql"]["where"]),
             str(index.dialect_options["sqlite"]["where"]))
            for index in ordered
        ] == [(expected, expected)], lifecycle.name  # fmt: skip


@pytest.mark.postgres
@pytest.mark.parametrize("name", [name for name, cycle in LIFECYCLES.items() if cycle.late_states])
async def test_the_first_cases_late_in_themselves_are_read_in_order(
    session: AsyncSession, world: World, name: str
) -> None:
    lifecycle = LIFECYCLES[name]
    model = lifecycle.model
    late, since = overdue_selects(lifecycle, actor_of(world.coordinator), NOW, model.id)[-1]
    statement = late.order_by(since, model.id).limit(101)
    plan = await index_plan(session, statement)

    (index,) = _in_late_order(lifecycle)
    assert f"Scan using {index.name} on" in plan, plan
    assert "Sort" not in plan, plan
