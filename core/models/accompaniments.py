"""Accompaniments (who is a person's référent organisation) and their handovers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, enum_column
from core.enums import AccompanimentSource, Outcome, Territory
from core.models.directory import Organisation, User
from core.models.referrals import Person


class Accompaniment(Base):
    """An organisation accompanying a person, from ``started_at`` until ``ended_at``: a case
    of the accompaniment lifecycle (``states.accompaniment``), active until it ends.

    The database keeps at most one current accompaniment (no ``ended_at``) per person.
    """

    __tablename__ = "accompaniments"
    __table_args__ = (
        Index(
            "uq_accompaniments_current_person",
            "person_id",
            unique=True,
            postgresql_where=text("ended_at IS NULL"),
            sqlite_where=text("ended_at IS NULL"),
        ),
        # The accompaniment a referral or a handover began (whether a referrer still reads
        # the person: ``services.handover_service.may_see_person``).
        Index("ix_accompaniments_source", "source_id", "source"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    territory: Mapped[Territory] = mapped_column(enum_column(Territory))
    source: Mapped[AccompanimentSource] = mapped_column(enum_column(AccompanimentSource))
    source_id: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Why the coordination started it, and who (a direct start only): free text about the
    # person, kept here rather than in an event so that anonymisation can erase it.
    reason: Mapped[str | None] = mapped_column(Text)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    state_entered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # How it ended (sortie), when the référent ended it; a handover ends it without one.
    exit_outcome: Mapped[Outcome | None] = mapped_column(enum_column(Outcome))
    exit_comment: Mapped[str | None] = mapped_column(Text)
    # The person's 26th birthday (midnight, Paris), kept while a Mission locale is the
    # référent: the age limit of the Missions locales, counted from by the accompaniment's
    # « 26 ans » timers (states.accompaniment). None for any other référent.
    turns_26_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship(lazy="raise")
    person: Mapped[Person] = relationship(lazy="raise")
    # The organisations co-accompanying the person now (accompagnement global).
    partners: Mapped[list[AccompanimentPartner]] = relationship(
        primaryjoin="and_(AccompanimentPartner.accompaniment_id == Accompaniment.id, "
        "AccompanimentPartner.removed_at.is_(None))",
        order_by="AccompanimentPartner.id",
        viewonly=True,
        lazy="raise",
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads it as is


class AccompanimentPartner(Base):
    """An organisation co-accompanying a person beside the référent (accompagnement global),
    with the person's consent: it reads the person's file and history, read-only.

    Added by the référent, removed by the référent or the partner itself; ends with its
    accompaniment, and carries over to the next one on a handover. One open row per
    accompaniment and organisation.
    """

    __tablename__ = "accompaniment_partners"
    __table_args__ = (
        Index(
            "uq_accompaniment_partners_current",
            "accompaniment_id",
            "organisation_id",
            unique=True,
            postgresql_where=text("removed_at IS NULL"),
            sqlite_where=text("removed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    accompaniment_id: Mapped[int] = mapped_column(ForeignKey("accompaniments.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    consent_attested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    organisation: Mapped[Organisation] = relationship(lazy="raise")


class Handover(Base):
    """A passage de relais: the current référent (A) hands the person over to B."""

    __tablename__ = "handovers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    accompaniment_id: Mapped[int] = mapped_column(ForeignKey("accompaniments.id"), index=True)
    from_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    to_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    territory: Mapped[Territory] = mapped_column(enum_column(Territory))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    consent_attested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_meeting_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decline_reason: Mapped[str | None] = mapped_column(Text)
    withdraw_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state_entered_at: Mapped[datetime] = mapped_column(UTCDateTime())

    person: Mapped[Person] = relationship(lazy="raise")
    from_organisation: Mapped[Organisation] = relationship(
        foreign_keys=[from_organisation_id], lazy="raise"
    )
    to_organisation: Mapped[Organisation] = relationship(
        foreign_keys=[to_organisation_id], lazy="raise"
    )
    created_by: Mapped[User] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads it as is
