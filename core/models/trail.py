"""What every lifecycle shares: the append-only events, the timers and the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigId, UTCDateTime, enum_column
from core.enums import OutboxStatus, TimerKind, TimerStatus


class Event(Base):
    """One transition of one case; rows are only ever inserted."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_case", "case_kind", "case_id", "id"),
        # The indicators count a period's transitions of one kind (submitted, accepted...):
        # an index-only range scan instead of reading every event (benchmarks/paris_years).
        Index("ix_events_trigger_time", "case_kind", "trigger", "occurred_at", "case_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())


OPEN_ESCALATION = "kind = 'escalation' AND closed_at IS NULL AND message IS NULL"
WENT_OVERDUE = (
    "kind = 'escalation' AND message IS NULL AND (closed_at IS NULL OR closed_at > due_at)"
)
OPEN_REMINDER = "kind = 'reminder' AND closed_at IS NULL AND message IS NULL"
PENDING = "status = 'pending'"


class Timer(Base):
    """A deadline created when a case enters a state and cancelled when it leaves it."""

    __tablename__ = "timers"
    __table_args__ = (
        # The pending timers by due time: what the sweep reads. Only those: the years of
        # fired and cancelled timers stay out of it, and a query that names a case with
        # ``status = 'pending'`` finds no index on status to prefer over the case's (SQLite
        # without statistics chose (status, due_at) and read every pending timer).
        Index(
            "ix_timers_pending",
            "due_at",
            postgresql_where=text(PENDING),
            sqlite_where=text(PENDING),
        ),
        # A case's timers, by kind too: a query naming a case and a kind (has this milestone
        # fallen due?) finds three columns here, against two in ``ix_timers_fired``.
        Index("ix_timers_case", "case_kind", "case_id", "kind"),
        # The indicators count the reminders and escalations fired in a period; the pending
        # timers the sweep reads are not in it.
        Index(
            "ix_timers_fired",
            "case_kind",
            "kind",
            "fired_at",
            "case_id",
            postgresql_where=text("status = 'fired'"),
            sqlite_where=text("status = 'fired'"),
        ),
        # The open escalations: the overdue cases (the dashboard, the digest), the deadlines
        # of the inbox and of the lists. Few beside the years of closed timers.
        Index(
            "ix_timers_open_escalation",
            "case_kind",
            "case_id",
            "due_at",
            postgresql_where=text(OPEN_ESCALATION),
            sqlite_where=text(OPEN_ESCALATION),
        ),
        # The same in overdue order: a page of the oldest reads its rows only.
        Index(
            "ix_timers_overdue_order",
            "case_kind",
            "due_at",
            "case_id",
            postgresql_where=text(OPEN_ESCALATION),
            sqlite_where=text(OPEN_ESCALATION),
        ),
        # The escalations whose time passed before their case moved on, by due time: the
        # dashboard's weekly trend reads its twelve weeks from it, not the years of timers.
        Index(
            "ix_timers_went_overdue",
            "case_kind",
            "due_at",
            "case_id",
            postgresql_where=text(WENT_OVERDUE),
            sqlite_where=text(WENT_OVERDUE),
        ),
        # The open reminders: whether a case is due for one (the inbox and its menu count).
        Index(
            "ix_timers_open_reminder",
            "case_kind",
            "case_id",
            "due_at",
            postgresql_where=text(OPEN_REMINDER),
            sqlite_where=text(OPEN_REMINDER),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(32))
    kind: Mapped[TimerKind] = mapped_column(enum_column(TimerKind))
    # Whom a reminder is for (a side of the case) or which trigger the system fires.
    target: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[TimerStatus] = mapped_column(enum_column(TimerStatus))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when the case leaves the state: the timer no longer counts, fired or not.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The message a milestone timer sends (``TimerSpec.message``) instead of the plain
    # reminder or escalation; None for the timers that chase the state itself.
    message: Mapped[str | None] = mapped_column(String(64))


class OutboxMessage(Base):
    """An email to send, written in the transaction of the change that calls for it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    message: Mapped[str] = mapped_column(String(64))
    case_kind: Mapped[str | None] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(Integer)
    recipient_email: Mapped[str] = mapped_column(String(320))
    recipient_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Only what the template needs, never personal data of the person.
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[OutboxStatus] = mapped_column(enum_column(OutboxStatus))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ReferenceSequence(Base):
    """The last number handed out per reference prefix and year (``OR-2026-000123``)."""

    __tablename__ = "reference_sequences"
    __table_args__ = (UniqueConstraint("prefix", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(8))
    year: Mapped[int] = mapped_column(Integer)
    last_value: Mapped[int] = mapped_column(Integer)


class CaseText(Base):
    """A free text typed about a person's case (a comment, a reason, a progress note).

    The event that carried it refers to it by id (``{"text_id": …}``): anonymising the person
    sets ``body`` to NULL and ``erased_at``, and the append-only event stays as it was.
    """

    __tablename__ = "case_texts"
    __table_args__ = (Index("ix_case_texts_case", "case_kind", "case_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int] = mapped_column(Integer)
    # The payload field it came from (``comment``, ``note``, ``reason``…).
    field: Mapped[str] = mapped_column(String(64))
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
