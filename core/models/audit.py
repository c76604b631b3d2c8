"""The trail of administrative changes: who changed an organisation, an account, an offer, a
committee's membership or a meeting, when, and what; and the amendments to published minutes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigId, UTCDateTime

AUDITED_KINDS = ("organisation", "user", "offer", "committee_membership", "meeting")
"""The kinds of entity whose administrative changes the trail records."""


class AuditEntry(Base):
    """One administrative change; rows are only ever inserted (PostgreSQL refuses the rest).

    ``changes`` maps each changed field to ``{"from": ..., "to": ...}``: administrative data
    of professionals and of the directory only, never a password hash nor a token.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_entity", "entity_kind", "entity_id", "id"),
        CheckConstraint(
            "entity_kind IN ('organisation', 'user', 'offer', 'committee_membership', 'meeting')",
            name="entity_kind",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # None: the operator at the command line (or relais itself).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    entity_kind: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class MeetingAmendment(Base):
    """A correction to a meeting's published minutes, published beside them with its date."""

    __tablename__ = "meeting_amendments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
