"""The dashboard's three reads (its figures, its oldest cases, its weekly trend) run side by
side on PostgreSQL, each on its own connection at once, and one after another on the
caller's session on SQLite; either way they give what each read gives alone."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.business_days import PARIS
from core.clock import FixedClock
from core.errors import Forbidden
from services import dashboard
from services.dashboard import (
    DashboardFilters,
    dashboard_cases,
    dashboard_reads,
    overdue_counts,
    overdue_trend,
)
from tests.factories import World, actor_of
from tests.workflows.case_builders import build_handover, build_referral, make_cast

LATER = datetime(2026, 3, 31, 12, tzinfo=PARIS)


async def _overdue_cases(
    world: World, session: AsyncSession, sessionmaker: Any, now: datetime
) -> None:
    cast = await make_cast(world, session, now, datetime(2026, 3, 20, 10, tzinfo=PARIS))
    await session.close()
    for day in (2, 3, 4):
        await build_referral(sessionmaker, cast, datetime(2026, 3, day, 9, tzinfo=PARIS))
        await build_handover(sessionmaker, cast, datetime(2026, 3, day, 11, tzinfo=PARIS))


async def test_the_three_reads_run_at_once_on_postgresql_and_give_what_each_gives_alone(
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    db_engine: AsyncEngine,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _overdue_cases(world, session, sessionmaker, clock.now())
    coordinator = actor_of(world.coordinator)
    filters = DashboardFilters()
    on_postgres = db_engine.dialect.name == "postgresql"
    running = most = 0
    used: set[int] = set()

    def slowed(read: Any) -> Any:
        async def run(own: AsyncSession, *args: Any, **kwargs: Any) -> Any:
            nonlocal running, most
            running += 1
            most = max(most, running)
            used.add(id(own))
            await asyncio.sleep(0.05)  # the others start meanwhile, if they may
            try:
                return await read(own, *args, **kwargs)
            finally:
                running -= 1

        return run

    for name in ("overdue_counts", "dashboard_cases", "overdue_trend"):
        monkeypatch.setattr(dashboard, name, slowed(getattr(dashboard, name)))

    async with sessionmaker() as caller:
        read = await dashboard_reads(caller, sessionmaker, coordinator, LATER, filters, limit=4)

    if on_postgres:  # three sessions of their own (three connections), at once
        assert (most, len(used)) == (3, 3) and id(caller) not in used
    else:
        assert (most, used) == (1, {id(caller)})
    monkeypatch.undo()
    async with sessionmaker() as alone:
        assert read.counts == await overdue_counts(alone, coordinator, LATER, filters)
        assert read.cases == await dashboard_cases(alone, coordinator, LATER, filters, limit=4)
        assert read.trend == await overdue_trend(alone, coordinator, LATER, filters)
    assert read.counts.total == 6 and len(read.cases) == 4


async def test_a_member_is_refused_before_any_read(
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads: list[str] = []

    async def counted(*_: Any, **__: Any) -> None:
        reads.append("read")

    for name in ("overdue_counts", "dashboard_cases", "overdue_trend"):
        monkeypatch.setattr(dashboard, name, counted)
    async with sessionmaker() as caller:
        with pytest.raises(Forbidden):
            await dashboard_reads(
                caller, sessionmaker, actor_of(world.referrer), LATER, DashboardFilters(), limit=4
            )
    assert reads == []
