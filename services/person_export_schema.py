"""The document of the right of access (``services.person_export``): its stable schema, the
same for the API's JSON and the printable page. Codes come with their French labels."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class Labelled(BaseModel):
    """A code of a vocabulary and what a person reads for it."""

    code: str
    label: str


class ExportEvent(BaseModel):
    """One step of a case's history, with what was written with it."""

    occurred_at: datetime
    trigger: str
    label: str = Field(description="The step as the case's history reads it.")
    from_state: str | None
    from_state_label: str | None
    to_state: str
    to_state_label: str
    organisation: str = Field(description="Who took the step (relais itself: automatic).")
    payload: dict[str, Any] = Field(description="The fields written with the step.")


class ExportCase(BaseModel):
    """What every case of the person has: its reference, state and history."""

    reference: str
    state: str
    state_label: str
    territory: Labelled
    events: list[ExportEvent]


class ExportReferral(ExportCase):
    """A referral (orientation) of the person."""

    offer: str
    sender_organisation: str
    receiver_organisation: str
    created_at: datetime
    state_entered_at: datetime
    consent_attested_at: datetime
    motive: str
    barriers: list[Labelled]
    first_appointment_at: datetime | None
    return_reason: Labelled | None
    return_comment: str | None
    outcome: Labelled | None
    cancel_reason: str | None


class ExportPartner(BaseModel):
    """An organisation co-accompanying the person beside the référent."""

    organisation: str
    added_at: datetime
    consent_attested_at: datetime
    removed_at: datetime | None


class ExportAccompaniment(ExportCase):
    """An accompaniment of the person: an organisation that followed them."""

    organisation: str
    source: Labelled
    started_at: datetime
    ended_at: datetime | None
    reason: str | None
    exit_outcome: Labelled | None
    exit_comment: str | None
    turns_26_at: datetime | None
    partners: list[ExportPartner]


class ExportHandover(ExportCase):
    """A handover (passage de relais) of the person from one organisation to another."""

    from_organisation: str
    to_organisation: str
    created_at: datetime
    consent_attested_at: datetime
    reason: str
    first_meeting_at: datetime | None
    decline_reason: str | None
    withdraw_reason: str | None


class ExportPersonEvent(BaseModel):
    """A change of the person's record itself (merge, rectification, consent)."""

    occurred_at: datetime
    kind: str
    label: str
    organisation: str
    payload: dict[str, Any]


class ExportPerson(BaseModel):
    """The person's record."""

    id: int
    first_name: str
    last_name: str
    birth_date: date | None
    email: str | None
    phone: str | None
    france_travail_id: str | None
    caf_number: str | None
    residence: Labelled | None
    lives_in_qpv: bool
    publics: list[Labelled]
    created_at: datetime
    consent_withdrawn_at: datetime | None
    anonymised_at: datetime | None


class PersonExport(BaseModel):
    """Everything relais holds about one person (right of access, GDPR article 15)."""

    generated_at: datetime
    person: ExportPerson
    referrals: list[ExportReferral]
    accompaniments: list[ExportAccompaniment]
    handovers: list[ExportHandover]
    person_events: list[ExportPersonEvent]
    recipients: list[str] = Field(
        description="The organisations the person's data was shared with (their cases' parties)."
    )
