"""Response bodies of accompaniments and handovers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, computed_field

from api.schemas import PERSON_HIDDEN, CounsellorRead, EventRead, OrganisationRef, PersonRead, Read
from core.enums import AccompanimentSource, Outcome, Territory
from states.accompaniment import AccompanimentState


class AccompanimentSummary(Read):
    """An organisation accompanying a person, from a date, until another."""

    id: int
    reference: str
    state: str
    person_id: int
    organisation_id: int
    territory: Territory
    source: AccompanimentSource
    source_id: int | None
    started_at: datetime
    ended_at: datetime | None
    reason: str | None
    started_by_id: int | None
    exit_outcome: Outcome | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def state_label(self) -> str:
        """What a person reads for the state (« en cours »)."""
        return AccompanimentState(self.state).label


class PartnerRead(Read):
    """An organisation co-accompanying the person (accompagnement global)."""

    organisation: OrganisationRef
    added_at: datetime
    consent_attested_at: datetime


class AccompanimentRead(AccompanimentSummary):
    """An accompaniment with its details, timeline and the caller's possible actions."""

    version: int
    state_entered_at: datetime
    exit_comment: str | None
    turns_26_at: datetime | None
    partners: list[PartnerRead]
    events: list[EventRead]
    allowed_actions: list[str]


class PersonSummary(PersonRead):
    """The person of a handover."""

    id: int


class HandoverSummary(Read):
    """A handover in a listing."""

    id: int
    reference: str
    state: str
    person: PersonSummary | None = Field(description=PERSON_HIDDEN)
    from_organisation: OrganisationRef
    to_organisation: OrganisationRef
    first_meeting_at: datetime | None
    created_at: datetime
    state_entered_at: datetime


class HandoverRead(HandoverSummary):
    """A handover with its details, timeline and the caller's possible actions."""

    version: int
    reason: str
    consent_attested_at: datetime
    decline_reason: str | None
    withdraw_reason: str | None
    created_by: CounsellorRead = Field(description="Who proposed the handover, to reach them.")
    events: list[EventRead]
    allowed_actions: list[str]


class HandoverPage(BaseModel):
    """A page of handovers, newest first."""

    items: list[HandoverSummary]
    next_cursor: int | None
