"""The simulation's clock: day after day, the traffic, then every hour the sweep and the
delivery (which may crash and are run again), and each business morning the digest.
"""

from __future__ import annotations

import asyncio
import tempfile
import time as wall
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from random import Random

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.business_days import PARIS, is_business_day
from core.clock import FixedClock
from core.db import create_engine, create_sessionmaker
from core.enums import OutboxStatus
from core.migrate import upgrade_engine
from core.models import OutboxMessage
from core.settings import Settings
from notifications.transport import SmtpTransport
from relais.simulation.faults import Crash, CrashPlan, crashing_sessions, crashing_transports
from relais.simulation.relay import LoopbackRelay
from relais.simulation.report import SimulationReport, measure
from relais.simulation.traffic import Traffic
from relais.simulation.world import build_world
from states.registry import LIFECYCLES
from workflows.delivery import DeliveryPolicy, deliver_due
from workflows.digest import send_digests
from workflows.sweep import SweepReport, sweep_due

FIRST_DAY = date(2026, 1, 5)
"""A Monday: the simulated year starts there."""
HOURS = range(8, 20)
"""The sweep and the delivery run every hour from 08:00 to 19:00 (Paris)."""
RESTART = timedelta(minutes=6)
"""A crashed worker is back this long after, once the lease of what it held has ended."""
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
    relay = LoopbackRelay(config.smtp_failure_rate, config.seed)
    relay.start()
    try:
        await upgrade_engine(engine)
        sessions = create_sessionmaker(engine)
        start = datetime.combine(FIRST_DAY, time(7), tzinfo=PARIS)
        world = await build_world(sessions, settings, FixedClock(start), random, UNRESPONSIVE_SHARE)
        traffic = Traffic(world, random, sessions, settings)
        _plan_closing(traffic, config)
        traffic.coordinators.plan_rounds(start)
        plan = CrashPlan(config.crash_rate, Random(config.seed + 1))
        policy = DeliveryPolicy(max_attempts=settings.delivery_max_attempts)
        transports = crashing_transports(
            lambda: SmtpTransport(relay.host, relay.port, timeout=30),
            plan,
            policy.batch_size,
        )
        workers = Workers(sessions, crashing_sessions(engine, plan), transports, policy, settings)
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
                last = await workers.sweep(tick)
                last = max(last, await workers.deliver(last))
            if number % 30 == 0:
                progress(f"jour {number}/{config.days} ({wall.perf_counter() - started:.0f} s)")
        await workers.drain(last)
        return await measure(
            sessions,
            relay.handler.counts(),
            traffic.stats,
            plan,
            start=start,
            end=last,
            refused=relay.handler.refused,
            silent=len(workers.silent),
            seconds=wall.perf_counter() - started,
        )
    finally:
        relay.stop()
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


class Workers:
    """The sweep and the delivery as the flows run them, restarted after a crash."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sweep_sessions: async_sessionmaker[AsyncSession],
        transports: Callable[[], SmtpTransport] | Callable[[], object],
        policy: DeliveryPolicy,
        settings: Settings,
    ) -> None:
        self.sessions = sessions
        self.sweep_sessions = sweep_sessions
        self.transports = transports
        self.policy = policy
        self.settings = settings
        # Every reminder or alert a sweep found nobody to send to.
        self.silent: list[str] = []

    async def sweep(self, now: datetime) -> datetime:
        """Sweep at ``now``; after a crash, again once the worker is back. When it succeeded.

        The reminders and alerts that reached nobody are kept, those of the batches committed
        before a crash too; a crashed batch's, rolled back, come again in the next run (once).
        """
        silent: set[str] = set()

        async def run(at: datetime) -> None:
            report = SweepReport()
            try:
                await sweep_due(self.sweep_sessions, LIFECYCLES, at, report=report)
            finally:
                silent.update(report.silent)

        done = await _until_done(run, now)
        self.silent.extend(sorted(silent))
        return done

    async def deliver(self, now: datetime) -> datetime:
        """Deliver at ``now``; after a crash, again once the worker is back."""
        return await _until_done(
            lambda at: deliver_due(
                self.sessions,
                self.transports,  # type: ignore[arg-type]
                at,
                base_url=self.settings.base_url,
                mail_from=self.settings.mail_from,
                policy=self.policy,
            ),
            now,
        )

    async def drain(self, now: datetime) -> datetime:
        """After the last day, deliver whenever a retry is due until nothing waits."""
        while True:
            async with self.sessions() as session:
                waiting = await session.scalar(
                    select(func.min(OutboxMessage.next_attempt_at)).where(
                        OutboxMessage.status == OutboxStatus.PENDING
                    )
                )
            if waiting is None:
                return now
            now = await self.deliver(max(now, waiting))


async def _until_done(run: Callable[[datetime], Awaitable[object]], now: datetime) -> datetime:
    while True:
        try:
            await run(now)
        except Crash:
            now += RESTART
        else:
            return now
