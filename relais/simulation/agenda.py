"""The simulation's agenda: dated actions run in order as the virtual clock passes them, what
they did, and who can no longer act (an organisation whose accounts were all deactivated).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from random import Random
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.business_days import PARIS, add_business_days
from core.db import end_reads
from core.enums import TimerKind, TimerStatus
from core.errors import DomainError
from core.models import Timer
from relais.simulation.world import World
from states import engine
from states.actor import Actor
from states.lifecycle import Lifecycle

Step = Callable[[AsyncSession, datetime], Awaitable[None]]
Delays = tuple[tuple[int, int], ...]
"""Business days and their weights: how long people take to do something."""

# Business days from a progress-check reminder to the answer: most before the escalation
# (10 days later), a few once the coordinators, alerted, have called.
PROGRESS_DELAYS: Delays = ((0, 25), (1, 25), (2, 20), (4, 15), (7, 8), (12, 7))
NOTE_SHARE = 0.65
"""At each progress check, the share of quiet receivers and référents who write a note
(point d'étape) rather than end."""

CLOSING = time(17, 45)
"""People act on their cases during office hours."""


class Dropped(Exception):
    """The acting organisation has no active account left: nobody there acts any more."""


@dataclass
class TrafficStats:
    """What the traffic did, the actions that found the case already moved on, and the ones
    nobody was left to do."""

    done: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)


class Agenda:
    """A queue of dated actions, run in order as the virtual clock passes them."""

    def __init__(
        self, world: World, random: Random, sessionmaker: async_sessionmaker[AsyncSession]
    ):
        self.world = world
        self.random = random
        self.sessionmaker = sessionmaker
        self.stats = TrafficStats()
        # Organisations whose every account was deactivated: their people act no more.
        self.gone: set[int] = set()
        self._queue: list[tuple[datetime, int, str, Step]] = []
        self._sequence = 0

    def at(self, when: datetime, name: str, step: Step) -> None:
        """Run ``step`` at ``when``."""
        self._sequence += 1
        heapq.heappush(self._queue, (when, self._sequence, name, step))

    def after_business_days(self, now: datetime, delays: Delays) -> datetime:
        """A working-hours instant some business days after ``now``, drawn from ``delays``."""
        days = self.random.choices([d for d, _ in delays], [w for _, w in delays])[0]
        if days == 0:
            soon = now + timedelta(minutes=self.random.randint(10, 180))
            if soon.astimezone(PARIS).time() <= CLOSING:
                return soon
            days = 1
        return working_time(add_business_days(now, days).astimezone(PARIS).date(), self.random)

    def present(self, actor: Actor) -> None:
        """Refuse to act for an organisation nobody is left in (``Dropped``)."""
        if actor.organisation_id in self.gone:
            raise Dropped(f"organisation {actor.organisation_id} sans compte actif")

    async def pending_reminder(
        self, session: AsyncSession, lifecycle: Lifecycle, case_id: int, state: str
    ) -> datetime | None:
        """When the case's pending reminder in ``state`` falls due (None without one): what a
        person who waits for their reminder acts after. Ends the read."""
        due = await session.scalar(
            select(Timer.due_at).where(
                Timer.case_kind == lifecycle.name,
                Timer.case_id == case_id,
                Timer.state == state,
                Timer.kind == TimerKind.REMINDER,
                Timer.status == TimerStatus.PENDING,
                Timer.message.is_(None),
            )
        )
        await end_reads(session)
        return due

    async def act(
        self,
        session: AsyncSession,
        lifecycle: Lifecycle,
        case_id: int,
        trigger: str,
        actor: Actor,
        payload: Mapping[str, object],
        now: datetime,
    ) -> Any:
        """Fire ``trigger`` as ``actor``, through the engine, unless nobody is left to; the
        case as it now is."""
        self.present(actor)
        return await engine.fire(session, lifecycle, case_id, trigger, actor, dict(payload), now)

    async def run_until(self, moment: datetime) -> None:
        """Run every action due by ``moment``, each at its own instant."""
        async with self.sessionmaker() as session:
            while self._queue and self._queue[0][0] <= moment:
                when, _, name, step = heapq.heappop(self._queue)
                try:
                    await step(session, when)
                except Dropped:
                    self.stats.dropped[name] += 1
                except DomainError:
                    # The case moved on meanwhile (expired, reassigned): a real person
                    # would get a 409 and look again.
                    self.stats.refused[name] += 1
                else:
                    self.stats.done[name] += 1


def working_time(day: date, random: Random) -> datetime:
    """A random instant between 09:00 and 17:30 (Paris) on ``day``."""
    minutes = random.randint(0, 8 * 60 + 30)
    return datetime.combine(day, time(9), tzinfo=PARIS) + timedelta(minutes=minutes)
