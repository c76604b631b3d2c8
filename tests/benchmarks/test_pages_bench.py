"""``python -m benchmarks pages`` at a tiny scale: every page answers through the real
application for the users it picks, and the figures are printed side by side.

PostgreSQL only: the years are written with asyncpg's ``COPY`` (skipped on SQLite runs).
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from benchmarks import indicators_bench, pages_bench
from benchmarks.database import Bench
from benchmarks.indicators_bench import Timing
from benchmarks.paris_years import generate
from core.clock import FixedClock
from core.settings import Settings
from relais.demo import seed_demo

pytestmark = pytest.mark.postgres


async def test_every_page_is_timed_for_the_busiest_organisation(
    db_engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await seed_demo(session, settings, FixedClock(datetime.fromisoformat("2026-03-02T09:00Z")))
    await session.commit()
    async with db_engine.connect() as connection:
        raw = await connection.get_raw_connection()
        await generate(raw.driver_connection, referrals=300, seed=7)
        await connection.commit()
    monkeypatch.setattr(pages_bench, "RUNS", 2)
    monkeypatch.setattr(pages_bench, "EXPORT_RUNS", 2)
    monkeypatch.setattr(indicators_bench, "FEWEST_RUNS", 2)
    shown: list[tuple[str, float, str]] = []
    bench = Bench(settings.database_url, db_engine, sessionmaker, settings)

    timings = await pages_bench.measure_pages(
        bench, 300, lambda name, value, unit: shown.append((name, value, unit))
    )

    found = await pages_bench.subjects(bench)
    assert found.member.endswith("@paris-mesure.test")
    exports = {
        f"csv overdue {export} {name}"
        for export in ("all Paris", "75018")
        for name in ("first byte", "total")
    }
    assert set(timings) == {page.name for page in pages_bench.pages(found)} | exports
    names = [name for name, _, _ in shown]
    assert "page inbox (300 referrals)" in names
    assert "page api overdue (300 referrals)" in names
    assert "page api overdue later (300 referrals)" in names
    assert "page csv overdue all Paris first byte (300 referrals)" in names
    assert "page csv overdue 75018 first byte (300 referrals)" in names
    assert all(value > 0 for _, value, _ in shown)


def test_side_by_side_names_each_scale() -> None:
    line = pages_bench.side_by_side(
        "inbox", (18_000, 180_000), (Timing(10.0, 12.5), Timing(11.0, 14.25))
    )
    assert line == (
        "page inbox: 10 ms (p95 12.5 ms) at 18000 referrals"
        " | 11 ms (p95 14.25 ms) at 180000 referrals"
    )
