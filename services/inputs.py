"""What the directory's use cases take: organisations, accounts, offers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi_users import schemas as user_schemas
from pydantic import ConfigDict, EmailStr, Field, JsonValue, StringConstraints
from pydantic.json_schema import SkipJsonSchema

from core.db import FILLED_TEXT, STORABLE_TEXT
from core.enums import (
    EmailPreference,
    Frais,
    ModeAccueil,
    OfferCategory,
    OrganisationKind,
    PlanAxis,
    Public,
    Role,
    Territory,
    Thematique,
)
from states.fields import WHOLE_NUMBER, FrenchPhone, Id, Payload

Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=FILLED_TEXT),
]
Description = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=5000, pattern=STORABLE_TEXT)
]
MIN_PASSWORD_LENGTH = 12
"""A new password's least length (``services.auth.password_problem`` refuses shorter)."""
MAX_PASSWORD_LENGTH = 128
"""Any password's greatest length: longer is refused as input."""
Password = Annotated[str, StringConstraints(min_length=1, max_length=MAX_PASSWORD_LENGTH)]
"""A password as typed to log in or confirm: any length the inputs allow."""
NewPassword = Annotated[Password, Field(json_schema_extra={"minLength": MIN_PASSWORD_LENGTH})]
"""A password being chosen. The schema states the least length; the model leaves it to the
password rule, whose refusal says why in French (and also refuses common passwords)."""
Days = Annotated[int, Field(strict=True, ge=1, le=120), WHOLE_NUMBER]
"""Business days, a JSON integer (``true`` is not 1)."""


class OrganisationCreate(Payload):
    """A new partner organisation."""

    name: Name = Field(title="Nom")
    kind: OrganisationKind = Field(title="Nature")
    territory: Territory = Field(default=Territory.PARIS, title="Territoire")


COORDINATOR_ONLY_SCOPE: list[JsonValue] = [
    {"properties": {"role": {"const": Role.COORDINATOR.value}}, "required": ["role"]},
    {"properties": {"scope_territory": {"type": "null"}}},
]
"""A territory is given to a coordinator or to nobody, as JSON Schema states it."""


class AccountCreate(Payload):
    """A new account, made by an admin or by an organisation admin for their organisation."""

    email: EmailStr = Field(title="Adresse électronique")
    password: NewPassword = Field(title="Mot de passe")
    organisation_id: Id = Field(title="Structure")
    role: Role = Field(title="Rôle")
    full_name: Name | None = Field(default=None, title="Nom et prénom")
    work_phone: FrenchPhone | None = Field(default=None, title="Téléphone professionnel")
    scope_territory: Territory | None = Field(default=None, title="Territoire suivi")

    # Only a coordinator has a territory (``services.accounts``): the schema says so.
    model_config = ConfigDict(json_schema_extra={"anyOf": COORDINATOR_ONLY_SCOPE})


class AccountInvite(Payload):
    """A new account made on the pages: no password, the person chooses theirs from the
    emailed link."""

    email: EmailStr = Field(title="Adresse électronique")
    full_name: Name | None = Field(default=None, title="Nom et prénom")
    organisation_id: Id = Field(title="Structure")
    role: Role = Field(title="Rôle")
    scope_territory: Territory | None = Field(
        default=None, title="Territoire suivi (coordination seulement)"
    )


class OrganisationUpdate(Payload):
    """The fields of an organisation to change; a field left out (or null) stays as it is."""

    name: Name | None = Field(default=None, title="Nom")
    kind: OrganisationKind | None = Field(default=None, title="Nature")
    territory: Territory | None = Field(default=None, title="Territoire")


class AccountUpdate(Payload):
    """The fields of an account to change. A field left out stays as it is; ``full_name``,
    ``work_phone`` and ``scope_territory`` sent as null are cleared (a role cannot be)."""

    full_name: Name | None = Field(default=None, title="Nom et prénom")
    work_phone: FrenchPhone | None = Field(default=None, title="Téléphone professionnel")
    role: Role | None = Field(default=None, title="Rôle")
    scope_territory: Territory | None = Field(default=None, title="Territoire suivi")


class ContactUpdate(Payload):
    """A person's own professional contact details, shown to the partners of their cases.
    A field left out stays as it is; sent as null (or empty on the page), it is cleared."""

    full_name: Name | None = Field(default=None, title="Nom et prénom")
    work_phone: FrenchPhone | None = Field(default=None, title="Téléphone professionnel")


class EmailPreferenceChoice(Payload):
    """Which overdue alerts a person receives by email (« Mon compte »)."""

    email_preference: EmailPreference = Field(title="Alertes de retard par email")


class OwnAccountUpdate(ContactUpdate):
    """What a person changes in their own account through ``PATCH /api/users/me``: their
    contact details and, left out to keep it, their choice of overdue alerts by email."""

    # Left out, it is kept; null is refused (a choice is never removed): the schema says so.
    email_preference: EmailPreference | SkipJsonSchema[None] = Field(
        default=None, title="Alertes de retard par email"
    )


class PasswordChange(Payload):
    """A person changing their own password."""

    current_password: Password = Field(title="Mot de passe actuel")
    new_password: NewPassword = Field(title="Nouveau mot de passe")


class PasswordForgotten(Payload):
    """Someone asking for a link to choose a new password."""

    email: EmailStr = Field(title="Adresse électronique")


ResetToken = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class PasswordReset(Payload):
    """A new password chosen through the link of a "mot de passe oublié" email."""

    token: ResetToken = Field(title="Jeton du lien reçu par email")
    password: NewPassword = Field(title="Nouveau mot de passe")


class InvitationAcceptance(Payload):
    """What the holder of an invitation chooses: their name and their password (the address
    and the organisation are the invitation's)."""

    full_name: Name = Field(title="Nom et prénom")
    password: NewPassword = Field(title="Mot de passe")


class UserCreate(user_schemas.BaseUserCreate):
    """What fastapi-users needs to create an account."""

    organisation_id: int
    role: Role
    full_name: str | None = None
    work_phone: str | None = None
    scope_territory: Territory | None = None
    created_at: datetime


class OfferFields(Payload):
    """The editable fields of an offer."""

    title: Name | None = Field(default=None, title="Intitulé de l'offre")
    description: Description | None = Field(default=None, title="Description")
    category: OfferCategory | None = Field(default=None, title="Thématique")
    territory: Territory | None = Field(default=None, title="Territoire")
    eligible_publics: list[Public] | None = Field(
        default=None, max_length=len(Public), title="Publics concernés"
    )
    contact_email: EmailStr | None = Field(default=None, title="Adresse électronique de contact")
    capacity: Annotated[int, Field(strict=True, ge=0, le=100_000), WHOLE_NUMBER] | None = Field(
        default=None, title="Nombre de places (facultatif)"
    )
    modes_accueil: list[ModeAccueil] | None = Field(
        default=None, max_length=len(ModeAccueil), title="Modes d'accueil"
    )
    frais: list[Frais] | None = Field(default=None, max_length=len(Frais), title="Frais")
    sub_axes: list[PlanAxis] | None = Field(
        default=None,
        max_length=len(PlanAxis),
        title="Sous-axes du plan servis",
        description=(
            "The sub-axes of the Plan parisien de l'insertion par l'emploi (1.1 to 4.2) the "
            "offer serves: its referrals count under each of them in the indicators."
        ),
    )
    thematiques: list[Thematique] | None = Field(
        default=None,
        max_length=len(Thematique),
        title="Thématiques détaillées (data·inclusion, facultatif)",
    )
    is_active: bool | None = Field(
        default=None, title="Offre ouverte : elle reçoit des orientations"
    )
    is_accompaniment: bool | None = Field(
        default=None,
        description="Starting a referral to this offer makes its organisation the référent.",
        title=(
            "Offre d'accompagnement : la structure devient référente de la personne "
            "quand l'accompagnement démarre"
        ),
    )
    reminder_days: Days | None = Field(
        default=None, title="Relance de la structure après (jours ouvrés)"
    )
    escalation_days: Days | None = Field(
        default=None, title="Alerte à la coordination après (jours ouvrés)"
    )
    expiry_days: Days | None = Field(
        default=None, title="Expiration de l'orientation sans réponse après (jours ouvrés)"
    )
    progress_check_days: Days | None = Field(
        default=None,
        title="Point d'étape d'un accompagnement en cours, sans nouvelles depuis (jours ouvrés)",
    )


class OfferCreate(OfferFields):
    """A new offer; the territory defaults to the organisation's."""

    organisation_id: Id = Field(title="Structure")
    title: Name = Field(title="Intitulé de l'offre")
    category: OfferCategory = Field(title="Thématique")
