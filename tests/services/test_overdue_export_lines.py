"""The CSV export's lines, read with their keys (``overdue_export.overdue_export``), say what
the description of the same cases says (``overdue.overdue_cases``, the digest's and the
dashboard's): for every state of every lifecycle in which a case can be overdue, the same
reference, label, state, organisation expected to act, escalation time and days late."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.business_days import PARIS
from core.clock import FixedClock
from core.enums import TimerKind
from services.overdue import overdue_cases
from services.overdue_export import overdue_export
from states.registry import LIFECYCLES
from tests.factories import World, actor_of
from tests.workflows.case_builders import BUILDERS, enter_state, make_cast

ENTERED = datetime(2026, 3, 2, 9, 30, tzinfo=PARIS)
"""When the case enters its state: a Monday."""
ANCHOR = datetime(2026, 3, 4, 10, 0, tzinfo=PARIS)
"""What anchored timers count from (a meeting, a due date)."""
LATER = ENTERED + timedelta(days=400)
"""Past every escalation the lifecycles declare."""


def overdue_states() -> list[Any]:
    """``(lifecycle, state)`` of every state in which a case can be overdue: one with an
    escalation, or late in itself."""
    return [
        pytest.param(lifecycle.name, state, id=f"{lifecycle.name}-{state}")
        for lifecycle in LIFECYCLES.values()
        for state in lifecycle.states
        if state in lifecycle.late_states
        or any(spec.kind is TimerKind.ESCALATION for spec in lifecycle.timers.get(state, ()))
    ]


def test_every_lifecycle_can_be_overdue() -> None:
    """The parametrisation reads the declarations: each lifecycle has such a state."""
    assert {param.values[0] for param in overdue_states()} == set(LIFECYCLES)


@pytest.mark.parametrize(("name", "state"), overdue_states())
async def test_a_line_says_what_the_description_says(
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    name: str,
    state: str,
) -> None:
    lifecycle = LIFECYCLES[name]
    cast = await make_cast(world, session, clock.now(), ANCHOR)
    await session.close()
    builder = BUILDERS[name]
    case_id = await builder.create(sessionmaker, cast, ENTERED)
    fields = builder.state_fields(cast, state, ANCHOR)
    await enter_state(sessionmaker, lifecycle, case_id, state, ENTERED, ANCHOR, fields)
    coordinator = actor_of(world.coordinator)

    async with sessionmaker() as reading:
        described = await overdue_cases(reading, [lifecycle], coordinator, LATER)
    lines = [
        line
        async for batch in overdue_export(sessionmaker, [lifecycle], coordinator, LATER)
        for line in batch
    ]

    assert [item.case_id for item in described] == [case_id]
    expected = [
        (
            item.reference,
            item.case_label,
            item.state_label,
            item.waiting_organisation,
            item.escalation_at,
            item.days_overdue,
        )
        for item in described
    ]
    assert expected[0][3], "the description names who the case waits on"
    assert [
        (
            line.reference,
            line.case_label,
            line.state_label,
            line.waiting_organisation,
            line.escalation_at,
            line.days_overdue,
        )
        for line in lines
    ] == expected
