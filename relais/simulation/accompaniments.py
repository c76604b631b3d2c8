"""The référents of the simulation: once a partner follows a person (a referral to an
accompaniment offer started, or a handover confirmed), it takes stock at each progress check
(point d'étape), after its reminder, or ends the accompaniment (sortie).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import end_reads
from core.enums import EXIT_REASONS
from core.models import Accompaniment
from relais.simulation.agenda import NOTE_SHARE, PROGRESS_DELAYS, Agenda, Step
from relais.simulation.world import Partner
from states.accompaniment import ACCOMPANIMENT, AccompanimentState

OUTCOMES = EXIT_REASONS


class Referents:
    """The référents' steps, on the traffic's agenda."""

    def __init__(self, agenda: Agenda) -> None:
        self.agenda = agenda

    async def follow(self, session: AsyncSession, person_id: int, partner: Partner) -> None:
        """``partner`` has just become the person's référent: plan its first progress check."""
        case_id = await session.scalar(
            select(Accompaniment.id).where(
                Accompaniment.person_id == person_id,
                Accompaniment.organisation_id == partner.organisation_id,
                Accompaniment.state == AccompanimentState.ACTIVE,
            )
        )
        await end_reads(session)
        if case_id is not None:
            await self._await_check(session, case_id, partner)

    async def _await_check(self, session: AsyncSession, case_id: int, partner: Partner) -> None:
        """Act once the progress check's reminder came (without one, nothing: the report
        counts the accompaniment unchased)."""
        agenda = self.agenda
        due = await agenda.pending_reminder(
            session, ACCOMPANIMENT, case_id, AccompanimentState.ACTIVE
        )
        if due is not None:
            when = agenda.after_business_days(due, PROGRESS_DELAYS)
            agenda.at(when, "accompaniment_check", self._check(case_id, partner))

    def _check(self, case_id: int, partner: Partner) -> Step:
        """A progress note, and the next check awaited; or the end of the accompaniment."""
        agenda = self.agenda

        async def step(session: AsyncSession, now: datetime) -> None:
            state = await session.scalar(
                select(Accompaniment.state).where(Accompaniment.id == case_id)
            )
            await end_reads(session)
            if state != AccompanimentState.ACTIVE:
                return  # handed over, or ended by the coordinators, meanwhile
            actor = agenda.world.member(partner.organisation_id)
            if agenda.random.random() < NOTE_SHARE:
                note = {"note": "Point d'étape simulé."}
                await agenda.act(session, ACCOMPANIMENT, case_id, "note", actor, note, now)
                await self._await_check(session, case_id, partner)
                return
            outcome = {"outcome": agenda.random.choice(OUTCOMES).value}
            await agenda.act(session, ACCOMPANIMENT, case_id, "end", actor, outcome, now)

        return step
