"""Worker crashes for the simulation: a sweep or delivery batch abandoned mid-way.

A sweep batch dies after a random number of statements, before its commit: its connection
closes and everything it did is rolled back, as when the process is killed. A delivery batch
dies before handing over a random message of its batch: the messages it had claimed stay
leased until the lease ends. Either way the next run must recover, sending nothing twice.

No crash is placed between the relay's acceptance of a message and the commit that records
it: no sender that confirms delivery after the fact can avoid resending there (the stable
Message-ID lets the receiving side recognise it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random
from types import TracebackType
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from notifications.transport import MailTransport, OutgoingEmail

RESTART = timedelta(minutes=6)
"""A crashed worker is back this long after, once the lease of what it held has ended."""


class Crash(Exception):
    """The worker died (simulated): nothing after this point of the batch happens."""


async def until_done(run: Callable[[datetime], Awaitable[object]], now: datetime) -> datetime:
    """Run ``run`` at ``now``, and again ``RESTART`` later after each crash; when it succeeded."""
    while True:
        try:
            await run(now)
        except Crash:
            now += RESTART
        else:
            return now


@dataclass
class CrashPlan:
    """How often a batch dies, and a seeded draw of where."""

    rate: float
    random: Random
    sweep_crashes: int = 0
    delivery_crashes: int = 0

    def countdown(self, longest: int) -> int | None:
        """After how many steps the next batch dies (1 to ``longest``), or None if it lives."""
        if self.rate <= 0 or self.random.random() >= self.rate:
            return None
        return self.random.randint(1, longest)


class _CrashingSession(AsyncSession):
    """A sweep batch's session that may die after its n-th statement, or just before commit."""

    plan: CrashPlan

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._countdown = self.plan.countdown(60)

    def _step(self) -> None:
        if self._countdown is None:
            return
        self._countdown -= 1
        if self._countdown <= 0:
            self._countdown = None
            self.plan.sweep_crashes += 1
            raise Crash("balayage interrompu en cours de lot")

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        """Run a statement, unless the worker dies first."""
        self._step()
        return await super().execute(*args, **kwargs)

    async def commit(self) -> None:
        """Commit, unless the worker dies before (a chosen crash always happens)."""
        if self._countdown is not None:
            self._countdown = 1
            self._step()
        await super().commit()


def crashing_sessions(engine: AsyncEngine, plan: CrashPlan) -> async_sessionmaker[AsyncSession]:
    """Sessions for the sweep whose batches die as ``plan`` draws."""
    session_class = type("CrashingSession", (_CrashingSession,), {"plan": plan})
    return async_sessionmaker(engine, class_=session_class, expire_on_commit=False)


class _CrashingTransport:
    """A transport whose batch dies before handing over its n-th message."""

    def __init__(self, inner: MailTransport, plan: CrashPlan, countdown: int | None) -> None:
        self._inner = inner
        self._plan = plan
        self._countdown = countdown

    async def __aenter__(self) -> Self:
        await self._inner.__aenter__()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self._inner.__aexit__(kind, error, trace)

    async def send(self, email: OutgoingEmail) -> None:
        """Hand ``email`` over, unless the worker dies first."""
        if self._countdown is not None:
            self._countdown -= 1
            if self._countdown <= 0:
                self._plan.delivery_crashes += 1
                raise Crash("envoi interrompu en cours de lot")
        await self._inner.send(email)


def crashing_transports(
    factory: Callable[[], MailTransport], plan: CrashPlan, batch_size: int
) -> Callable[[], MailTransport]:
    """A transport per batch, each of which may die as ``plan`` draws."""
    return lambda: _CrashingTransport(factory(), plan, plan.countdown(batch_size))
