"""The sweep: 10,000 due timers, and one sweep's cost with 1,000 due among 10,000 then among
1,000,000 pending timers (it should follow the due work, not the table).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from sqlalchemy import text

from benchmarks.database import Bench, make_idle_timers, make_submitted
from states.registry import LIFECYCLES
from workflows.sweep import SweepPolicy, sweep_due

REMINDER_DUE = timedelta(days=3, hours=1)
"""When the bulk-made referrals' reminders (3 days) are due, and nothing else is."""
POLICY = SweepPolicy(batch_size=200, max_batches=1000)


async def timed_sweep(bench: Bench, now: datetime) -> tuple[float, int]:
    """Seconds one sweep took at ``now``, and how many reminders it wrote."""
    started = time.perf_counter()
    report = await sweep_due(bench.sessions, LIFECYCLES, now, policy=POLICY)
    return time.perf_counter() - started, len(report.reminders)


async def many_due(bench: Bench, count: int, now: datetime) -> tuple[float, int]:
    """Seconds to act on ``count`` due reminders."""
    await make_submitted(bench, count, submitted_at=now)
    return await timed_sweep(bench, now + REMINDER_DUE)


async def due_among(
    bench: Bench, due: int, small: int, large: int, now: datetime
) -> tuple[float, float]:
    """One sweep's seconds with ``due`` due timers among ``small``, then ``large`` pending."""
    await make_submitted(bench, due, submitted_at=now)
    await make_idle_timers(bench, small - 3 * due, now + timedelta(days=30))
    small_seconds, _ = await timed_sweep(bench, now + REMINDER_DUE)
    async with bench.engine.begin() as connection:
        await connection.execute(
            text("UPDATE timers SET status = 'pending', fired_at = NULL WHERE status = 'fired'")
        )
        await connection.execute(text("DELETE FROM outbox"))
    await make_idle_timers(bench, large - small, now + timedelta(days=30))
    large_seconds, _ = await timed_sweep(bench, now + REMINDER_DUE)
    return small_seconds, large_seconds
