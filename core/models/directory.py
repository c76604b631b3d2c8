"""Organisations, their users and their offers."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, enum_column
from core.enums import EmailPreference, OfferCategory, OrganisationKind, Role, Territory


class Organisation(Base):
    """A partner organisation of the plan."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(enum_column(OrganisationKind))
    territory: Mapped[Territory] = mapped_column(enum_column(Territory))
    # A deactivated organisation keeps its cases; its accounts and offers are closed.
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


def _default_email_preference(context: Any) -> str:
    """A new account's email preference, by its role (``EmailPreference.default_for``)."""
    return EmailPreference.default_for(Role(context.get_current_parameters()["role"])).value


class User(Base):
    """A professional with an account; belongs to exactly one organisation.

    The database keeps at most one active data protection officer (DPO) per deployment.

    Its first columns are those fastapi-users' SQLAlchemy adapter reads, as its
    ``SQLAlchemyBaseUserTable`` declares them, written out here: that mixin would import
    FastAPI into every module that reads a model (0.9 s at each command's start).
    """

    __tablename__ = "users"
    __table_args__ = (
        Index(
            "uq_users_one_active_dpo",
            "role",
            unique=True,
            postgresql_where=text("role = 'dpo' AND is_active"),
            sqlite_where=text("role = 'dpo' AND is_active"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    if TYPE_CHECKING:  # as fastapi-users' protocol reads them (plain attributes)
        email: str
        hashed_password: str
        is_active: bool
        is_superuser: bool
        is_verified: bool
    else:
        email: Mapped[str] = mapped_column(String(320), unique=True, index=True)
        hashed_password: Mapped[str] = mapped_column(String(1024))
        is_active: Mapped[bool] = mapped_column(Boolean, default=True)
        is_superuser: Mapped[bool] = mapped_column(Boolean, default=False)
        is_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role))
    full_name: Mapped[str | None] = mapped_column(String(200))
    # A professional line, shown to the partners of the cases the user opens (« 01 23 45 67 89 »).
    work_phone: Mapped[str | None] = mapped_column(String(20))
    # Only coordinators use it: None means every territory.
    scope_territory: Mapped[Territory | None] = mapped_column(enum_column(Territory))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Written into every token of the account; raising it ends all of its sessions at once
    # (``services.auth.end_sessions``: logout, password change, deactivation).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # Chosen on « Mon compte »; a new account starts with its role's (``default_for``).
    email_preference: Mapped[EmailPreference] = mapped_column(
        enum_column(EmailPreference),
        default=_default_email_preference,
        server_default=EmailPreference.EVERY_ESCALATION.value,
    )

    organisation: Mapped[Organisation] = relationship(lazy="raise")


class Offer(Base):
    """An offer of the insertion catalogue, owned by one organisation."""

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[OfferCategory] = mapped_column(enum_column(OfferCategory))
    territory: Mapped[Territory] = mapped_column(enum_column(Territory))
    eligible_publics: Mapped[list[Any]] = mapped_column(JSON, default=list)
    contact_email: Mapped[str | None] = mapped_column(String(320))
    capacity: Mapped[int | None] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Starting a referral to this offer makes its organisation the person's référent.
    is_accompaniment: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Response deadlines of referrals to this offer, in business days; None keeps the default.
    reminder_days: Mapped[int | None] = mapped_column(Integer)
    escalation_days: Mapped[int | None] = mapped_column(Integer)
    expiry_days: Mapped[int | None] = mapped_column(Integer)
    # How often a referral under way to this offer gets a progress check; None: the default.
    progress_check_days: Mapped[int | None] = mapped_column(Integer)
    # data·inclusion's vocabularies, stored by value (core.enums ModeAccueil, Frais and
    # Thematique): how the person is received, whether it costs, the sub-thématiques.
    modes_accueil: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    frais: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    thematiques: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # Where an imported offer comes from (``relais offers import``): the producer and its id
    # of the service; a second import of the same service updates the offer.
    source: Mapped[str | None] = mapped_column(String(100))
    source_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship(lazy="raise")

    __table_args__ = (Index("uq_offers_source_id", "source", "source_id", unique=True),)


class PasswordResetToken(Base):
    """A "mot de passe oublié" link: only the SHA-256 of its token is kept, used once."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
