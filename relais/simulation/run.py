"""The simulation's clock: day after day, the traffic, then every hour the sweep (which may
crash and is run again) and the delivery, in its own process beside the next hour's traffic
(``relais.simulation.delivery_worker``), and each business morning the digest.
"""

from __future__ import annotations

import asyncio
import tempfile
import time as wall
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from random import Random

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.business_days import PARIS, is_business_day
from core.clock import FixedClock
from core.db import create_engine, create_sessionmaker
from core.migrate import upgrade_engine
from core.models import OutboxMessage
from core.settings import Settings
from relais.simulation.delivery_worker import DeliveryWorker, Faults
from relais.simulation.faults import CrashPlan, crashing_sessions, until_done
from relais.simulation.report import SimulationReport, measure
from relais.simulation.traffic import Traffic
from relais.simulation.world import build_world
from states.registry import LIFECYCLES
from workflows.digest import send_digests
from workflows.sweep import SweepReport, sweep_due

FIRST_DAY = date(2026, 1, 5)
"""A Monday: the simulated year starts there."""
HOURS = range(8, 20)
"""The sweep and the delivery run every hour from 08:00 to 19:00 (Paris)."""
UNRESPONSIVE_SHARE = 0.12
"""The share of partners that never answer their referrals."""
CLOSING_TIME = time(12)
"""Halfway through the simulated days, at noon, one organisation's accounts are deactivated."""


@dataclass(frozen=True)
class SimulationConfig:
    """What ``relais simulate`` was asked for."""

    referrals: int
    days: int
    seed: int
    smtp_failure_rate: float
    crash_rate: float


async def simulate(
    settings: Settings, config: SimulationConfig, progress: Callable[[str], None]
) -> SimulationReport:
    """Run the whole simulation on ``settings``' (empty) database and measure it."""
    started = wall.perf_counter()
    random = Random(config.seed)
    engine = create_engine(settings.database_url)
    delivery: DeliveryWorker | None = None
    try:
        await upgrade_engine(engine)
        sessions = create_sessionmaker(engine)
        start = datetime.combine(FIRST_DAY, time(7), tzinfo=PARIS)
        world = await build_world(sessions, settings, FixedClock(start), random, UNRESPONSIVE_SHARE)
        traffic = Traffic(world, random, sessions, settings)
        _plan_closing(traffic, config)
        traffic.coordinators.plan_rounds(start)
        faults = Faults(config.smtp_failure_rate, config.crash_rate, config.seed)
        delivery = DeliveryWorker(settings, faults)
        plan = CrashPlan(config.crash_rate, Random(config.seed + 1))
        sweeps = Sweeps(crashing_sessions(engine, plan), plan)
        days = [FIRST_DAY + timedelta(days=n) for n in range(config.days)]
        arrivals = _spread(config.referrals, [day for day in days if is_business_day(day)])
        last = start
        for number, day in enumerate(days, start=1):
            traffic.plan_arrivals(day, arrivals.get(day, 0))
            for hour in HOURS:
                tick = datetime.combine(day, time(hour), tzinfo=PARIS)
                if hour == HOURS[0]:
                    await send_digests(sessions, LIFECYCLES, tick)
                await traffic.run_until(tick)
                swept = await sweeps.sweep(tick)
                # The delivery of what is queued now runs beside the next hour's traffic,
                # except on SQLite, which takes one writer at a time: each would wait on the
                # other's transactions, in steps of milliseconds.
                await delivery.start_delivery(swept, await _last_queued(sessions))
                if engine.dialect.name == "sqlite":
                    await delivery.settle()
                last = max(last, swept, delivery.finished or swept)
            if number % 30 == 0:
                progress(f"jour {number}/{config.days} ({wall.perf_counter() - started:.0f} s)")
        last = max(last, await delivery.settle() or last)
        last = await delivery.drain(sessions, last)
        tally = await delivery.stop()
        return await measure(
            sessions,
            tally,
            traffic.stats,
            sweeps.crashes,
            start=start,
            end=last,
            silent=len(sweeps.silent),
            seconds=wall.perf_counter() - started,
        )
    finally:
        if delivery is not None:
            delivery.kill()
        await engine.dispose()


def simulate_in(
    settings: Settings,
    database_url: str | None,
    config: SimulationConfig,
    progress: Callable[[str], None],
) -> SimulationReport:
    """Run the simulation on ``database_url``, or on a throw-away SQLite file when None."""
    if database_url is not None:
        return asyncio.run(
            simulate(settings.model_copy(update={"database_url": database_url}), config, progress)
        )
    with tempfile.TemporaryDirectory(prefix="relais-simulation-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'simulation.db'}"
        return asyncio.run(
            simulate(settings.model_copy(update={"database_url": url}), config, progress)
        )


def _plan_closing(traffic: Traffic, config: SimulationConfig) -> None:
    """Halfway through, every account of the world's closing organisation is deactivated."""
    if traffic.world.closing is None:
        return
    day = FIRST_DAY + timedelta(days=config.days // 2)
    halfway = datetime.combine(day, CLOSING_TIME, tzinfo=PARIS)
    closing = traffic.coordinators.close_organisation(traffic.world.closing)
    traffic.at(halfway, "close_organisation", closing)


def _spread(total: int, days: list[date]) -> dict[date, int]:
    """``total`` arrivals spread evenly over ``days``."""
    if not days:
        return {}
    base, extra = divmod(total, len(days))
    return {day: base + (1 if index < extra else 0) for index, day in enumerate(days)}


class Sweeps:
    """The sweep as the flow runs it, restarted after a crash, with what it found."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], plan: CrashPlan) -> None:
        self.sessions = sessions
        self.plan = plan
        # Every reminder or alert a sweep found nobody to send to.
        self.silent: list[str] = []

    @property
    def crashes(self) -> int:
        """How many sweep batches died."""
        return self.plan.sweep_crashes

    async def sweep(self, now: datetime) -> datetime:
        """Sweep at ``now``; after a crash, again once the worker is back. When it succeeded.

        The reminders and alerts that reached nobody are kept, those of the batches committed
        before a crash too; a crashed batch's, rolled back, come again in the next run (once).
        """
        silent: set[str] = set()

        async def run(at: datetime) -> None:
            report = SweepReport()
            try:
                await sweep_due(self.sessions, LIFECYCLES, at, report=report)
            finally:
                silent.update(report.silent)

        done = await until_done(run, now)
        self.silent.extend(sorted(silent))
        return done


async def _last_queued(sessions: async_sessionmaker[AsyncSession]) -> int:
    """The id of the latest message queued, 0 when none is."""
    async with sessions() as session:
        return await session.scalar(select(func.max(OutboxMessage.id))) or 0
