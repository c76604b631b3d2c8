"""The referral traffic of the simulation: arrivals, answers, returns and resubmissions,
starts and completions, expiries followed up, and handovers between accompanying partners.

Every state change goes through the real services and engine (one transaction each), at the
virtual instant it happens. Behaviour is drawn from a seeded random generator.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from random import Random

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.business_days import PARIS, add_business_days
from core.enums import Outcome, ReturnReason
from core.errors import DomainError
from core.models import Person, Referral
from relais.simulation.world import Partner, SimOffer, World
from services.handover_service import HandoverCreate, propose_handover
from services.referral_service import open_referral
from states import engine
from states.actor import Actor
from states.handover import HANDOVER
from states.referral import REFERRAL

Step = Callable[[AsyncSession, datetime], Awaitable[None]]

# Business days before an answer, and how often: most within the reminder (3 days), some
# past it, a few past the escalation (5) and a handful after the expiry (20).
ANSWER_DELAYS = ((0, 30), (1, 25), (2, 15), (3, 10), (4, 6), (6, 6), (8, 4), (12, 2), (24, 2))
START_DELAYS = ((1, 40), (3, 30), (6, 15), (11, 10), (16, 5))
FOLLOW_UP_DELAYS = ((0, 30), (2, 30), (4, 20), (6, 12), (11, 8))
CLOSING = time(17, 45)
"""People act on their cases during office hours."""
OUTCOMES = tuple(Outcome)
RETURN_REASONS = tuple(ReturnReason)


@dataclass
class TrafficStats:
    """What the traffic did, and the actions that found the case already moved on."""

    done: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)


class Traffic:
    """A queue of dated actions, run in order as the virtual clock passes them."""

    def __init__(
        self, world: World, random: Random, sessionmaker: async_sessionmaker[AsyncSession]
    ):
        self.world = world
        self.random = random
        self.sessionmaker = sessionmaker
        self.stats = TrafficStats()
        self._queue: list[tuple[datetime, int, str, Step]] = []
        self._sequence = 0

    # Scheduling

    def at(self, when: datetime, name: str, step: Step) -> None:
        """Run ``step`` at ``when``."""
        self._sequence += 1
        heapq.heappush(self._queue, (when, self._sequence, name, step))

    def after_business_days(self, now: datetime, delays: tuple[tuple[int, int], ...]) -> datetime:
        """A working-hours instant some business days after ``now``, drawn from ``delays``."""
        days = self.random.choices([d for d, _ in delays], [w for _, w in delays])[0]
        if days == 0:
            soon = now + timedelta(minutes=self.random.randint(10, 180))
            if soon.astimezone(PARIS).time() <= CLOSING:
                return soon
            days = 1
        return _working_time(add_business_days(now, days).astimezone(PARIS).date(), self.random)

    def plan_arrivals(self, day: date, count: int) -> None:
        """``count`` new referrals spread over the working hours of ``day``."""
        for _ in range(count):
            self.at(_working_time(day, self.random), "create", self._create)

    async def run_until(self, moment: datetime) -> None:
        """Run every action due by ``moment``, each at its own instant."""
        async with self.sessionmaker() as session:
            while self._queue and self._queue[0][0] <= moment:
                when, _, name, step = heapq.heappop(self._queue)
                try:
                    await step(session, when)
                except DomainError:
                    # The case moved on meanwhile (expired, reassigned): a real person
                    # would get a 409 and look again.
                    self.stats.refused[name] += 1
                else:
                    self.stats.done[name] += 1

    # Behaviour

    async def _create(self, session: AsyncSession, now: datetime) -> None:
        sender = self.random.choice(self.world.senders)
        choices = [p for p in self.world.partners if p.organisation_id != sender.organisation_id]
        offer = self.random.choice(self.random.choice(choices).offers)
        person = Person(first_name="Prénom", last_name="Nom", created_at=now)
        case_id = await open_referral(session, sender, offer, person, "Orientation simulée.", now)
        self._answer_later(case_id, offer, sender, now, attempt=1)

    def _answer_later(
        self, case_id: int, offer: SimOffer, sender: Actor, now: datetime, attempt: int
    ) -> None:
        receiver = self.world.partner(offer.organisation_id)
        if receiver.silent:
            expiry = add_business_days(now, 20)
            when = self.after_business_days(expiry + timedelta(hours=2), FOLLOW_UP_DELAYS)
            self.at(when, "follow_up_expired", self._follow_up_expired(case_id, offer, sender))
            return
        when = self.after_business_days(now, ANSWER_DELAYS)
        if self.random.random() < 0.78:
            self.at(when, "accept", self._accept(case_id, receiver, offer))
        else:
            self.at(when, "return", self._return(case_id, receiver, offer, sender, attempt))

    def _fire(self, case_id: int, trigger: str, actor: Actor, payload: dict[str, object]) -> Step:
        async def step(session: AsyncSession, now: datetime) -> None:
            await engine.fire(session, REFERRAL, case_id, trigger, actor, payload, now)

        return step

    def _accept(self, case_id: int, receiver: Partner, offer: SimOffer) -> Step:
        accept = self._fire(case_id, "accept", receiver.actor, {})

        async def step(session: AsyncSession, now: datetime) -> None:
            await accept(session, now)
            start = self.after_business_days(now, START_DELAYS)
            self.at(start, "start", self._start(case_id, receiver, offer))

        return step

    def _start(self, case_id: int, receiver: Partner, offer: SimOffer) -> Step:
        start = self._fire(case_id, "start", receiver.actor, {})

        async def step(session: AsyncSession, now: datetime) -> None:
            await start(session, now)
            outcome = self.random.choice(OUTCOMES).value
            end = _working_time(
                add_business_days(now, self.random.randint(5, 60)).astimezone(PARIS).date(),
                self.random,
            )
            self.at(
                end,
                "complete",
                self._fire(case_id, "complete", receiver.actor, {"outcome": outcome}),
            )
            if offer.is_accompaniment and self.random.random() < 0.2:
                later = add_business_days(now, self.random.randint(10, 40))
                self.at(later, "handover", self._propose_handover(case_id, receiver))

        return step

    def _return(
        self, case_id: int, receiver: Partner, offer: SimOffer, sender: Actor, attempt: int
    ) -> Step:
        reason = self.random.choice(RETURN_REASONS).value
        give_back = self._fire(
            case_id, "return", receiver.actor, {"reason": reason, "comment": "Retour simulé."}
        )

        async def step(session: AsyncSession, now: datetime) -> None:
            await give_back(session, now)
            when = self.after_business_days(now, FOLLOW_UP_DELAYS)
            if attempt < 3 and self.random.random() < 0.65:
                self.at(when, "resubmit", self._resubmit(case_id, offer, sender, attempt))
            else:
                self.at(when, "close", self._fire(case_id, "close", sender, {}))

        return step

    def _resubmit(self, case_id: int, offer: SimOffer, sender: Actor, attempt: int) -> Step:
        resubmit = self._fire(case_id, "resubmit", sender, {})

        async def step(session: AsyncSession, now: datetime) -> None:
            await resubmit(session, now)
            self._answer_later(case_id, offer, sender, now, attempt + 1)

        return step

    def _follow_up_expired(self, case_id: int, offer: SimOffer, sender: Actor) -> Step:
        """After an expiry the referrer closes, or a coordinator redirects the referral."""

        async def step(session: AsyncSession, now: datetime) -> None:
            if self.random.random() < 0.6:
                await engine.fire(session, REFERRAL, case_id, "close", sender, {}, now)
                return
            target = self.random.choice(self.random.choice(self.world.answering).offers)
            if target.id == offer.id:
                await engine.fire(session, REFERRAL, case_id, "close", sender, {}, now)
                return
            await engine.fire(
                session,
                REFERRAL,
                case_id,
                "reassign",
                self.world.coordinator,
                {"offer_id": target.id},
                now,
            )
            self._answer_later(case_id, target, sender, now, attempt=1)

        return step

    def _propose_handover(self, referral_id: int, referent: Partner) -> Step:
        async def step(session: AsyncSession, now: datetime) -> None:
            referral = await session.get_one(Referral, referral_id)
            successors = [
                p
                for p in self.world.answering
                if p.organisation_id != referent.organisation_id
                and any(o.is_accompaniment for o in p.offers)
            ]
            successor = self.random.choice(successors)
            view = await propose_handover(
                session,
                referent.actor,
                HandoverCreate(
                    person_id=referral.person_id,
                    to_organisation_id=successor.organisation_id,
                    reason="Passage de relais simulé.",
                    consent=True,
                ),
                now,
            )
            handover_id = int(view.case.id)
            when = self.after_business_days(now, ANSWER_DELAYS[:6])
            self.at(when, "handover_accept", self._accept_handover(handover_id, successor))

        return step

    def _accept_handover(self, handover_id: int, successor: Partner) -> Step:
        async def step(session: AsyncSession, now: datetime) -> None:
            meeting = _working_time(
                add_business_days(now, self.random.randint(2, 8)).astimezone(PARIS).date(),
                self.random,
            )
            await engine.fire(
                session,
                HANDOVER,
                handover_id,
                "accept",
                successor.actor,
                {"first_meeting_at": meeting},
                now,
            )
            confirm_at = self.after_business_days(
                meeting + timedelta(hours=1), FOLLOW_UP_DELAYS[:3]
            )

            async def confirm(session: AsyncSession, now: datetime) -> None:
                await engine.fire(
                    session, HANDOVER, handover_id, "confirm", successor.actor, {}, now
                )

            self.at(confirm_at, "handover_confirm", confirm)

        return step


def _working_time(day: date, random: Random) -> datetime:
    """A random instant between 09:00 and 17:30 (Paris) on ``day``."""
    minutes = random.randint(0, 8 * 60 + 30)
    return datetime.combine(day, time(9), tzinfo=PARIS) + timedelta(minutes=minutes)
