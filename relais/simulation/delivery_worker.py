"""The simulation's delivery in its own process, beside the traffic, as in production.

Each hour the main process sweeps, then hands the delivery of what was queued so far to this
worker and goes on with the next hour's traffic while it sends. The worker also runs the
faulty relay, so that neither the SMTP exchanges nor their CPU slow the traffic.

The seed still decides everything: the worker delivers only the messages queued up to the id
the main process read after its sweep (``deliver_due``'s ``last_id``), exactly what a delivery
run at that hour saw when it ran between two hours, and nothing the traffic or the sweep reads
depends on a message having been sent (the invitation's token is read from the queued email).
The worker's crashes are drawn from their own seeded sequence; the relay's refusals follow the
order of the messages, which one worker sends one after the other.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import traceback
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from multiprocessing.connection import Connection
from random import Random

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import create_engine, create_sessionmaker
from core.enums import OutboxStatus
from core.models import OutboxMessage
from core.settings import Settings
from notifications.transport import SmtpTransport
from relais.simulation.faults import CrashPlan, crashing_transports, until_done
from relais.simulation.relay import LoopbackRelay
from workflows.delivery import EVERY_ID, DeliveryPolicy, deliver_due

DELIVERY_SEED = 2
"""Added to the simulation's seed for the delivery's crashes (the sweep's use seed + 1)."""


class WorkerFailed(Exception):
    """The delivery process raised, or died: the simulation cannot go on without it."""


@dataclass(frozen=True)
class Faults:
    """The relay's refusals and the delivery's crashes the simulation asked for."""

    smtp_failure_rate: float
    crash_rate: float
    seed: int


@dataclass(frozen=True)
class DeliveryTally:
    """What the relay accepted (by Message-ID) and refused, and how often delivery crashed."""

    received: Counter[str]
    refused: int
    crashes: int


class DeliveryWorker:
    """The main process's handle on the delivery process: one delivery run at a time."""

    def __init__(self, settings: Settings, faults: Faults) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, theirs = context.Pipe()
        self._process = context.Process(
            target=serve, args=(theirs, settings, faults), name="relais-delivery", daemon=True
        )
        self._process.start()
        theirs.close()  # so that its death reads as the end of the pipe here
        self._running = False
        self.finished: datetime | None = None

    @property
    def pid(self) -> int:
        """The delivery process's id."""
        assert self._process.pid is not None
        return self._process.pid

    async def start_delivery(self, now: datetime, last_id: int = EVERY_ID) -> None:
        """Deliver what is due at ``now`` among the messages queued up to ``last_id``, once
        the run before has ended; returns without waiting for this one."""
        await self.settle()
        self._send(("deliver", now, last_id))
        self._running = True

    async def settle(self) -> datetime | None:
        """Wait for the delivery run under way, if any; when the last run ended (simulated,
        later than asked after crashes), None before the first."""
        if self._running:
            self._running = False
            finished = await self._receive()
            assert isinstance(finished, datetime)
            self.finished = finished
        return self.finished

    async def drain(self, sessions: async_sessionmaker[AsyncSession], now: datetime) -> datetime:
        """After the last day, deliver whenever a retry is due until nothing waits."""
        await self.settle()
        while True:
            async with sessions() as session:
                waiting = await session.scalar(
                    select(func.min(OutboxMessage.next_attempt_at)).where(
                        OutboxMessage.status == OutboxStatus.PENDING
                    )
                )
            if waiting is None:
                return now
            await self.start_delivery(max(now, waiting))
            now = await self.settle() or now

    async def stop(self) -> DeliveryTally:
        """End the process, with what the relay counted."""
        await self.settle()
        self._send(("stop",))
        tally = await self._receive()
        assert isinstance(tally, DeliveryTally)
        await asyncio.to_thread(self._process.join)
        return tally

    def kill(self) -> None:
        """End the process at once (the simulation failed)."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._connection.close()

    def _send(self, command: tuple[object, ...]) -> None:
        try:
            self._connection.send(command)
        except OSError as error:
            raise WorkerFailed("le processus d'envoi s'est arrêté") from error

    async def _receive(self) -> object:
        try:
            kind, value = await asyncio.to_thread(self._connection.recv)
        except (EOFError, OSError) as error:
            raise WorkerFailed("le processus d'envoi s'est arrêté") from error
        if kind == "failed":
            raise WorkerFailed(f"le processus d'envoi a échoué :\n{value}")
        return value


def serve(connection: Connection, settings: Settings, faults: Faults) -> None:
    """The delivery process: run the relay, then each delivery asked for, until ``stop``."""
    try:
        asyncio.run(_serve(connection, settings, faults))
    except Exception:
        connection.send(("failed", traceback.format_exc()))
    finally:
        connection.close()


async def _serve(connection: Connection, settings: Settings, faults: Faults) -> None:
    relay = LoopbackRelay(faults.smtp_failure_rate, faults.seed)
    relay.start()
    engine = create_engine(settings.database_url)
    try:
        sessions = create_sessionmaker(engine)
        plan = CrashPlan(faults.crash_rate, Random(faults.seed + DELIVERY_SEED))
        policy = DeliveryPolicy(max_attempts=settings.delivery_max_attempts)
        transports = crashing_transports(
            lambda: SmtpTransport(relay.host, relay.port, timeout=30), plan, policy.batch_size
        )
        while True:
            # Nothing else runs in this process's loop while it waits (the relay has its own).
            command = connection.recv()
            if command[0] == "stop":
                tally = DeliveryTally(
                    relay.handler.counts(), relay.handler.refused, plan.delivery_crashes
                )
                connection.send(("stopped", tally))
                return
            _, now, last_id = command
            deliver = partial(
                deliver_due,
                sessions,
                transports,
                base_url=settings.base_url,
                mail_from=settings.mail_from,
                policy=policy,
                last_id=last_id,
            )
            done = await until_done(deliver, now)
            connection.send(("delivered", done))
    finally:
        relay.stop()
        await engine.dispose()
