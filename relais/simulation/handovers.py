"""Handovers in the simulation: a référent proposes one to another accompanying partner, who
accepts it with a meeting date and confirms it once the meeting took place; the successor then
follows the person.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.business_days import PARIS, add_business_days
from core.models import Referral
from relais.simulation.accompaniments import Referents
from relais.simulation.agenda import Agenda, Delays, Step, working_time
from relais.simulation.world import Partner
from services.handover_service import HandoverCreate, propose_handover
from states.handover import HANDOVER

ACCEPT_DELAYS: Delays = ((0, 30), (1, 25), (2, 15), (3, 10), (4, 6), (6, 6))
CONFIRM_DELAYS: Delays = ((0, 30), (2, 30), (4, 20))


class Handovers:
    """The handover steps, on the traffic's agenda."""

    def __init__(self, agenda: Agenda, referents: Referents) -> None:
        self.agenda = agenda
        self.referents = referents

    def propose(self, referral_id: int, referent: Partner) -> Step:
        """The référent of a started accompaniment proposes to hand the person over."""
        agenda = self.agenda

        async def step(session: AsyncSession, now: datetime) -> None:
            actor = agenda.world.member(referent.organisation_id)
            agenda.present(actor)
            referral = await session.get_one(Referral, referral_id)
            successors = [
                p
                for p in agenda.world.answering
                if p.organisation_id != referent.organisation_id
                and p.organisation_id not in agenda.gone
                and p.organisation_id in agenda.world.members
                and any(o.is_accompaniment for o in p.offers)
            ]
            if not successors:
                return
            successor = agenda.random.choice(successors)
            view = await propose_handover(
                session,
                actor,
                HandoverCreate(
                    person_id=referral.person_id,
                    to_organisation_id=successor.organisation_id,
                    reason="Passage de relais simulé.",
                    consent=True,
                ),
                now,
            )
            handover_id = int(view.case.id)
            when = agenda.after_business_days(now, ACCEPT_DELAYS)
            agenda.at(when, "handover_accept", self._accept(handover_id, successor))

        return step

    def _accept(self, handover_id: int, successor: Partner) -> Step:
        agenda = self.agenda

        actor = agenda.world.member(successor.organisation_id)

        async def step(session: AsyncSession, now: datetime) -> None:
            meeting = working_time(
                add_business_days(now, agenda.random.randint(2, 8)).astimezone(PARIS).date(),
                agenda.random,
            )
            await agenda.act(
                session,
                HANDOVER,
                handover_id,
                "accept",
                actor,
                {"first_meeting_at": meeting},
                now,
            )
            confirm_at = agenda.after_business_days(meeting + timedelta(hours=1), CONFIRM_DELAYS)

            async def confirm(session: AsyncSession, now: datetime) -> None:
                handover = await agenda.act(
                    session, HANDOVER, handover_id, "confirm", actor, {}, now
                )
                await self.referents.follow(session, handover.person_id, successor)

            agenda.at(confirm_at, "handover_confirm", confirm)

        return step
