"""The CSV export merges its streams (each way of being overdue of each lifecycle, read in
its own order from its own last key) into the one overdue order, reading each case once."""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.business_days import PARIS
from core.clock import FixedClock
from services import overdue_export
from services.overdue import overdue_cases
from services.overdue_export import _release, _Stream
from services.overdue_pages import OverdueKey
from states.handover import HANDOVER
from states.referral import REFERRAL, ReferralState
from states.registry import LIFECYCLES
from tests.factories import World, actor_of
from tests.overdue_lines import written
from tests.workflows.case_builders import (
    build_handover,
    build_referral,
    enter_state,
    make_cast,
    referral_fields,
)


def at(day: int, hour: int) -> datetime:
    """A moment of March 2026 in Paris (Monday the 2nd is a working day)."""
    return datetime(2026, 3, day, hour, tzinfo=PARIS)


def key(day: int, lifecycle: str = "referral", case_id: int = 1) -> OverdueKey:
    return OverdueKey(at(day, 9), lifecycle, case_id)


def stream(*keys: OverdueKey, ended: bool) -> _Stream:
    held = _Stream(REFERRAL, 0, ended=ended)
    row: Any = None  # what _release moves is the keys' business, not the rows'
    held.held.extend((item, row) for item in keys)
    return held


def test_rows_are_released_up_to_the_smallest_last_key_of_the_streams_still_open() -> None:
    """Beyond it, a stream still to be read could hold an earlier case."""
    early = stream(key(2), key(5, case_id=2), key(9, case_id=3), ended=False)
    later = stream(key(3, "handover"), key(5, "handover"), key(6, "handover"), ended=False)
    done = stream(key(4, case_id=4), key(8, case_id=5), ended=True)

    released = [item for item, _ in _release([early, later, done])]

    # Up to the open streams' smallest last key (the 6th), that one included, in order.
    assert released == [key(2), key(3, "handover"), key(4, case_id=4), key(5, "handover"),
                        key(5, case_id=2), key(6, "handover")]  # fmt: skip
    assert [item for item, _ in early.held] == [key(9, case_id=3)]
    assert later.held == []
    assert [item for item, _ in done.held] == [key(8, case_id=5)]


def test_streams_read_to_their_end_release_everything_they_hold() -> None:
    first = stream(key(7, case_id=7), ended=True)
    second = stream(key(2, case_id=2), key(9, case_id=9), ended=True)

    released = [item for item, _ in _release([first, second])]

    assert released == [key(2, case_id=2), key(7, case_id=7), key(9, case_id=9)]
    assert first.held == second.held == []


async def test_the_export_interleaves_its_streams_in_the_overdue_order_reading_each_case_once(
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Referrals past their escalation, expired referrals and handovers, overdue in turns,
    read one or two at a time: the lines come in the order of the dashboard's description,
    and no case is read twice."""
    monkeypatch.setattr(overdue_export, "EXPORT_FIRST_BATCH", 1)
    monkeypatch.setattr(overdue_export, "EXPORT_KEYS", 2)
    read = overdue_export._read
    rows_read = [0]

    async def counted(session: AsyncSession, stream: Any, *args: Any) -> None:
        held = len(stream.held)
        await read(session, stream, *args)
        rows_read[0] += len(stream.held) - held

    monkeypatch.setattr(overdue_export, "_read", counted)
    cast = await make_cast(world, session, clock.now(), at(20, 10))
    await session.close()
    for day in (2, 3, 4, 5):
        await build_referral(sessionmaker, cast, at(day, 9))
        await build_handover(sessionmaker, cast, at(day, 11))
    for day in (3, 6, 10, 11):
        expired = await build_referral(sessionmaker, cast, at(2, 8))
        fields = referral_fields(cast, "expired", at(day, 10))
        await enter_state(
            sessionmaker, REFERRAL, expired, "expired", at(day, 10), at(day, 10), fields
        )
    later = at(31, 12)
    coordinator = actor_of(world.coordinator)
    lifecycles = list(LIFECYCLES.values())
    async with sessionmaker() as reading:
        described = await overdue_cases(reading, lifecycles, coordinator, later)
    streams = [
        (item.lifecycle, item.state == ReferralState.EXPIRED) for item in described
    ]  # which way of being overdue each case is, in the order
    turns = sum(1 for one, other in pairwise(streams) if one != other)
    assert {name for name, _ in streams} == {REFERRAL.name, HANDOVER.name}
    assert len(described) == 12 and turns >= 6, "the streams take turns in the order"

    batches = overdue_export.overdue_export(sessionmaker, lifecycles, coordinator, later, size=3)
    text = "".join([batch async for batch in batches])

    assert text == written(described)
    assert rows_read[0] == len(described)
