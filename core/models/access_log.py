"""The access log: every read of a person's data, who made it, when and through what."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigId, UTCDateTime, enum_column
from core.enums import AccessChannel, Role


class AccessLogEntry(Base):
    """One read of a person's data (a case page, the person's page, an API read, an export);
    rows are only inserted, and purged after 12 months (``services.access_log``)."""

    __tablename__ = "access_log"
    __table_args__ = (
        Index("ix_access_log_person_time", "person_id", "occurred_at"),
        Index("ix_access_log_user_time", "user_id", "occurred_at"),
        Index("ix_access_log_case", "case_kind", "case_id"),
        Index("ix_access_log_occurred_at", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The reader's organisation when they read on its behalf; None for the DPO.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    # The case the person was read through (a lifecycle's name and the case's id), if any.
    case_kind: Mapped[str | None] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(Integer)
    channel: Mapped[AccessChannel] = mapped_column(enum_column(AccessChannel))
    # Whether the read showed article 9 (health) data.
    health_data: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
