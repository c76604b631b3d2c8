"""Invitations: the signed, single-use links that let a case's contact address join relais."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime


class Invitation(Base):
    """An invitation sent with a case's email to an address that has no account.

    Bound to that address and to the organisation of the case's side it was sent for: its
    holder becomes a member of that organisation, under that address, and lands on the case.
    Only the SHA-256 of its random token is kept; ``used_at`` makes it single use.
    """

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    # The case whose email carried it: the holder lands on its page.
    case_kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The account it created, once used.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
