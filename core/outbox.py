"""Writing messages to the outbox, in the transaction of the change that calls for them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import OutboxStatus
from core.models import OutboxMessage

OUTBOX = cast(Table, OutboxMessage.__table__)
QUEUE = insert(OUTBOX)


def recipient_key(email: str) -> str:
    """A short stable token for a recipient, keeping idempotency keys short and free of emails."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


def key_after_prefix(message: str, email: str) -> str:
    """The end of an idempotency key after its cause (``event:<id>``): ``:message:recipient``."""
    return f":{message}:{recipient_key(email)}"


def idempotency_key(key_prefix: str, message: str, email: str) -> str:
    """The whole key of ``message`` to ``email`` for the cause ``key_prefix``."""
    return key_prefix + key_after_prefix(message, email)


async def is_queued(session: AsyncSession, key_prefix: str, message: str, email: str) -> bool:
    """Whether ``message`` to ``email`` for the cause ``key_prefix`` is in the outbox already.

    Looked up by its whole key, through the key's unique index: a search by the key's prefix
    (``LIKE``) reads every key of the outbox, on both databases.
    """
    key = idempotency_key(key_prefix, message, email)
    found = await session.scalar(select(OUTBOX.c.id).where(OUTBOX.c.idempotency_key == key))
    return found is not None


async def enqueue(
    session: AsyncSession,
    message: str,
    *,
    key_prefix: str,
    case_kind: str | None,
    case_id: int | None,
    recipients: Iterable[tuple[str, int | None]],
    context: dict[str, Any],
    now: datetime,
) -> int:
    """Insert one outbox row per distinct recipient, in the caller's transaction; their number.

    Keys are ``<key_prefix>:<message>:<recipient>``, unique in the table, so a message
    can never be queued twice for the same cause: a second one raises ``IntegrityError``
    here, at once.
    """
    rows = [
        {
            "idempotency_key": idempotency_key(key_prefix, message, email),
            "message": message,
            "case_kind": case_kind,
            "case_id": case_id,
            "recipient_email": email,
            "recipient_user_id": user_id,
            "context": context,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for email, user_id in dict.fromkeys(recipients)
    ]
    if rows:
        await session.execute(QUEUE, rows)
    return len(rows)
