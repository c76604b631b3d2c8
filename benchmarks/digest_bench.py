"""The digests of 100 coordinators over 100,000 overdue cases: time and peak memory."""

from __future__ import annotations

import time
import tracemalloc
from datetime import datetime, timedelta

from sqlalchemy import text

from benchmarks.database import Bench, make_submitted
from states.registry import LIFECYCLES
from workflows.digest import send_digests

TERRITORIES = 17
"""Paris Centre and the 5th to the 20th arrondissements."""
COORDINATORS = 100


async def _coordinators(bench: Bench, now: datetime) -> None:
    """100 coordinators spread over the 17 sectors; the demo's other digest readers are set
    aside."""
    async with bench.engine.begin() as connection:
        await connection.execute(
            text("UPDATE users SET is_active = false WHERE role IN ('coordinator', 'org_admin')")
        )
        await connection.execute(
            text(
                """
                INSERT INTO users (email, hashed_password, is_active, is_superuser, is_verified,
                    organisation_id, role, scope_territory, created_at)
                SELECT 'coordination-' || n || '@relais-mesure.paris', 'x', true, false, true,
                    (SELECT organisation_id FROM users WHERE role = 'coordinator' LIMIT 1),
                    'coordinator',
                    CASE n % :territories WHEN 0 THEN 'paris_centre'
                        ELSE '750' || lpad(((n % :territories) + 4)::text, 2, '0') END,
                    :at
                FROM generate_series(1, :count) n
                """
            ),
            {
                "territories": TERRITORIES,
                "count": COORDINATORS,
                "at": now,
            },
        )


async def measure(bench: Bench, cases: int, now: datetime) -> tuple[float, float, int]:
    """Seconds for the day's digests, peak traced memory in MiB, and cases per digest."""
    await make_submitted(bench, cases, submitted_at=now, territories=TERRITORIES)
    await _coordinators(bench, now)
    # A Monday at 08:00 in Paris, once every escalation (5 days) has passed.
    day = now + timedelta(days=7)
    started = time.perf_counter()
    report = await send_digests(bench.sessions, LIFECYCLES, day)
    seconds = time.perf_counter() - started
    assert len(report.sent) == COORDINATORS, report.summary()
    async with bench.engine.begin() as connection:
        await connection.execute(text("DELETE FROM outbox WHERE message = 'digest'"))
    tracemalloc.start()
    try:
        await send_digests(bench.sessions, LIFECYCLES, day)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return seconds, peak / 2**20, cases // TERRITORIES
