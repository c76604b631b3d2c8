"""The referral traffic of the simulation: arrivals, answers, returns and resubmissions,
starts, progress notes and completions, expiries followed up or left to the coordinators, and
handovers between accompanying partners.

Every state change goes through the real services and engine (one transaction each), at the
virtual instant it happens. Behaviour is drawn from a seeded random generator.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from random import Random

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.business_days import PARIS, add_business_days
from core.enums import REFERRAL_OUTCOMES, ReturnReason
from core.errors import OfferFull
from core.models import Person
from core.settings import Settings
from relais.simulation.accompaniments import Referents
from relais.simulation.agenda import (
    NOTE_SHARE,
    PROGRESS_DELAYS,
    Agenda,
    Delays,
    Step,
    working_time,
)
from relais.simulation.coordinators import Coordinators
from relais.simulation.handovers import Handovers
from relais.simulation.invitations import Invitations
from relais.simulation.world import Partner, SimOffer, World
from services.referral_service import open_referral
from states.actor import Actor
from states.reachability import reachable_offers
from states.referral import REFERRAL, ReferralState

# Business days before an answer, and how often: most within the reminder (3 days), some
# past it, a few past the escalation (5) and a handful after the expiry (20).
ANSWER_DELAYS: Delays = (
    (0, 30), (1, 25), (2, 15), (3, 10), (4, 6), (6, 6), (8, 4), (12, 2), (24, 2)
)  # fmt: skip
JOINING_DELAYS: Delays = ANSWER_DELAYS[:5]
START_DELAYS: Delays = ((1, 40), (3, 30), (6, 15), (11, 10), (16, 5))
FOLLOW_UP_DELAYS: Delays = ((0, 30), (2, 30), (4, 20), (6, 12), (11, 8))
OUTCOMES = REFERRAL_OUTCOMES
RETURN_REASONS = tuple(ReturnReason)
NO_CAPACITY = ReturnReason("no_capacity").value
QUIET_SHARE = 0.25
"""The share of started referrals whose receiver goes quiet: no news until the progress check."""
NEGLECT_SHARE = 0.3
"""The share of expired referrals their referrer ignores, left to the coordinators."""


class Traffic(Agenda):
    """The agenda of referral traffic, with its handovers and its coordinators."""

    def __init__(
        self,
        world: World,
        random: Random,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
    ):
        super().__init__(world, random, sessionmaker)
        self.referents = Referents(self)
        self.handovers = Handovers(self, self.referents)
        self.coordinators = Coordinators(self)
        self.invitations = Invitations(self, settings)

    def plan_arrivals(self, day: date, count: int) -> None:
        """``count`` new referrals spread over the working hours of ``day``."""
        for _ in range(count):
            self.at(working_time(day, self.random), "create", self._create)

    async def catalogue(
        self, session: AsyncSession, partners: Iterable[Partner], excluded: int | None = None
    ) -> SimOffer:
        """An offer of one of ``partners`` (not of ``excluded``) that the catalogue shows
        reachable (``states.reachability``): an organisation that lost its every account
        and has no contact address is « non joignable », and nobody refers to it."""
        offers = [
            offer
            for partner in partners
            if partner.organisation_id != excluded
            for offer in partner.offers
        ]
        reachable = await reachable_offers(session, [offer.id for offer in offers])
        open_to = sorted({o.organisation_id for o in offers if o.id in reachable})
        organisation_id = self.random.choice(open_to)
        return self.random.choice(
            [o for o in offers if o.organisation_id == organisation_id and o.id in reachable]
        )

    # Behaviour

    async def _create(self, session: AsyncSession, now: datetime) -> None:
        senders = [s for s in self.world.senders if s.organisation_id not in self.gone]
        sender = self.random.choice(senders)
        offer = await self.catalogue(session, self.world.partners, sender.organisation_id)
        person = Person(first_name="Prénom", last_name="Nom", created_at=now)
        case_id = await open_referral(session, sender, offer, person, "Orientation simulée.", now)
        self.answer_later(case_id, offer, sender, now, attempt=1)

    def answer_later(
        self, case_id: int, offer: SimOffer, sender: Actor, now: datetime, attempt: int
    ) -> None:
        """Plan how the receiver of ``offer`` answers the referral just submitted to it."""
        receiver = self.world.partner(offer.organisation_id)
        if receiver.unresponsive:
            expiry = add_business_days(now, 20) + timedelta(hours=2)
            if self.random.random() < NEGLECT_SHARE:
                # Nobody follows the expired referral up: its reminder to the referrer goes
                # unheeded, and the coordinators, alerted 10 business days on, act.
                alerted = add_business_days(expiry, 10)
                when = self.after_business_days(alerted, self.coordinators.DELAYS)
                self.at(when, "neglected", self.coordinators.follow_up(case_id, offer, sender))
                return
            when = self.after_business_days(expiry, FOLLOW_UP_DELAYS)
            self.at(when, "follow_up_expired", self._follow_up_expired(case_id, offer, sender))
            return
        # A partner reachable only by its contact address answers its first referrals within
        # the ten days its invitation lasts.
        joining = receiver.organisation_id not in self.world.members
        when = self.after_business_days(now, JOINING_DELAYS if joining else ANSWER_DELAYS)
        if self.random.random() < 0.78:
            self.at(when, "accept", self._accept(case_id, receiver, offer, sender, attempt))
        else:
            self.at(when, "return", self._return(case_id, receiver, offer, sender, attempt))

    def _fire(self, case_id: int, trigger: str, actor: Actor, payload: dict[str, object]) -> Step:
        async def step(session: AsyncSession, now: datetime) -> None:
            await self.act(session, REFERRAL, case_id, trigger, actor, payload, now)

        return step

    def _receive(
        self, case_id: int, trigger: str, receiver: Partner, payload: dict[str, object]
    ) -> Step:
        """``trigger`` fired by the member acting for the receiver (who may first join)."""

        async def step(session: AsyncSession, now: datetime) -> None:
            actor = await self.invitations.member_of(session, receiver, case_id, now)
            await self.act(session, REFERRAL, case_id, trigger, actor, payload, now)

        return step

    def _accept(
        self, case_id: int, receiver: Partner, offer: SimOffer, sender: Actor, attempt: int
    ) -> Step:
        accept = self._receive(case_id, "accept", receiver, {})

        async def step(session: AsyncSession, now: datetime) -> None:
            try:
                await accept(session, now)
            except OfferFull:
                # No place left (the demo's ParisCode): the receiver sends it back.
                full = self._return(case_id, receiver, offer, sender, attempt, NO_CAPACITY)
                await full(session, now)
                return
            start = self.after_business_days(now, START_DELAYS)
            self.at(start, "start", self._start(case_id, receiver, offer))

        return step

    def _start(self, case_id: int, receiver: Partner, offer: SimOffer) -> Step:
        async def step(session: AsyncSession, now: datetime) -> None:
            actor = self.world.member(receiver.organisation_id)
            referral = await self.act(session, REFERRAL, case_id, "start", actor, {}, now)
            if offer.is_accompaniment:
                await self.referents.follow(session, referral.person_id, receiver)
            if self.random.random() < QUIET_SHARE:
                await self._await_progress_check(session, case_id, receiver)
            else:
                end = working_time(self._business_day(now, 5, 55), self.random)
                self.at(end, "complete", self._complete(case_id, receiver))
            if offer.is_accompaniment and self.random.random() < 0.2:
                later = add_business_days(now, self.random.randint(10, 40))
                self.at(later, "handover", self.handovers.propose(case_id, receiver))

        return step

    def _business_day(self, now: datetime, least: int, most: int) -> date:
        days = self.random.randint(least, most)
        return add_business_days(now, days).astimezone(PARIS).date()

    def _complete(self, case_id: int, receiver: Partner) -> Step:
        outcome = self.random.choice(OUTCOMES).value
        return self._receive(case_id, "complete", receiver, {"outcome": outcome})

    async def _await_progress_check(
        self, session: AsyncSession, case_id: int, receiver: Partner
    ) -> None:
        """The receiver goes quiet until the progress check's reminder reaches them, then
        writes a note (and waits for the next one) or ends the accompaniment.

        Without a pending reminder there is nothing to answer: the case stays in progress,
        and the report counts it unchased.
        """
        reminder = await self.pending_reminder(
            session, REFERRAL, case_id, ReferralState.IN_PROGRESS
        )
        if reminder is None:
            return
        when = self.after_business_days(reminder, PROGRESS_DELAYS)
        if self.random.random() < NOTE_SHARE:
            self.at(when, "note", self._note(case_id, receiver))
        else:
            self.at(when, "progress_complete", self._complete(case_id, receiver))

    def _note(self, case_id: int, receiver: Partner) -> Step:
        note = self._receive(case_id, "note", receiver, {"note": "Point d'étape simulé."})

        async def step(session: AsyncSession, now: datetime) -> None:
            await note(session, now)
            await self._await_progress_check(session, case_id, receiver)

        return step

    def _return(
        self,
        case_id: int,
        receiver: Partner,
        offer: SimOffer,
        sender: Actor,
        attempt: int,
        reason: str | None = None,
    ) -> Step:
        reason = reason or self.random.choice(RETURN_REASONS).value
        give_back = self._receive(
            case_id, "return", receiver, {"reason": reason, "comment": "Retour simulé."}
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
        # A returned referral goes back changed or with a word to its receiver.
        resubmit = self._fire(case_id, "resubmit", sender, {"reply": "Compléments simulés."})

        async def step(session: AsyncSession, now: datetime) -> None:
            if offer.organisation_id in self.gone:
                # The catalogue says nobody there can receive it any more: the referrer gives up.
                await self.act(session, REFERRAL, case_id, "close", sender, {}, now)
                return
            await resubmit(session, now)
            self.answer_later(case_id, offer, sender, now, attempt + 1)

        return step

    def _follow_up_expired(self, case_id: int, offer: SimOffer, sender: Actor) -> Step:
        """After an expiry the referrer closes, or a coordinator redirects the referral."""

        async def step(session: AsyncSession, now: datetime) -> None:
            if self.random.random() < 0.6:
                await self.act(session, REFERRAL, case_id, "close", sender, {}, now)
                return
            await self.redirect(session, case_id, offer.id, sender, now)

        return step

    async def redirect(
        self, session: AsyncSession, case_id: int, offer_id: int, sender: Actor, now: datetime
    ) -> None:
        """A coordinator redirects the referral to an answering partner's offer (closes it
        when the draw is its current offer), whose receiver then answers."""
        target = await self.catalogue(session, self.world.answering)
        coordinator = self.world.coordinator
        if target.id == offer_id:
            await self.act(session, REFERRAL, case_id, "close", coordinator, {}, now)
            return
        payload = {"offer_id": target.id}
        await self.act(session, REFERRAL, case_id, "reassign", coordinator, payload, now)
        self.answer_later(case_id, target, sender, now, attempt=1)
