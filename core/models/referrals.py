"""The person referred and the referral (orientation) itself."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, enum_column
from core.enums import Outcome, ReturnReason, Territory
from core.models.directory import Offer, Organisation, User

EXPIRED = "state = 'expired'"
"""The referrals late in themselves (``states.referral``'s ``late`` wait): expired, not yet
resubmitted, redirected or closed."""
PAST_ESCALATION_STATES = "state IN ('accepted', 'in_progress', 'returned', 'submitted')"
"""The referrals that can be past an open escalation: in a state with one (``states.referral``'s
timers), the expired ones apart (late in themselves)."""


class Person(Base):
    """The minimum a receiving partner needs to contact the person; no account.

    One record per human: ``services.persons`` looks for them before creating one, by a
    strong identifier or by ``name_key`` and birth date (one indexed query).
    """

    __tablename__ = "persons"
    # The identifiers are unique through unique indexes rather than constraints, which SQLite
    # adds without rebuilding a table other tables' rows refer to.
    __table_args__ = (
        Index("ix_persons_identity", "name_key", "birth_date"),
        Index("uq_persons_caf_number", "caf_number", unique=True),
        Index("uq_persons_france_travail_id", "france_travail_id", unique=True),
        # A territory's residents read from the index alone (their ids beside the
        # residence): every territory rule reads them (``policy.territory_clause``).
        Index("ix_persons_residence", "residence", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date | None] = mapped_column(Date)
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(30))
    # Where they live: Paris Centre or an arrondissement (never all Paris); and whether in a
    # quartier prioritaire de la politique de la ville (QPV), as the referrer ticked it.
    residence: Mapped[Territory | None] = mapped_column(enum_column(Territory))
    lives_in_qpv: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The publics the referrer typed (``core.enums.Public`` values, sorted, unique); those
    # derived (jeunes, résidents QPV...) are not stored: ``states.publics.effective_publics``.
    publics: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the person withdrew their consent to the sharing (``services.consent_withdrawal``):
    # no new referral without a renewed attestation, which clears it.
    consent_withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Strong identifiers, stored compact and in upper case; unique when given.
    france_travail_id: Mapped[str | None] = mapped_column(String(11))
    caf_number: Mapped[str | None] = mapped_column(String(7))
    # Normalised « last|first » (``states.identity.name_key``), for matching and duplicates.
    name_key: Mapped[str] = mapped_column(String(400), default="")


class Referral(Base):
    """A request that an offer take a person on, from a referring organisation."""

    __tablename__ = "referrals"
    __table_args__ = (
        # Each holds what its delay reads: a year's cases answer from the index alone.
        Index(
            "ix_referrals_first_submitted",
            "first_submitted_at",
            "first_answered_at",
            "first_reminder_due_at",
            "first_escalation_due_at",
        ),
        Index("ix_referrals_started", "started_at", "accepted_at"),
        # What the dashboard counts and the export writes of each referral past its open
        # escalation (its state, the organisation it waits on; its reference, and its
        # territory and person for a territory's filter), joined to the open escalations by
        # id from the index alone. Only the referrals that can be past one: a quarter of the
        # table after three years.
        Index(
            "ix_referrals_overdue_parties",
            "id",
            "state",
            "sender_organisation_id",
            "receiver_organisation_id",
            postgresql_include=["territory", "person_id", "reference"],
            postgresql_where=text(PAST_ESCALATION_STATES),
            sqlite_where=text(PAST_ESCALATION_STATES),
        ),
        # The expired referrals in the order they became overdue (when they expired): the
        # overdue lists and the export read their first ones in order, without sorting them.
        Index(
            "ix_referrals_expired_order",
            "state_entered_at",
            "id",
            postgresql_where=text(EXPIRED),
            sqlite_where=text(EXPIRED),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(Integer)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    sender_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    receiver_organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id"), index=True
    )
    territory: Mapped[Territory] = mapped_column(enum_column(Territory))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    motive: Mapped[str] = mapped_column(Text)
    barriers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    consent_attested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the referrer attested the person's explicit consent to share health data
    # (``states.health``); None when the referral carries none.
    health_data_attested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_appointment_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    return_reason: Mapped[ReturnReason | None] = mapped_column(enum_column(ReturnReason))
    return_comment: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[Outcome | None] = mapped_column(enum_column(Outcome))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state_entered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Milestones the transitions stamp (states.referral, states.milestones), read by the
    # indicators' delays: the first transmission and the dues of the reminder and alert it
    # opened, the receiver's first answer, the last acceptance, the start.
    first_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_reminder_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_escalation_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    offer: Mapped[Offer] = relationship(lazy="raise")
    person: Mapped[Person] = relationship(lazy="raise")
    sender_organisation: Mapped[Organisation] = relationship(
        foreign_keys=[sender_organisation_id], lazy="raise"
    )
    receiver_organisation: Mapped[Organisation] = relationship(
        foreign_keys=[receiver_organisation_id], lazy="raise"
    )
    created_by: Mapped[User] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads it as is
