"""A case of any lifecycle, put in any of its states with that state's timers open.

``BUILDERS`` maps each lifecycle's name to a ``CaseBuilder``: how to create a case the
ordinary way (through its service), in its initial state, and what the database requires of
a case in each state (a return reason, an outcome, a meeting: the ``state_checks``
migration). ``enter_state`` then puts that case in any state of its lifecycle, as if it had
entered it at a given instant: it sets ``state``, ``state_entered_at``, those fields and the
anchors the state's timers name, and opens the state's timers with
``states.timers.open_timers``. A new lifecycle needs a builder here: the sweep's boundary
tests fail for a lifecycle without one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import transaction
from core.enums import DecisionKind, Outcome, PlanAxis, ReturnReason, Role, TimerStatus
from core.models import Decision, Offer, Timer, User
from services import action_plan_service, decision_service
from services.handover_service import HandoverCreate, propose_handover
from services.referral_service import create_referral
from states import engine, timers
from states.accompaniments import current_accompaniment
from states.lifecycle import Lifecycle, TimerSpec
from tests.factories import (
    World,
    accompany_new_person,
    actor_of,
    handover_json,
    make_committee,
    make_meeting,
    make_user,
    referral_create,
)

Sessions = async_sessionmaker[AsyncSession]


@dataclass
class Cast:
    """The usual world, plus the committees' secretary and a comité technique.

    Every side of every lifecycle has someone to receive its reminders: the referrer and the
    receiving member, the coordinator (whose scope is all of Paris) and the secretary.
    """

    world: World
    secretary: User
    committee_id: int
    meeting_id: int


async def make_cast(
    world: World, session: AsyncSession, now: datetime, meeting_at: datetime
) -> Cast:
    """The world, a secretary and a comité technique of the sender and the receiver, meeting
    at ``meeting_at``."""
    secretary = await make_user(session, world.coordination, now, role=Role.SECRETARY)
    committee = await make_committee(
        session, now, name="Comité technique", members=(world.sender, world.receiver)
    )
    meeting = await make_meeting(session, committee, meeting_at)
    return Cast(world, secretary, committee.id, meeting.id)


Create = Callable[[Sessions, Cast, datetime], Awaitable[int]]
"""Creates a case of one lifecycle at the given instant; returns its id."""

StateFields = Callable[[Cast, str, datetime], Mapping[str, Any]]
"""The fields the database requires of a case in a state, given the cast, the state and the
anchor of its timers (a meeting's date)."""


def no_fields(cast: Cast, state: str, anchor_at: datetime) -> Mapping[str, Any]:
    """A lifecycle whose states require no field of their own."""
    return {}


@dataclass(frozen=True)
class CaseBuilder:
    """How to create a case of a lifecycle, and what each of its states requires."""

    create: Create
    state_fields: StateFields = no_fields


async def build_referral(
    sessionmaker: Sessions, cast: Cast, now: datetime, offer: Offer | None = None
) -> int:
    """A referral to ``offer`` (the world's offer by default), written and submitted at ``now``."""
    async with sessionmaker() as session:
        view = await create_referral(
            session,
            actor_of(cast.world.referrer),
            referral_create(offer or cast.world.offer),
            now,
        )
        await session.commit()
    return int(view.case.id)


async def build_handover(sessionmaker: Sessions, cast: Cast, now: datetime) -> int:
    """A person accompanied by the referrer's organisation, proposed to the receiver at ``now``."""
    async with sessionmaker() as session:
        person_id = await accompany_new_person(session, cast.world.referrer, now)
        view = await propose_handover(
            session,
            actor_of(cast.world.referrer),
            HandoverCreate(**handover_json(person_id, cast.world.receiver)),
            now,
        )
    return int(view.case.id)


async def build_decision(sessionmaker: Sessions, cast: Cast, now: datetime) -> int:
    """An item the referrer's organisation proposes to the comité technique at ``now``."""
    async with sessionmaker() as session:
        view = await decision_service.propose_decision(
            session,
            actor_of(cast.world.referrer),
            committee_id=cast.committee_id,
            title="Forum de l'emploi des jeunes",
            description="Organiser un forum commun Mission locale et EPI.",
            kind=DecisionKind.ACTION_PLAN,
            axis=PlanAxis.A2_1,
            now=now,
        )
    return int(view.case.id)


async def build_action(sessionmaker: Sessions, cast: Cast, now: datetime) -> int:
    """An action item for the receiver, assigned at ``now`` on an item adopted just before."""
    decision_id = await build_decision(sessionmaker, cast, now - timedelta(days=7))
    async with sessionmaker() as session, transaction(session):
        decision = await session.get(Decision, decision_id)
        assert decision is not None
        # Adopted, without the timers of that state: only the action item is under test.
        for name, value in decision_fields(cast, "approved", now - timedelta(days=1)).items():
            setattr(decision, name, value)
        decision.state = "approved"
    async with sessionmaker() as session:
        view = await decision_service.assign_action(
            session,
            actor_of(cast.secretary),
            decision_id,
            owner_organisation_id=cast.world.receiver.id,
            title="Réserver la salle du forum",
            due_on=(now + timedelta(days=30)).date(),
            now=now,
        )
    return int(view.case.id)


async def build_accompaniment(sessionmaker: Sessions, cast: Cast, now: datetime) -> int:
    """The receiver accompanies a new person from ``now`` (started by the coordination)."""
    async with sessionmaker() as session:
        person_id = await accompany_new_person(session, cast.world.receiver_member, now)
        current = await current_accompaniment(session, person_id)
        assert current is not None
        return current.id


def accompaniment_fields(cast: Cast, state: str, anchor_at: datetime) -> Mapping[str, Any]:
    """An ended accompaniment has its end and its exit outcome."""
    if state == "ended":
        return {"ended_at": anchor_at, "exit_outcome": Outcome.EMPLOYMENT}
    return {}


def referral_fields(cast: Cast, state: str, anchor_at: datetime) -> Mapping[str, Any]:
    """A returned referral has its reason, a completed one its outcome."""
    required: dict[str, dict[str, Any]] = {
        "returned": {"return_reason": ReturnReason.MISSING_INFORMATION},
        "completed": {"outcome": Outcome.EMPLOYMENT},
    }
    return required.get(state, {})


def handover_fields(cast: Cast, state: str, anchor_at: datetime) -> Mapping[str, Any]:
    """An accepted (or completed) handover has the date of its first meeting."""
    return {"first_meeting_at": anchor_at} if state in {"accepted", "completed"} else {}


def decision_fields(cast: Cast, state: str, anchor_at: datetime) -> Mapping[str, Any]:
    """A scheduled item has its meeting; a decided one, its outcome and when it was decided."""
    fields: dict[str, Any] = {}
    if state in {"scheduled", "approved", "rejected", "published"}:
        fields.update(meeting_id=cast.meeting_id, meeting_at=anchor_at)
    if state in {"approved", "rejected", "published"}:
        fields.update(
            outcome="rejected" if state == "rejected" else "approved", decided_at=anchor_at
        )
    return fields


async def build_action_plan(sessionmaker: Sessions, cast: Cast, now: datetime) -> int:
    """A draft of the action plan of ``now``'s year, opened by the coordination at ``now``."""
    async with sessionmaker() as session:
        view = await action_plan_service.create_plan(
            session, actor_of(cast.world.coordinator), now.year, now
        )
    return int(view.plan.id)


BUILDERS: dict[str, CaseBuilder] = {
    "referral": CaseBuilder(create=build_referral, state_fields=referral_fields),
    "handover": CaseBuilder(create=build_handover, state_fields=handover_fields),
    "decision": CaseBuilder(create=build_decision, state_fields=decision_fields),
    "action": CaseBuilder(create=build_action),
    "accompaniment": CaseBuilder(create=build_accompaniment, state_fields=accompaniment_fields),
    "action_plan": CaseBuilder(create=build_action_plan),
}


async def enter_state(
    sessionmaker: Sessions,
    lifecycle: Lifecycle,
    case_id: int,
    state: str,
    entered_at: datetime,
    anchor_at: datetime,
    fields: Mapping[str, Any],
) -> None:
    """Put the case in ``state`` as entered at ``entered_at``, with the state's timers open.

    The timers of the state it leaves are closed; ``fields`` are written on the case and
    every anchor the new state's timers name is set to ``anchor_at``. All in one transaction.
    """
    async with sessionmaker() as session, transaction(session):
        case = await engine.load_case(session, lifecycle, case_id, lock=True)
        await timers.close_timers(session, lifecycle, case_id, entered_at)
        for name, value in fields.items():
            setattr(case, name, value)
        case.state = state
        case.state_entered_at = entered_at
        for spec in lifecycle.timers.get(state, ()):
            if spec.anchor is not None:
                setattr(case, spec.anchor, anchor_at)
        await timers.open_timers(session, lifecycle, case, entered_at, entered_at)


async def keep_only(
    sessionmaker: Sessions, lifecycle: Lifecycle, case_id: int, state: str, index: int
) -> int:
    """Cancel every open timer of the case but the one of ``lifecycle.timers[state][index]``.

    The timer under test then acts alone: whatever the sweep does to the case, that timer
    did it. Returns its id.
    """
    spec: TimerSpec = lifecycle.timers[state][index]
    async with sessionmaker() as session, transaction(session):
        rows = list(
            (
                await session.execute(
                    select(Timer)
                    .where(
                        Timer.case_kind == lifecycle.name,
                        Timer.case_id == case_id,
                        Timer.closed_at.is_(None),
                    )
                    .order_by(Timer.id)
                )
            ).scalars()
        )
        # open_timers writes one row per spec, in declaration order (every anchor is set).
        assert [(row.state, row.kind, row.target) for row in rows] == [
            (state, other.kind, other.target) for other in lifecycle.timers[state]
        ]
        kept = rows[index]
        assert (kept.kind, kept.target) == (spec.kind, spec.target)
        for row in rows:
            if row.id != kept.id:
                row.status = TimerStatus.CANCELLED
                row.closed_at = row.created_at
        return kept.id
