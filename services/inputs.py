"""What the directory's use cases take: organisations, accounts, offers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi_users import schemas as user_schemas
from pydantic import EmailStr, Field, StringConstraints

from core.db import STORABLE_TEXT
from core.enums import OfferCategory, OrganisationKind, Role, Situation, Territory
from states.fields import Id, Payload

Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=STORABLE_TEXT),
]
Description = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=5000, pattern=STORABLE_TEXT)
]
Password = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Days = Annotated[int, Field(ge=1, le=120)]


class OrganisationCreate(Payload):
    """A new partner organisation."""

    name: Name
    kind: OrganisationKind
    territory: Territory = Territory.PARIS


class AccountCreate(Payload):
    """A new account, made by an admin or by an organisation admin for their organisation."""

    email: EmailStr
    password: Password
    organisation_id: Id
    role: Role
    full_name: Name | None = None
    scope_territory: Territory | None = None


class UserCreate(user_schemas.BaseUserCreate):
    """What fastapi-users needs to create an account."""

    organisation_id: int
    role: Role
    full_name: str | None = None
    scope_territory: Territory | None = None
    created_at: datetime


class OfferFields(Payload):
    """The editable fields of an offer."""

    title: Name | None = None
    description: Description | None = None
    category: OfferCategory | None = None
    territory: Territory | None = None
    eligible_publics: list[Situation] | None = Field(default=None, max_length=len(Situation))
    contact_email: EmailStr | None = None
    capacity: Annotated[int, Field(ge=0, le=100_000)] | None = None
    is_active: bool | None = None
    is_accompaniment: bool | None = Field(
        default=None,
        description="Starting a referral to this offer makes its organisation the référent.",
    )
    reminder_days: Days | None = None
    escalation_days: Days | None = None
    expiry_days: Days | None = None


class OfferCreate(OfferFields):
    """A new offer; the territory defaults to the organisation's."""

    organisation_id: Id
    title: Name
    category: OfferCategory
