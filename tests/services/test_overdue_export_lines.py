"""The CSV export's lines, read with their keys (``overdue_export.overdue_export``), say what
the description of the same cases says (``overdue.overdue_cases``, the digest's and the
dashboard's), written as ``csv.writer`` writes it: for every state of every lifecycle in
which a case can be overdue, the same reference, label, state, organisation expected to act,
escalation time and days late."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.business_days import PARIS
from core.clock import FixedClock
from core.models import Referral
from services.documents import csv_cell
from services.overdue import OverdueCase, overdue_cases
from services.overdue_export import overdue_export
from states.referral import REFERRAL
from states.registry import LIFECYCLES
from tests.factories import World, actor_of, make_organisation
from tests.overdue_lines import read_lines, written
from tests.workflows.case_builders import BUILDERS, Cast, build_referral, enter_state, make_cast

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


@pytest.mark.parametrize("reference", ['=ORI;2026 "1"', "-ORI-2026-000001\r", "@ORI\n2026"])
async def test_a_reference_to_guard_and_quote_is_written_as_csv_writer_does(
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    reference: str,
) -> None:
    """References are relais's own and need no quoting, so a batch's are checked at once:
    one that would need it (none does today) is still written as ``csv.writer`` writes it,
    beside one that does not."""
    cast = await make_cast(world, session, clock.now(), ANCHOR)
    await session.close()
    first = await build_referral(sessionmaker, cast, ENTERED)
    await build_referral(sessionmaker, cast, ENTERED + timedelta(hours=1))
    async with sessionmaker() as writing:
        await writing.execute(
            update(Referral).where(Referral.id == first).values(reference=reference)
        )
        await writing.commit()
    coordinator = actor_of(world.coordinator)
    async with sessionmaker() as reading:
        described = await overdue_cases(reading, [REFERRAL], coordinator, LATER)
    text = "".join(
        [batch async for batch in overdue_export(sessionmaker, [REFERRAL], coordinator, LATER)]
    )

    assert [item.reference for item in described[:1]] == [reference]
    assert text == written(described)
    assert read_lines(text)[0].reference == csv_cell(reference)


async def test_an_organisation_created_while_the_export_runs_is_named(
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    """The organisations' names are read with the first batch: a later case waiting on an
    organisation created since is written with its name, read then."""
    cast = await make_cast(world, session, clock.now(), ANCHOR)
    await session.close()
    await build_referral(sessionmaker, cast, ENTERED)
    second = await build_referral(sessionmaker, cast, ENTERED + timedelta(hours=1))
    coordinator = actor_of(world.coordinator)
    batches = overdue_export(sessionmaker, [REFERRAL], coordinator, LATER, size=1)
    texts = [await anext(batches)]
    async with sessionmaker() as writing:
        newcomer = await make_organisation(writing, clock.now(), name="Structure nouvelle")
        await writing.execute(
            update(Referral)
            .where(Referral.id == second)
            .values(receiver_organisation_id=newcomer.id)
        )
        await writing.commit()
    texts.extend([batch async for batch in batches])
    async with sessionmaker() as reading:
        described = await overdue_cases(reading, [REFERRAL], coordinator, LATER)

    assert len(texts) == 2
    assert [line.waiting_organisation for line in read_lines("".join(texts))] == [
        world.receiver.name,
        "Structure nouvelle",
    ]
    assert "".join(texts) == written(described)
