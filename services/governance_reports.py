"""What the governance publishes: the annual action plan and the record of a meeting.

Both are read models built from decisions, action items and events. Every authenticated
user opens them, and each sees only the items they may read (``policy.governance_readers``):
a title or a decision's text is typed by a person and may name someone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.enums import DecisionKind, LabelledEnum, PlanAxis
from core.errors import Forbidden
from core.models import ActionItem, Committee, Decision, Event, Meeting, Organisation
from services.committee_service import get_committee, get_meeting
from services.decision_service import year_bounds
from services.meeting_service import Amendment, list_amendments
from states import timers
from states.action import ACTION
from states.actor import Actor
from states.decision import DECISION
from states.policy import may_read_governance, visible_clause


class MeetingOutcome(LabelledEnum):
    """What became of an item on a meeting's agenda, as its minutes say."""

    APPROVED = "approved", "adoptée"
    REJECTED = "rejected", "rejetée"
    ADJOURNED = "adjourned", "ajournée"
    SCHEDULED = "scheduled", "inscrite, décision à enregistrer"


DECIDING_TRIGGERS = {"approve": "approved", "reject": "rejected", "adjourn": "adjourned"}


@dataclass(frozen=True)
class PlanAction:
    """An action item as the action plan shows it, with its status at a given instant."""

    id: int
    reference: str
    title: str
    owner_organisation: Organisation
    due_on: date
    state: str
    state_label: str
    overdue: bool


@dataclass(frozen=True)
class PlanDecision:
    """An approved ``action_plan`` decision and its action items."""

    id: int
    reference: str
    title: str
    committee: Committee
    decided_at: datetime
    decision_text: str | None
    actions: list[PlanAction]


@dataclass(frozen=True)
class PlanAxisGroup:
    """One axis of the plan and its decisions, in the order they were taken."""

    axis: PlanAxis
    label: str
    decisions: list[PlanDecision] = field(default_factory=list)


@dataclass(frozen=True)
class ActionPlan:
    """The year's approved action plan decisions by axis (every axis, 1.1 to 4.2)."""

    year: int
    generated_at: datetime
    axes: list[PlanAxisGroup]


async def _plan_actions(
    session: AsyncSession, actor: Actor, decision_ids: Sequence[int], now: datetime
) -> dict[int, list[PlanAction]]:
    """The action items of ``decision_ids`` ``actor`` may read, by decision, oldest first,
    with their status."""
    items = list(
        (
            await session.execute(
                select(ActionItem)
                .where(ActionItem.decision_id.in_(decision_ids), visible_clause(actor, ACTION))
                .options(selectinload(ActionItem.owner_organisation))
                .order_by(ActionItem.id)
            )
        ).scalars()
    )
    overdue = set(
        (
            await session.execute(
                select(ActionItem.id).where(
                    ActionItem.decision_id.in_(decision_ids), timers.overdue_clause(ACTION, now)
                )
            )
        ).scalars()
    )
    actions: dict[int, list[PlanAction]] = {}
    for item in items:
        actions.setdefault(item.decision_id, []).append(
            PlanAction(
                id=item.id,
                reference=item.reference,
                title=item.title,
                owner_organisation=item.owner_organisation,
                due_on=item.due_on,
                state=item.state,
                state_label=ACTION.state_labels[item.state],
                overdue=item.id in overdue,
            )
        )
    return actions


async def action_plan(session: AsyncSession, actor: Actor, year: int, now: datetime) -> ActionPlan:
    """The approved ``action_plan`` decisions decided in ``year`` (Paris), by plan axis.

    Each comes with its action items, done or not and overdue or not at ``now`` (overdue:
    past the escalation time, as everywhere in relais).
    """
    if not may_read_governance(actor):
        raise Forbidden("Connectez-vous pour consulter le plan d'action.")
    start, end = year_bounds(year)
    decisions = list(
        (
            await session.execute(
                select(Decision)
                .where(
                    Decision.kind == DecisionKind.ACTION_PLAN,
                    Decision.outcome == "approved",
                    Decision.state.in_(("approved", "published")),
                    Decision.decided_at >= start,
                    Decision.decided_at < end,
                    visible_clause(actor, DECISION),
                )
                .options(selectinload(Decision.committee))
                .order_by(Decision.decided_at, Decision.id)
            )
        ).scalars()
    )
    actions = await _plan_actions(session, actor, [decision.id for decision in decisions], now)
    groups = {axis: PlanAxisGroup(axis, axis.label) for axis in PlanAxis}
    for decision in decisions:
        assert decision.decided_at is not None
        groups[decision.axis].decisions.append(
            PlanDecision(
                id=decision.id,
                reference=decision.reference,
                title=decision.title,
                committee=decision.committee,
                decided_at=decision.decided_at,
                decision_text=decision.decision_text,
                actions=actions.get(decision.id, []),
            )
        )
    return ActionPlan(year=year, generated_at=now, axes=list(groups.values()))


@dataclass(frozen=True)
class MeetingItem:
    """An item of a meeting's agenda and what the meeting said about it."""

    reference: str
    title: str
    kind: DecisionKind
    axis: PlanAxis
    axis_label: str
    case_reference: str | None
    outcome: str
    outcome_label: str
    decision_text: str | None
    published: bool
    actions: list[PlanAction]


@dataclass(frozen=True)
class MeetingRecord:
    """Everything the minutes of a meeting show: who sits, what was on, what was decided."""

    meeting: Meeting
    committee: Committee
    members: list[Organisation]
    items: list[MeetingItem]
    generated_at: datetime
    # Rectificatifs to the published minutes, oldest first: the original stays as it was.
    amendments: list[Amendment] = field(default_factory=list)


async def _outcomes(session: AsyncSession, meeting: Meeting) -> dict[int, tuple[str, str | None]]:
    """Per decision of the committee: what ``meeting`` decided, or ``scheduled`` if not yet.

    Read from the events: an item scheduled on the meeting, then approved, rejected or
    adjourned, was decided there (an adjourned item loses its meeting, not its history).
    """
    decision_ids = select(Decision.id).where(Decision.committee_id == meeting.committee_id)
    events = (
        await session.execute(
            select(Event)
            .where(
                Event.case_kind == DECISION.name,
                Event.case_id.in_(decision_ids),
                Event.trigger.in_(("schedule", *DECIDING_TRIGGERS)),
            )
            .order_by(Event.id)
        )
    ).scalars()
    on_meeting: dict[int, int | None] = {}
    outcomes: dict[int, tuple[str, str | None]] = {}
    for event in events:
        if event.trigger == "schedule":
            on_meeting[event.case_id] = event.payload.get("meeting_id")
            if on_meeting[event.case_id] == meeting.id:
                outcomes[event.case_id] = ("scheduled", None)
        elif on_meeting.get(event.case_id) == meeting.id:
            outcomes[event.case_id] = (
                DECIDING_TRIGGERS[event.trigger],
                event.payload.get("decision_text"),
            )
            on_meeting[event.case_id] = None
    return outcomes


async def meeting_record(
    session: AsyncSession, actor: Actor, meeting_id: int, now: datetime
) -> MeetingRecord:
    """The record of a meeting for its minutes: committee, members, items and outcomes."""
    meeting = await get_meeting(session, actor, meeting_id)
    committee = await get_committee(session, actor, meeting.committee_id)
    outcomes = await _outcomes(session, meeting)
    decisions = list(
        (
            await session.execute(
                select(Decision)
                .where(Decision.id.in_(list(outcomes)), visible_clause(actor, DECISION))
                .order_by(Decision.id)
            )
        ).scalars()
    )
    approved = [decision.id for decision in decisions if outcomes[decision.id][0] == "approved"]
    actions = await _plan_actions(session, actor, approved, now)
    items = [
        MeetingItem(
            reference=decision.reference,
            title=decision.title,
            kind=decision.kind,
            axis=decision.axis,
            axis_label=decision.axis.label,
            case_reference=decision.case_reference,
            outcome=outcomes[decision.id][0],
            outcome_label=MeetingOutcome(outcomes[decision.id][0]).label,
            decision_text=outcomes[decision.id][1],
            published=decision.state == "published",
            actions=actions.get(decision.id, []),
        )
        for decision in decisions
    ]
    amendments = await list_amendments(session, meeting.id)
    return MeetingRecord(meeting, committee.committee, committee.members, items, now, amendments)
