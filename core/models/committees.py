"""Governance: committees, their meetings, decision items and their action items."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, enum_column
from core.enums import CommitteeKind, DecisionKind, PlanAxis, Territory
from core.models.directory import Organisation


class Committee(Base):
    """A governance body: comité de pilotage, comité technique, project group, territorial."""

    __tablename__ = "committees"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[CommitteeKind] = mapped_column(enum_column(CommitteeKind), index=True)
    territory: Mapped[Territory] = mapped_column(enum_column(Territory))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A project group (kind projet) has a lead partner, a mandate and an end date; the
    # governance check reminds the lead at the end date to record a closing decision.
    lead_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), index=True
    )
    mandate: Mapped[str | None] = mapped_column(Text)
    ends_on: Mapped[date | None] = mapped_column(Date)

    lead_organisation: Mapped[Organisation | None] = relationship(lazy="raise")


class CommitteeMember(Base):
    """An organisation sitting on a committee."""

    __tablename__ = "committee_members"
    __table_args__ = (UniqueConstraint("committee_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committees.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))

    organisation: Mapped[Organisation] = relationship(lazy="raise")


class Meeting(Base):
    """A meeting of a committee: date, place, agenda and, afterwards, minutes."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committees.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    place: Mapped[str] = mapped_column(String(300))
    agenda: Mapped[str] = mapped_column(Text)
    minutes: Mapped[str | None] = mapped_column(Text)
    # Once published the minutes are frozen: a correction is a ``MeetingAmendment``.
    minutes_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    committee: Mapped[Committee] = relationship(lazy="raise")


class Decision(Base):
    """A decision item, proposed, scheduled on a meeting, decided and published."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(Integer)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committees.id"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"), index=True)
    # The meeting's start, copied when scheduled: the deadlines count from it.
    meeting_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    kind: Mapped[DecisionKind] = mapped_column(enum_column(DecisionKind))
    axis: Mapped[PlanAxis] = mapped_column(enum_column(PlanAxis))
    # A case brought to a committee, by its reference only (never personal data).
    case_reference: Mapped[str | None] = mapped_column(String(20))
    proposer_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    territory: Mapped[Territory] = mapped_column(enum_column(Territory))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(String(16))
    decision_text: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state_entered_at: Mapped[datetime] = mapped_column(UTCDateTime())

    committee: Mapped[Committee] = relationship(lazy="raise")
    meeting: Mapped[Meeting | None] = relationship(lazy="raise")
    proposer_organisation: Mapped[Organisation] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads it as is


class ActionItem(Base):
    """Something an organisation must do by a date, following an approved decision."""

    __tablename__ = "action_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(Integer)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    owner_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    territory: Mapped[Territory] = mapped_column(enum_column(Territory))
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    # Midnight of the due date in Paris, the anchor of the deadlines.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state_entered_at: Mapped[datetime] = mapped_column(UTCDateTime())

    decision: Mapped[Decision] = relationship(lazy="raise")
    owner_organisation: Mapped[Organisation] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads it as is
