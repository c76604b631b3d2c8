"""Request and response bodies of the governance: committees, meetings, decisions, actions."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, StringConstraints, computed_field

from api.schemas import EventRead, OrganisationRef, Read, Strict
from core.db import STORABLE_TEXT
from core.enums import CommitteeKind, DecisionKind, PlanAxis, Territory
from states.fields import Id, LongText, Moment

Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=STORABLE_TEXT),
]
Place = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=300, pattern=STORABLE_TEXT),
]
Agenda = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=20_000, pattern=STORABLE_TEXT)
]
Minutes = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=100_000, pattern=STORABLE_TEXT
    ),
]


ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ].+")


def _iso(pattern: re.Pattern[str], expected: str) -> Callable[[Any], Any]:
    """Only ISO 8601 text, as the schema says: pydantic would read numbers as timestamps."""

    def check(value: Any) -> Any:
        if isinstance(value, str) and not pattern.fullmatch(value.strip()):
            raise ValueError(expected)
        if isinstance(value, int | float):
            raise ValueError(expected)
        return value

    return check


Instant = Annotated[
    Moment, BeforeValidator(_iso(ISO_INSTANT, "date et heure attendues (ISO 8601)"))
]
"""An aware instant written as ISO 8601 text, never a bare number."""
Day = Annotated[
    date,
    BeforeValidator(_iso(ISO_DAY, "date attendue (AAAA-MM-JJ)")),
    Field(ge=date(1900, 1, 1), lt=date(3000, 1, 1)),
]
"""A calendar day far from ``date.min`` and ``date.max``, which no deadline can count from."""
DurationMinutes = Annotated[int, Field(strict=True, ge=1, le=24 * 60)]
StrictId = Annotated[Id, Field(strict=True)]
"""An id that is a JSON integer, not ``true`` nor ``"5"``."""


# Committees


class CommitteeCreate(Strict):
    """A new committee and the organisations sitting on it."""

    name: Title
    kind: CommitteeKind
    territory: Territory = Territory.PARIS
    member_organisation_ids: list[StrictId] = Field(default_factory=list, max_length=200)


class CommitteeMemberAdd(Strict):
    """An organisation joining a committee."""

    organisation_id: StrictId


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


# Meetings


class MeetingCreate(Strict):
    """A new meeting of a committee."""

    committee_id: StrictId
    starts_at: Instant
    duration_minutes: DurationMinutes = 120
    place: Place
    agenda: Agenda = ""


class MeetingUpdate(Strict):
    """Changes to a meeting: date, place and agenda before it starts, minutes afterwards.

    A field left out (or null) is left as it is.
    """

    starts_at: Instant | None = None
    duration_minutes: DurationMinutes | None = None
    place: Place | None = None
    agenda: Agenda | None = None
    minutes: Minutes | None = None


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
    created_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ends_at(self) -> datetime:
        """When the meeting is planned to end."""
        return self.starts_at + timedelta(minutes=self.duration_minutes)


class MeetingPage(BaseModel):
    """A page of meetings, in chronological order; pass ``next_cursor`` as ``cursor``."""

    items: list[MeetingRead]
    next_cursor: int | None


# Decisions


class DecisionCreate(Strict):
    """A proposal put to a committee by the caller's organisation."""

    committee_id: StrictId
    title: Title
    description: LongText
    kind: DecisionKind
    axis: PlanAxis


class CaseReviewCreate(Strict):
    """A referral brought to the comité technique; only its reference is kept."""

    axis: PlanAxis = PlanAxis.A3_3


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


class ActionCreate(Strict):
    """An action item of an approved decision: who does what, by when."""

    owner_organisation_id: StrictId
    title: Title
    due_on: Day


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
