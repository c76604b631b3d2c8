"""What happened to a person's record itself (not to one of their cases): merges,
rectifications, consent withdrawn and renewed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigId, UTCDateTime


class PersonEvent(Base):
    """One change of a person's record (``merge``, ``rectified``, ``consent_withdrawn``,
    ``consent_renewed``); rows are only ever inserted.

    The payload carries ids, which identifiers were taken over and which fields were
    rectified, never a name nor a value (a withdrawal's optional ``comment`` is free text).
    """

    __tablename__ = "person_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
