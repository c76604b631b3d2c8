"""The rows the sweep and digest benchmarks write in bulk are rows relais itself would hold:
they satisfy the schema (a person's name key) and the engine reads them as its own.

PostgreSQL only, as the benchmarks (skipped on SQLite runs).
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from benchmarks.database import Bench, make_submitted
from core.clock import FixedClock
from core.models import Person, Referral, Timer
from core.settings import Settings
from relais.demo import seed_demo
from states.identity import name_key

pytestmark = pytest.mark.postgres

MONDAY = datetime.fromisoformat("2026-03-02T09:00+01:00")


async def test_bulk_submitted_referrals_hold_their_people_and_timers(
    db_engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    settings: Settings,
) -> None:
    await seed_demo(session, settings, FixedClock(MONDAY))
    await session.commit()
    bench = Bench(settings.database_url, db_engine, sessionmaker, settings)

    await make_submitted(bench, 7, submitted_at=MONDAY, territories=3)

    async with sessionmaker() as reading:
        bulk = Referral.reference.like("OR-B-%")
        referrals = await reading.scalar(select(func.count()).where(bulk))
        keys = set(
            (
                await reading.execute(
                    select(Person.name_key)
                    .join(Referral, Referral.person_id == Person.id)
                    .where(bulk)
                )
            ).scalars()
        )
        timers = await reading.scalar(
            select(func.count())
            .select_from(Timer)
            .join(Referral, Referral.id == Timer.case_id)
            .where(bulk, Timer.case_kind == "referral")
        )
        territories = set((await reading.execute(select(Referral.territory).where(bulk))).scalars())
    assert referrals == 7
    assert keys == {name_key("Nom", "Prénom")}
    assert timers == 7 * 3
    assert len(territories) == 3
