"""The cast of the governance API tests: a secretary, a comité technique and two meetings.

Callers of the authorization matrices, and helpers that bring a decision item into a state or
give it an action item, straight through the services and the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.enums import DecisionKind, PlanAxis, Role
from core.models import User
from services import decision_service
from states import engine
from states.decision import DECISION
from tests.factories import World, actor_of, auth_headers, make_committee, make_meeting, make_user

CALLERS = ("secretary", "proposer", "other", "coordinator", "admin", "anonymous")


@dataclass
class Cast:
    """The usual world, a secretary, a comité technique, a past and a coming meeting."""

    world: World
    secretary: User
    committee_id: int
    past_meeting_id: int
    next_meeting_id: int

    def user(self, caller: str) -> User | None:
        """The user behind a caller of the matrix (None: no token)."""
        return {
            "secretary": self.secretary,
            "proposer": self.world.referrer,
            "other": self.world.outsider_member,
            "coordinator": self.world.coordinator,
            "admin": self.world.admin,
            "anonymous": None,
        }[caller]

    async def headers(self, caller: str) -> dict[str, str]:
        """The caller's bearer token, or none."""
        user = self.user(caller)
        return {} if user is None else await auth_headers(user)


async def make_cast(world: World, session: AsyncSession, now: datetime) -> Cast:
    """A secretary, a comité technique seating the Mission locale and the EPI, a meeting held
    three days ago (with minutes) and one a week ahead."""
    secretary = await make_user(
        session, world.coordination, now, role=Role.SECRETARY, email="secretariat@ppie-test.fr"
    )
    committee = await make_committee(
        session, now, name="Comité technique", members=(world.sender, world.receiver)
    )
    past = await make_meeting(session, committee, now - timedelta(days=3), minutes="Relevé.")
    upcoming = await make_meeting(session, committee, now + timedelta(days=7))
    return Cast(world, secretary, committee.id, past.id, upcoming.id)


async def new_decision(
    sessionmaker: async_sessionmaker[AsyncSession], cast: Cast, state: str, t0: datetime
) -> int:
    """An item proposed by the Mission locale ten days ago, brought into ``state``."""
    async with sessionmaker() as session:
        view = await decision_service.propose_decision(
            session,
            actor_of(cast.world.referrer),
            committee_id=cast.committee_id,
            title="Forum de l'emploi des jeunes",
            description="Organiser un forum commun.",
            kind=DecisionKind.ACTION_PLAN,
            axis=PlanAxis.A2_1,
            now=t0 - timedelta(days=10),
        )
    decision_id = int(view.case.id)
    steps = {
        "proposed": [],
        "scheduled": [("schedule", 9)],
        "approved": [("schedule", 9), ("approve", 2)],
    }[state]
    for trigger, days in steps:
        payload = {"meeting_id": cast.past_meeting_id} if trigger == "schedule" else {}
        async with sessionmaker() as session:
            await engine.fire(
                session,
                DECISION,
                decision_id,
                trigger,
                actor_of(cast.secretary),
                payload,
                t0 - timedelta(days=days),
            )
    return decision_id


async def new_action(
    sessionmaker: async_sessionmaker[AsyncSession], cast: Cast, t0: datetime
) -> int:
    """An open action item of an approved decision, owned by the proposer's organisation."""
    decision_id = await new_decision(sessionmaker, cast, "approved", t0)
    async with sessionmaker() as session:
        view = await decision_service.assign_action(
            session,
            actor_of(cast.secretary),
            decision_id,
            owner_organisation_id=cast.world.sender.id,
            title="Réserver la salle",
            due_on=(t0 + timedelta(days=30)).date(),
            now=t0,
        )
    return int(view.case.id)


# trigger or route: (state of the item, then the status of each caller, in CALLERS order)
#                          secretary proposer other coordinator admin anonymous
