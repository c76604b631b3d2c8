"""The coordinators of the simulation, and the organisation that closes mid-year.

Coordinators act on what they were alerted to. An expired referral its referrer ignored they
close or redirect once its escalation reached them. Each business morning they go through
their overdue cases: one waiting on an organisation nobody is left in is handled at once (a
referral it should answer goes elsewhere, one it accepted is cancelled, one under way is
ended, one it must follow up is closed, a handover to it is declined, an accompaniment it
follows is ended); any other the same way once it has stayed overdue for ``PATIENCE`` business
days, its side having let the alert pass too. A referral still waiting for its answer is left
to its expiry, a committee's case to the secretariat.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.business_days import PARIS, add_business_days, business_days_between
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
PATIENCE = 6
"""Business days the coordinators leave a side to act after its alert before they step in."""
GONE = "La structure n'a plus aucun compte actif dans relais."
LET_PASS = "Sans suite de la structure après l'alerte à la coordination."
OTHER = {"outcome": Outcome.OTHER.value}
ACTIONS: Mapping[tuple[str, str], tuple[str, str, Mapping[str, object]]] = {
    ("referral", "accepted"): ("cancel", "reason", {}),
    ("referral", "in_progress"): ("complete", "comment", OTHER),
    ("referral", "returned"): ("close", "comment", {}),
    ("referral", "expired"): ("close", "comment", {}),
    ("handover", "proposed"): ("decline", "reason", {}),
    ("handover", "accepted"): ("withdraw", "reason", {}),
    ("accompaniment", "active"): ("end", "comment", OTHER),
}
"""What a coordinator does with an overdue case, by lifecycle and state: the trigger, the
field saying why, the other fields (a submitted referral is redirected:
``Coordinators._handle``)."""


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
        """Every account of the organisation is deactivated: nobody there acts any more."""
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
                await deactivate_account(session, Actor.operator(), user_id, now=now)
            traffic.gone.add(organisation_id)

        return step

    def plan_rounds(self, now: datetime) -> None:
        """The coordinators' morning round, from the business day after ``now`` on."""
        day = add_business_days(now, 1).astimezone(PARIS).date()
        self.traffic.at(datetime.combine(day, ROUND, tzinfo=PARIS), "round", self._round)

    async def _round(self, session: AsyncSession, now: datetime) -> None:
        """Handle each overdue case a side has let pass, or that nobody is left to handle."""
        found = await self._overdue(session)
        await end_reads(session)
        stats = self.traffic.stats
        for lifecycle, case_id, state, organisation_id, alerted_at in found:
            if not self._steps_in(lifecycle, state, organisation_id, alerted_at, now):
                continue
            name = f"round_{lifecycle.name}_{state}"
            try:
                await self._handle(session, lifecycle, case_id, state, organisation_id, now)
            except DomainError:
                stats.refused[name] += 1
            else:
                stats.done[name] += 1
        self.plan_rounds(now)

    def _steps_in(
        self,
        lifecycle: Lifecycle,
        state: str,
        organisation_id: int,
        alerted: datetime,
        now: datetime,
    ) -> bool:
        """Whether the coordinators act on an overdue case now: at once when nobody is left
        to, after ``PATIENCE`` otherwise, and never on a referral its expiry will settle."""
        if organisation_id in self.traffic.gone:
            return True
        if (lifecycle.name, state) == (REFERRAL.name, ReferralState.SUBMITTED):
            return False
        return business_days_between(alerted, now) >= PATIENCE

    async def _overdue(
        self, session: AsyncSession
    ) -> list[tuple[Lifecycle, int, str, int, datetime]]:
        """The cases waiting on an organisation whose escalation reached the coordinators:
        lifecycle, case, state, the organisation waited on, when the alert went."""
        found: list[tuple[Lifecycle, int, str, int, datetime]] = []
        for lifecycle in LIFECYCLES.values():
            model = lifecycle.model
            for state, waiting in lifecycle.waiting_on.items():
                if waiting.side not in lifecycle.parties:
                    continue
                side = lifecycle.parties[waiting.side]
                # The cases in the state first, then the one open escalation of each: joined
                # (or with max()), SQLite, which keeps no statistics, read every fired
                # escalation of the lifecycle instead.
                fired_at = (
                    select(Timer.fired_at)
                    .where(
                        Timer.case_kind == lifecycle.name,
                        Timer.case_id == model.id,
                        Timer.kind == TimerKind.ESCALATION,
                        Timer.status == TimerStatus.FIRED,
                        Timer.closed_at.is_(None),
                        Timer.message.is_(None),
                    )
                    .limit(1)
                    .scalar_subquery()
                )
                rows = await session.execute(
                    select(model.id, side, fired_at)
                    .where(model.state == state, fired_at.is_not(None))
                    .order_by(model.id)
                )
                found.extend(
                    (lifecycle, case_id, str(state), organisation_id, fired_at)
                    for case_id, organisation_id, fired_at in rows.tuples()
                )
        return found

    async def _handle(
        self,
        session: AsyncSession,
        lifecycle: Lifecycle,
        case_id: int,
        state: str,
        organisation_id: int,
        now: datetime,
    ) -> None:
        """Settle an overdue case as ``ACTIONS`` says, saying why."""
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
            # Not theirs to settle: still overdue, on their dashboard and in their digest.
            return
        trigger, why, fields = action
        reason = GONE if organisation_id in traffic.gone else LET_PASS
        payload = {**fields, why: reason}
        await traffic.act(session, lifecycle, case_id, trigger, self.actor, payload, now)
