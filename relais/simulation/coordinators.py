"""The coordinators of the simulation, and the organisation that closes mid-year.

Coordinators act on what they were alerted to: an expired referral its referrer ignored (they
close it or redirect it once its escalation reached them), and, once an organisation's every
account is deactivated, each morning the cases waiting on it that reached their escalation
(a referral it should answer goes elsewhere, one it started is ended, one it sent and must
follow up is closed, a handover to it is declined).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.business_days import PARIS, add_business_days
from core.db import end_reads
from core.enums import Outcome, TimerKind, TimerStatus
from core.errors import DomainError
from core.models import Referral, Timer, User
from relais.simulation.agenda import Delays, Step
from relais.simulation.world import SimOffer
from services.accounts import ACTIVE_USER, deactivate_account
from states.actor import Actor
from states.lifecycle import Lifecycle
from states.referral import REFERRAL, ReferralState
from states.registry import LIFECYCLES

if TYPE_CHECKING:
    from relais.simulation.traffic import Traffic

ROUND = time(9, 30)
"""When the coordinators go through their overdue cases, each business day."""
GONE = "La structure n'a plus aucun compte actif dans relais."
ACTIONS: Mapping[tuple[str, str], tuple[str, Mapping[str, object]]] = {
    ("referral", "accepted"): ("cancel", {"reason": GONE}),
    ("referral", "in_progress"): ("complete", {"outcome": Outcome.OTHER.value, "comment": GONE}),
    ("referral", "returned"): ("close", {"comment": GONE}),
    ("referral", "expired"): ("close", {"comment": GONE}),
    ("handover", "proposed"): ("decline", {"reason": GONE}),
    ("handover", "accepted"): ("withdraw", {"reason": GONE}),
}
"""What a coordinator does with a case waiting on an organisation nobody is left in, by
lifecycle and state (a submitted referral is redirected: ``Coordinators._handle``)."""


class Coordinators:
    """The coordinators' part of the traffic."""

    DELAYS: Delays = ((1, 40), (2, 30), (3, 20), (5, 10))
    """Business days from an alert to the coordinators' action."""

    def __init__(self, traffic: Traffic) -> None:
        self.traffic = traffic

    @property
    def actor(self) -> Actor:
        """The coordinator who acts (their scope is all of Paris)."""
        return self.traffic.world.coordinator

    def follow_up(self, case_id: int, offer: SimOffer, sender: Actor) -> Step:
        """An expired referral its referrer ignored, once the coordinators were alerted:
        closed, or redirected to another partner."""
        traffic = self.traffic

        async def step(session: AsyncSession, now: datetime) -> None:
            if traffic.random.random() < 0.5:
                payload = {"comment": "Sans réponse ni suite du prescripteur."}
                await traffic.act(session, REFERRAL, case_id, "close", self.actor, payload, now)
                return
            await traffic.redirect(session, case_id, offer.id, sender, now)

        return step

    def close_organisation(self, organisation_id: int) -> Step:
        """Every account of the organisation is deactivated; from the next business day the
        coordinators go through the cases left waiting on it."""
        traffic = self.traffic

        async def step(session: AsyncSession, now: datetime) -> None:
            accounts = await session.scalars(
                select(User.id)
                .where(User.organisation_id == organisation_id, ACTIVE_USER)
                .order_by(User.id)
            )
            user_ids = list(accounts)
            await end_reads(session)
            for user_id in user_ids:
                await deactivate_account(session, Actor.operator(), user_id)
            traffic.gone.add(organisation_id)
            self._next_round(now)

        return step

    def _next_round(self, now: datetime) -> None:
        day = add_business_days(now, 1).astimezone(PARIS).date()
        self.traffic.at(datetime.combine(day, ROUND, tzinfo=PARIS), "round", self._round)

    async def _round(self, session: AsyncSession, now: datetime) -> None:
        """Handle each alerted case waiting on an organisation nobody is left in."""
        found = await self._alerted(session)
        await end_reads(session)
        stats = self.traffic.stats
        for lifecycle, case_id, state in found:
            name = f"round_{lifecycle.name}_{state}"
            try:
                await self._handle(session, lifecycle, case_id, state, now)
            except DomainError:
                stats.refused[name] += 1
            else:
                stats.done[name] += 1
        self._next_round(now)

    async def _alerted(self, session: AsyncSession) -> list[tuple[Lifecycle, int, str]]:
        """The cases waiting on a gone organisation whose escalation reached the coordinators."""
        gone = sorted(self.traffic.gone)
        found: list[tuple[Lifecycle, int, str]] = []
        for lifecycle in LIFECYCLES.values():
            model = lifecycle.model
            alerted = exists().where(
                Timer.case_kind == lifecycle.name,
                Timer.case_id == model.id,
                Timer.kind == TimerKind.ESCALATION,
                Timer.status == TimerStatus.FIRED,
                Timer.closed_at.is_(None),
            )
            for state, waiting in lifecycle.waiting_on.items():
                if waiting.side not in lifecycle.parties:
                    continue
                rows = await session.scalars(
                    select(model.id)
                    .where(
                        model.state == state,
                        lifecycle.parties[waiting.side].in_(gone),
                        alerted,
                    )
                    .order_by(model.id)
                )
                found.extend((lifecycle, case_id, str(state)) for case_id in rows)
        return found

    async def _handle(
        self, session: AsyncSession, lifecycle: Lifecycle, case_id: int, state: str, now: datetime
    ) -> None:
        traffic = self.traffic
        if (lifecycle.name, state) == (REFERRAL.name, ReferralState.SUBMITTED):
            referral = await session.get_one(Referral, case_id)
            sender = traffic.world.member(referral.sender_organisation_id)
            offer_id = referral.offer_id
            await end_reads(session)
            await traffic.redirect(session, case_id, offer_id, sender, now)
            return
        action = ACTIONS.get((lifecycle.name, state))
        if action is None:
            # Left on the coordinators' dashboard: still overdue, in their digest each morning.
            return
        trigger, payload = action
        await traffic.act(session, lifecycle, case_id, trigger, self.actor, payload, now)
