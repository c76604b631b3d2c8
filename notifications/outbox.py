"""Writing messages to the outbox, in the transaction of the change that calls for them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import OutboxStatus
from core.models import OutboxMessage


def recipient_key(email: str) -> str:
    """A short stable token for a recipient, keeping idempotency keys short and free of emails."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


def enqueue(
    session: AsyncSession,
    message: str,
    *,
    key_prefix: str,
    case_kind: str | None,
    case_id: int | None,
    recipients: Iterable[tuple[str, int | None]],
    context: dict[str, Any],
    now: datetime,
) -> list[OutboxMessage]:
    """Add one outbox row per distinct recipient; the caller's transaction commits them.

    Keys are ``<key_prefix>:<message>:<recipient>``, unique in the table, so a message
    can never be queued twice for the same cause.
    """
    rows = []
    for email, user_id in dict.fromkeys(recipients):
        row = OutboxMessage(
            idempotency_key=f"{key_prefix}:{message}:{recipient_key(email)}",
            message=message,
            case_kind=case_kind,
            case_id=case_id,
            recipient_email=email,
            recipient_user_id=user_id,
            context=context,
            status=OutboxStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        session.add(row)
        rows.append(row)
    return rows
