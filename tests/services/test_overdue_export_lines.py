"""The CSV export's lines, read with their keys (``overdue_export.overdue_export``), say what
the description of the same cases says (``overdue.overdue_cases``, the digest's and the
dashboard's), written as ``csv.writer`` writes it: for every state of every lifecycle in
which a case can be overdue, the same reference, label, state, organisation expected to act,
escalation time and days late."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.business_days import PARIS
from core.clock import FixedClock
from services.documents import csv_cell
from services.overdue import OverdueCase, overdue_cases
from services.overdue_export import overdue_export
from states.registry import LIFECYCLES
from tests.factories import World, actor_of
from tests.overdue_lines import written
from tests.workflows.case_builders import BUILDERS, Cast, enter_state, make_cast

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
        if state in lifecycle.late_states or state in lifecycle.escalation_states
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
    cast = await make_cast(world, session, clock.now(), ANCHOR)
    await session.close()
    case_id, described, text = await _one_case_exported(sessionmaker, cast, name, state)

    assert [item.case_id for item in described] == [case_id]
    assert described[0].waiting_organisation, "the description names who the case waits on"
    assert text == written(described)


@pytest.mark.parametrize(
    "name",
    [
        '=Relais ; "Nord"',
        "Association « Élan »\nParis 18e",
        "-Insertion, emploi\r",
    ],
)
async def test_an_organisation_with_a_name_to_guard_and_quote_is_written_as_csv_writer_does(
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    name: str,
) -> None:
    """The organisation a case waits on is named as ``csv.writer`` names it (quoted, its
    quotes doubled) after the formula guard (``documents.csv_cell``)."""
    cast = await make_cast(world, session, clock.now(), ANCHOR)
    world.receiver.name = name
    await session.commit()
    await session.close()
    _, described, text = await _one_case_exported(sessionmaker, cast, "referral", "submitted")

    assert [item.waiting_organisation for item in described] == [name]
    assert text == written(described)
    assert f'"{csv_cell(name).replace(chr(34), chr(34) * 2)}"' in text


async def _one_case_exported(
    sessionmaker: async_sessionmaker[AsyncSession], cast: Cast, name: str, state: str
) -> tuple[int, list[OverdueCase], str]:
    """A case of the lifecycle ``name`` left in ``state`` since ``ENTERED``: its id, the
    coordinator's description of the overdue cases at ``LATER``, and their export."""
    lifecycle = LIFECYCLES[name]
    builder = BUILDERS[name]
    case_id = await builder.create(sessionmaker, cast, ENTERED)
    fields = builder.state_fields(cast, state, ANCHOR)
    await enter_state(sessionmaker, lifecycle, case_id, state, ENTERED, ANCHOR, fields)
    coordinator = actor_of(cast.world.coordinator)
    async with sessionmaker() as reading:
        described = await overdue_cases(reading, [lifecycle], coordinator, LATER)
    batches = overdue_export(sessionmaker, [lifecycle], coordinator, LATER)
    return case_id, described, "".join([batch async for batch in batches])
