"""Request and response bodies of the governance: committees, meetings, decisions, actions."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import BaseModel, Field, computed_field

from api.schemas import EventRead, OrganisationRef, Read
from core.enums import CommitteeKind, DecisionKind, PlanAxis, Territory

# Committees


class CommitteeRef(Read):
    """The committee a meeting or a decision belongs to."""

    id: int
    name: str
    kind: CommitteeKind


class CommitteeRead(CommitteeRef):
    """A committee with its member organisations, by name."""

    territory: Territory
    members: list[OrganisationRef]
    created_at: datetime
    # A project group's lead partner, mandate and end date (null for the other kinds).
    lead_organisation: OrganisationRef | None = None
    mandate: str | None = None
    ends_on: date | None = None


# Meetings


class MeetingRef(Read):
    """The meeting a decision is scheduled on."""

    id: int
    starts_at: datetime
    place: str


class MeetingRead(MeetingRef):
    """A meeting: its committee, date, place, agenda and minutes."""

    committee: CommitteeRef
    duration_minutes: int
    agenda: str
    minutes: str | None
    minutes_published_at: datetime | None = Field(
        description="Publication du compte rendu : il ne se modifie plus, il se rectifie."
    )
    created_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ends_at(self) -> datetime:
        """When the meeting is planned to end."""
        return self.starts_at + timedelta(minutes=self.duration_minutes)


class AmendmentRead(Read):
    """A rectificatif to published minutes, beside the unchanged original."""

    id: int
    text: str
    published_at: datetime
    author: str | None = None


class MeetingDetail(MeetingRead):
    """A meeting with the amendments to its published minutes, oldest first."""

    amendments: list[AmendmentRead] = Field(default_factory=list)


class MeetingPage(BaseModel):
    """A page of meetings, in chronological order; pass ``next_cursor`` as ``cursor``."""

    items: list[MeetingRead]
    next_cursor: int | None


# Decisions


class DecisionRef(Read):
    """The decision an action item follows from."""

    id: int
    reference: str
    title: str


class DecisionSummary(DecisionRef):
    """A decision item in a listing."""

    state: str
    committee: CommitteeRef
    meeting: MeetingRef | None
    meeting_at: datetime | None
    kind: DecisionKind
    axis: PlanAxis
    case_reference: str | None
    proposer_organisation: OrganisationRef
    territory: Territory
    outcome: str | None
    decided_at: datetime | None
    created_at: datetime
    state_entered_at: datetime


class DecisionRead(DecisionSummary):
    """A decision item with its details, timeline and the caller's possible actions."""

    version: int
    description: str
    decision_text: str | None
    events: list[EventRead]
    allowed_actions: list[str]


class DecisionPage(BaseModel):
    """A page of decision items, newest first."""

    items: list[DecisionSummary]
    next_cursor: int | None


# Action items


class ActionSummary(Read):
    """An action item in a listing."""

    id: int
    reference: str
    state: str
    decision: DecisionRef
    owner_organisation: OrganisationRef
    territory: Territory
    title: str
    due_on: date
    due_at: datetime
    created_at: datetime
    state_entered_at: datetime


class ActionRead(ActionSummary):
    """An action item with its timeline and the caller's possible actions."""

    version: int
    done_note: str | None
    events: list[EventRead]
    allowed_actions: list[str]


class ActionPage(BaseModel):
    """A page of action items, newest first."""

    items: list[ActionSummary]
    next_cursor: int | None


# Annual action plan


class PlanActionRead(Read):
    """An action item in the action plan, with its status at the time of the request."""

    id: int
    reference: str
    title: str
    owner_organisation: OrganisationRef
    due_on: date
    state: str
    state_label: str
    overdue: bool


class PlanDecisionRead(Read):
    """An approved ``action_plan`` decision of the year, with its action items."""

    id: int
    reference: str
    title: str
    committee: CommitteeRef
    decided_at: datetime
    decision_text: str | None
    actions: list[PlanActionRead]


class PlanAxisRead(Read):
    """One axis of the plan (1.1 to 4.2) and the year's decisions serving it."""

    axis: PlanAxis
    label: str
    decisions: list[PlanDecisionRead]


class ActionPlanRead(Read):
    """The annual action plan: every axis of the plan, in order, even those with nothing."""

    year: int
    generated_at: datetime
    axes: list[PlanAxisRead]
