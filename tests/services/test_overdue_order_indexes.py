"""The cases late in themselves (an expired referral) are read in the overdue order from an
index of their own (migration 0033), as the open escalations are (``ix_timers_overdue_order``):
the dashboard's oldest, ``GET /api/overdue`` and the export's first lines sort nothing. The
referrals past an open escalation are counted from an index of those that can be (migration
0034)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

import pytest
from sqlalchemy import Column, Index, Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql import visitors

from core.business_days import PARIS
from core.clock import FixedClock
from core.enums import Role, Territory
from core.models import Referral
from services.dashboard import DashboardFilters, overdue_counts
from services.overdue import overdue_selects
from services.overdue_export import _line_columns
from states.actor import Actor
from states.lifecycle import Lifecycle
from states.registry import LIFECYCLES
from tests.factories import World, actor_of
from tests.plans import index_plan, postgresql_dialect
from tests.workflows.case_builders import BUILDERS, enter_state, make_cast

NOW = datetime(2027, 1, 4, 9, tzinfo=PARIS)
ENTERED = datetime(2026, 3, 2, 9, 30, tzinfo=PARIS)
"""When a case enters its state: a Monday."""
COORDINATOR = Actor(user_id=1, organisation_id=None, role=Role.COORDINATOR)
"""A coordinator of all Paris, for the statements compiled without a database."""


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


OVERDUE_PARTIES = next(
    index
    for index in cast(Table, Referral.__table__).indexes
    if index.name == "ix_referrals_overdue_parties"
)


def test_the_overdue_parties_index_holds_the_referrals_that_can_be_past_an_escalation() -> None:
    """Its states are the referral's states with an escalation, the late one apart: a state
    given one later must be added to it, or the count would no longer read it."""
    lifecycle = LIFECYCLES["referral"]
    states = sorted(set(lifecycle.escalation_states) - set(lifecycle.late_states))
    expected = "state IN (" + ", ".join(f"'{state}'" for state in states) + ")"
    options = OVERDUE_PARTIES.dialect_options
    assert str(options["postgresql"]["where"]) == expected
    assert str(options["sqlite"]["where"]) == expected


def test_the_index_carries_what_a_territory_s_export_reads_of_each_referral() -> None:
    """On PostgreSQL the export's lines (reference, state, parties) and a territory's filter
    (the case's territory, its person) are read from the index alone: it carries every
    column of the referral they name."""
    lifecycle = LIFECYCLES["referral"]
    filters = DashboardFilters(territory=Territory("75018"))
    past, _ = overdue_selects(
        lifecycle, COORDINATOR, NOW, *_line_columns(lifecycle), where=filters.territory_clause
    )[0]
    table = Referral.__table__
    read = {
        element.name
        for element in visitors.iterate(past)
        if isinstance(element, Column) and element.table is table
    }
    carried = {column.name for column in OVERDUE_PARTIES.columns}
    carried |= set(OVERDUE_PARTIES.dialect_options["postgresql"]["include"] or ())

    assert {"reference", "territory", "person_id"} <= read
    assert read <= carried, read - carried


def test_the_referrals_past_their_escalation_are_read_with_the_index_s_states_written_out() -> None:
    """PostgreSQL reads a partial index only for a statement that implies its condition
    with the values in its text: the states bound as parameters, or the referrals « not
    expired », and it reads every referral instead (45-57 ms against 28-31 for the count at
    180,000 referrals)."""
    past, _ = overdue_selects(LIFECYCLES["referral"], COORDINATOR, NOW, Referral.state)[0]
    # As sent: the values of an expanding or literal parameter rendered in place.
    sql = str(
        past.compile(dialect=postgresql_dialect(), compile_kwargs={"render_postcompile": True})
    )
    condition = str(OVERDUE_PARTIES.dialect_options["postgresql"]["where"])

    assert condition.replace("state IN", "referrals.state IN") in sql, sql


async def test_the_dashboard_counts_a_referral_overdue_in_each_state_it_can_be(
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    """Narrowed to the index's states, the count still misses no referral: one left past its
    escalation in each state that has one, and one expired, are all counted."""
    lifecycle = LIFECYCLES["referral"]
    builder = BUILDERS["referral"]
    people = await make_cast(world, session, clock.now(), ENTERED)
    await session.close()
    states = sorted({*lifecycle.escalation_states, *lifecycle.late_states})
    for state in states:
        case_id = await builder.create(sessionmaker, people, ENTERED)
        fields = builder.state_fields(people, state, ENTERED)
        await enter_state(sessionmaker, lifecycle, case_id, state, ENTERED, ENTERED, fields)
    async with sessionmaker() as reading:
        counts = await overdue_counts(
            reading, actor_of(world.coordinator), ENTERED + timedelta(days=400), DashboardFilters()
        )

    assert len(states) > len(lifecycle.late_states) > 0
    assert counts.by_lifecycle["referral"] == len(states)
