"""Failed logins, counted per account and per address so that every process shares them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime


class LoginThrottle(Base):
    """The recent failed logins of one account or one client address.

    The account (the email tried, normalised) or the address is kept only as a keyed digest:
    the table names nobody. A row is forgotten once ``expires_at`` has passed.
    """

    __tablename__ = "login_throttles"
    __table_args__ = (
        CheckConstraint("scope IN ('account', 'address')", name="scope"),
        CheckConstraint("failures >= 0 AND lockouts >= 0", name="counts"),
    )

    # "account" or "address".
    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    # HMAC-SHA256 of the normalised email or the address, in hexadecimal.
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Failed logins since the counter last started afresh.
    failures: Mapped[int] = mapped_column(Integer, default=0)
    # Lockouts since then: each one lasts twice the previous one.
    lockouts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
