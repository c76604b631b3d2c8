"""What the governance's use cases take: committees, meetings, decisions, actions."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StringConstraints

from core.db import FILLED_TEXT, STORABLE_TEXT
from core.enums import CommitteeKind, DecisionKind, PlanAxis, Territory
from states.fields import (
    WHOLE_NUMBER,
    YEARS_1900_TO_2999,
    Id,
    LongText,
    Moment,
    Offered,
    Payload,
)

Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=FILLED_TEXT),
]
Place = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=300, pattern=FILLED_TEXT),
]
Agenda = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=20_000, pattern=STORABLE_TEXT)
]
Mandate = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=5_000, pattern=FILLED_TEXT),
]
Minutes = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100_000, pattern=FILLED_TEXT),
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
    Field(
        ge=date(1900, 1, 1), lt=date(3000, 1, 1), json_schema_extra={"pattern": YEARS_1900_TO_2999}
    ),
]
"""A calendar day far from ``date.min`` and ``date.max``, which no deadline can count from."""
DurationMinutes = Annotated[int, Field(strict=True, ge=1, le=24 * 60), WHOLE_NUMBER]
StrictId = Annotated[Id, Field(strict=True)]
"""An id that is a JSON integer, not ``true`` nor ``"5"``."""


class CommitteeCreate(Payload):
    """A new committee and the organisations sitting on it."""

    name: Title = Field(title="Nom")
    kind: CommitteeKind = Field(title="Nature")
    territory: Territory = Field(default=Territory.PARIS, title="Territoire")
    member_organisation_ids: list[StrictId] = Field(
        default_factory=list, max_length=200, title="Structures membres"
    )
    # A project group's (kind projet): required for it, refused for the other kinds.
    lead_organisation_id: StrictId | None = Field(default=None, title="Structure pilote")
    mandate: Mandate | None = Field(default=None, title="Mandat")
    ends_on: Day | None = Field(default=None, title="Date de fin du mandat")


class ProjectGroupUpdate(Payload):
    """A project group's lead partner, mandate and end date, all three given again."""

    lead_organisation_id: StrictId = Field(title="Structure pilote")
    mandate: Mandate = Field(title="Mandat")
    ends_on: Day = Field(title="Date de fin du mandat")


class CommitteeMemberAdd(Payload):
    """An organisation joining a committee."""

    organisation_id: StrictId = Field(title="Structure")


class MeetingCreate(Payload):
    """A new meeting of a committee."""

    committee_id: StrictId = Field(title="Comité")
    starts_at: Instant = Field(title="Date et heure")
    duration_minutes: DurationMinutes = Field(default=120, title="Durée (en minutes)")
    place: Place = Field(title="Lieu")
    agenda: Agenda = Field(default="", title="Ordre du jour")


class MeetingUpdate(Payload):
    """Changes to a meeting: date, place and agenda before it starts, minutes afterwards.

    A field left out (or null) is left as it is.
    """

    starts_at: Instant | None = Field(default=None, title="Date et heure")
    duration_minutes: DurationMinutes | None = Field(default=None, title="Durée (en minutes)")
    place: Place | None = Field(default=None, title="Lieu")
    agenda: Agenda | None = Field(default=None, title="Ordre du jour")
    minutes: Minutes | None = Field(default=None, title="Compte rendu")


class AmendmentCreate(Payload):
    """A rectificatif to published minutes: its text, published beside the original."""

    text: Minutes = Field(title="Rectificatif")


PROPOSED_KINDS = tuple(kind for kind in DecisionKind if kind is not DecisionKind.CASE_REVIEW)
"""What a proposal may be about."""


class DecisionCreate(Payload):
    """A proposal put to a committee by the caller's organisation."""

    committee_id: StrictId = Field(title="Comité")
    title: Title = Field(title="Intitulé")
    description: LongText = Field(title="Description")
    # A case review is asked from its referral (POST /api/referrals/{id}/review): not here.
    kind: Annotated[DecisionKind, Offered(PROPOSED_KINDS)] = Field(title="Nature")
    axis: PlanAxis = Field(title="Axe du plan")


class CaseReviewCreate(Payload):
    """A referral brought to the comité technique; only its reference is kept."""

    axis: PlanAxis = Field(default=PlanAxis.A3_3, title="Axe du plan")


class ActionCreate(Payload):
    """An action item of an approved decision: who does what, by when."""

    owner_organisation_id: StrictId = Field(title="Structure responsable")
    title: Title = Field(title="Intitulé")
    due_on: Day = Field(title="Échéance")


class ActionPlanCreate(Payload):
    """The year of a new action plan draft."""

    year: Annotated[int, Field(ge=2000, le=2999, strict=True, title="Année"), WHOLE_NUMBER]


class ActionPlanItemCreate(Payload):
    """An item of the action plan, drafted from an approved committee decision."""

    title: Title = Field(title="Intitulé")
    sub_axis: PlanAxis = Field(title="Sous-axe du plan")
    lead_organisation_id: StrictId = Field(title="Structure pilote")
    due_on: Day = Field(title="Échéance")
    decision_id: StrictId = Field(title="Décision")
    target_indicator: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        default=None, title="Indicateur cible"
    )
    target_value: float | None = Field(default=None, ge=0, le=1e9, title="Valeur cible")
