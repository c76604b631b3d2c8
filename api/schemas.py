"""Request and response bodies of the API (the frozen interface of DESIGN.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi_users import schemas as user_schemas
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, computed_field

from core.business_days import paris_date
from core.db import FILLED_TEXT, MAX_ID, STORABLE_TEXT
from core.enums import (
    Barrier,
    EmailPreference,
    Frais,
    ModeAccueil,
    OfferCategory,
    OrganisationKind,
    OutboxStatus,
    Outcome,
    PlanAxis,
    Public,
    ReturnReason,
    Role,
    Situation,
    Territory,
    Thematique,
)
from services.overdue_pages import CURSOR_EXAMPLE
from states.publics import effective_publics, situation_of

Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=FILLED_TEXT),
]
Description = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=5000, pattern=STORABLE_TEXT)
]
Id = Annotated[int, Field(gt=0, le=MAX_ID)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Days = Annotated[int, Field(ge=1, le=120)]


class Read(BaseModel):
    """A response body built from an ORM object."""

    model_config = ConfigDict(from_attributes=True)


class OrganisationRead(Read):
    """A partner organisation."""

    id: int
    name: str
    kind: OrganisationKind
    territory: Territory
    is_active: bool = True


class UserRead(user_schemas.BaseUser[int]):
    """An account as shown to its owner and to admins."""

    organisation_id: int
    role: Role
    full_name: str | None = None
    work_phone: str | None = None
    scope_territory: Territory | None = None
    email_preference: EmailPreference


class OfferRead(Read):
    """An offer of the catalogue."""

    id: int
    organisation_id: int
    title: str
    description: str
    category: OfferCategory
    territory: Territory
    eligible_publics: list[Public]
    contact_email: str | None
    capacity: int | None
    places_left: int | None = Field(
        default=None,
        description=(
            "The places still free of an offer with a capacity: its capacity less its "
            "referrals accepted or under way (never below 0); null without a capacity. "
            "Accepting a referral to a full offer needs `capacity_override` (409 otherwise)."
        ),
    )
    modes_accueil: list[ModeAccueil] = Field(default_factory=list)
    frais: list[Frais] = Field(default_factory=list)
    thematiques: list[Thematique] = Field(default_factory=list)
    sub_axes: list[PlanAxis] = Field(
        default_factory=list,
        description="The plan's sub-axes the offer serves (1.1 to 4.2), in the plan's order.",
    )
    is_active: bool
    is_accompaniment: bool
    reminder_days: int | None
    escalation_days: int | None
    expiry_days: int | None
    progress_check_days: int | None
    reachable: bool = Field(
        description=(
            "Whether a referral to this offer reaches someone: the offer has a contact email, "
            "or its organisation is active with at least one active member or organisation "
            "admin. Referrals to an unreachable offer (« non joignable ») are refused (409)."
        )
    )


class OfferPage(BaseModel):
    """A page of offers."""

    items: list[OfferRead]
    next_cursor: int | None


class OrganisationRef(Read):
    """An organisation named in a case."""

    id: int
    name: str


class OfferRef(Read):
    """The offer a case is addressed to."""

    id: int
    title: str
    category: OfferCategory
    contact_email: str | None = None


class PersonRead(Read):
    """The person referred, shown only to the organisations of the case."""

    first_name: str
    last_name: str
    birth_date: date | None
    email: str | None
    phone: str | None
    residence: Territory | None = None
    lives_in_qpv: bool = False
    publics: list[Public] = Field(
        default_factory=list,
        description="The publics the referrer typed (not those derived: see the referral's).",
    )
    france_travail_id: str | None = None
    caf_number: str | None = None


PERSON_HIDDEN = (
    "The person; null in a list read by a coordinator (or the DPO, an administrator) whose "
    "organisation does not work the case: they see the identity only on the case's own "
    "page (GET of the case), a read the access log records. Health data (barrier « sante », "
    "publics « aah », « rqth ») appears only to the receiving organisation and the person's "
    "référent."
)


class PersonReferentRead(BaseModel):
    """The organisation that is the person's current référent: all a referrer learns of a
    person relais already knew (no other case, no detail)."""

    organisation: str


class CounsellorRead(Read):
    """The professional who opened a case, as the partners of the case may reach them."""

    full_name: str | None
    email: str
    work_phone: str | None
    is_active: bool


class EventRead(Read):
    """One step of a case's timeline."""

    id: int
    trigger: str
    from_state: str | None
    to_state: str
    actor_id: int | None
    organisation_id: int | None
    payload: dict[str, Any]
    occurred_at: datetime


class ReferralSummary(Read):
    """A referral in a listing."""

    id: int
    reference: str
    state: str
    offer: OfferRef
    sender_organisation: OrganisationRef
    receiver_organisation: OrganisationRef
    person: PersonRead | None = Field(
        description=PERSON_HIDDEN,
    )
    created_at: datetime
    state_entered_at: datetime


class ReferralRead(ReferralSummary):
    """A referral with its details, timeline and the caller's possible actions."""

    version: int
    motive: str
    barriers: list[Barrier]
    consent_attested_at: datetime
    health_data_attested_at: datetime | None = Field(
        default=None,
        description="When the referrer attested the explicit consent to share health data.",
    )
    first_appointment_at: datetime | None
    return_reason: ReturnReason | None
    return_comment: str | None
    outcome: Outcome | None
    cancel_reason: str | None
    created_by: CounsellorRead = Field(
        description="The referrer's named counsellor (the offer's contact is offer.contact_email)."
    )
    person_referent: PersonReferentRead | None = Field(
        default=None,
        description=(
            "The person's current référent organisation, if any. A referral to a person "
            "relais already knew (same strong identifier, or same name and birth date) is "
            "linked to their record; the referrer learns only this."
        ),
    )
    events: list[EventRead]
    allowed_actions: list[str]

    @computed_field(  # type: ignore[prop-decorator]
        description=(
            "The person's effective publics on the day the referral was written: typed, "
            "derived from the birth date (jeunes) and the QPV box, and implied."
        )
    )
    @property
    def publics(self) -> list[Public]:
        """Every public the person belonged to when the referral was written."""
        if self.person is None:
            return []
        return sorted(effective_publics(self.person, paris_date(self.created_at)))

    @computed_field(  # type: ignore[prop-decorator]
        description="Former single situation, kept for old clients: read from the publics."
    )
    @property
    def situation(self) -> Situation | None:
        """The old ``situation`` that best says the person's publics."""
        if self.person is None:
            return None
        return situation_of(effective_publics(self.person, paris_date(self.created_at)))


class ReferralPage(BaseModel):
    """A page of referrals, newest first; pass ``next_cursor`` as ``cursor`` for the next."""

    items: list[ReferralSummary]
    next_cursor: int | None


class Health(BaseModel):
    """Liveness and database reachability."""

    status: str
    database: str


class OverdueCaseRead(Read):
    """An overdue case, with no personal data."""

    lifecycle: str
    case_id: int
    reference: str
    case_label: str
    state: str
    state_label: str
    subject_line: str
    path: str
    waiting_organisation: str
    escalation_at: datetime
    days_overdue: int


class OverdueGroupRead(Read):
    """The overdue cases waiting on one organisation, oldest first."""

    organisation: str
    count: int
    cases: list[OverdueCaseRead]


class OverdueRead(Read):
    """A page of the overdue cases in the caller's scope, oldest first, grouped by the
    organisation expected to act; pass ``next_cursor`` as ``cursor`` for the next page."""

    total: int = Field(description="Nombre de dossiers en retard de cette page.")
    groups: list[OverdueGroupRead]
    next_cursor: str | None = Field(
        description="Curseur de la page suivante ; null sur la dernière.",
        examples=[CURSOR_EXAMPLE],
    )


class OutboxMessageRead(Read):
    """An email of the outbox: recipient, message and delivery state, never its content."""

    id: int
    message: str
    case_kind: str | None
    case_id: int | None
    recipient_email: str
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class OutboxPage(BaseModel):
    """A page of outbox messages, newest first."""

    items: list[OutboxMessageRead]
    next_cursor: int | None


class TodoItemRead(Read):
    """A case waiting on the caller: what is expected, of whom, by when. No personal data."""

    lifecycle: str
    case_id: int
    reference: str
    case_label: str
    state: str
    state_label: str
    expected_action: str
    waiting_on: str = Field(description="The organisation (or role) expected to act.")
    deadline: datetime | None = Field(
        description="When the case counts as overdue (the coordinators are alerted)."
    )
    overdue: bool
    path: str


class TodoRead(Read):
    """The caller's to-do list, soonest deadline first."""

    items: list[TodoItemRead]
    truncated: bool
