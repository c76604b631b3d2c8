"""Supervising email delivery: list messages by status and put dead ones back in line."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import transaction
from core.enums import OutboxStatus
from core.errors import Conflict, Forbidden, NotFound
from core.models import OutboxMessage
from core.pagination import Page, keyset_page
from states.actor import Actor
from states.policy import may_supervise_delivery, supervised_messages_clause
from states.registry import LIFECYCLES


def _check(actor: Actor) -> None:
    if not may_supervise_delivery(actor):
        raise Forbidden("Seuls les coordinateurs et les administrateurs suivent les envois.")


def _supervised(actor: Actor) -> ColumnElement[bool]:
    return supervised_messages_clause(actor, LIFECYCLES.values())


async def list_messages(
    session: AsyncSession,
    actor: Actor,
    *,
    status: OutboxStatus,
    cursor: int | None = None,
    limit: int = 50,
) -> Page[OutboxMessage]:
    """Messages in ``status``, newest first, with the cursor of the next page."""
    _check(actor)
    statement = select(OutboxMessage).where(OutboxMessage.status == status, _supervised(actor))
    return await keyset_page(session, statement, OutboxMessage.id, cursor, limit, descending=True)


async def retry_message(
    session: AsyncSession, actor: Actor, message_id: int, now: datetime
) -> OutboxMessage:
    """Put a dead message back in line for the next delivery, with a fresh attempt count."""
    _check(actor)
    async with transaction(session):
        message = (
            await session.execute(
                select(OutboxMessage)
                .where(OutboxMessage.id == message_id, _supervised(actor))
                .with_for_update()
            )
        ).scalar_one_or_none()
        if message is None:
            raise NotFound(f"Message {message_id} introuvable.")
        if message.status is not OutboxStatus.DEAD:
            raise Conflict(
                "Seul un message abandonné peut être relancé "
                f"(celui-ci est « {message.status.value} »).",
                allowed_actions=[],
            )
        message.status = OutboxStatus.PENDING
        message.attempts = 0
        message.next_attempt_at = now
    return message
