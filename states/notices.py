"""The emails a transition queues: who gets which message, with the case's context.

Written in the transition's transaction, either one insert per notice (``queue_notices``) or
as part of the transition's one statement (``notices_to_queue``, ``states.one_statement``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.outbox import enqueue, key_after_prefix
from states.invitations import notify_with_invitations
from states.lifecycle import Lifecycle, Notice, Recipient
from states.one_statement import Queued
from states.recipients import recipients_for


async def queue_notices(
    session: AsyncSession,
    lifecycle: Lifecycle,
    case: Any,
    trigger: str,
    event_id: int,
    now: datetime,
) -> None:
    """Queue the emails ``trigger`` sends about ``case`` (with an invitation to an address
    that has no account), their keys naming the event ``event_id``: one insert per notice."""
    context, addressed = await _addressed(session, lifecycle, case, trigger)
    for notice, recipients in addressed:
        if notice.invite:
            recipients = await notify_with_invitations(
                session,
                lifecycle,
                case,
                notice,
                recipients,
                context,
                key_prefix=f"event:{event_id}",
                now=now,
            )
        await enqueue(
            session,
            notice.message,
            key_prefix=f"event:{event_id}",
            case_kind=lifecycle.name,
            case_id=case.id,
            recipients=recipients,
            context=context,
            now=now,
        )


async def notices_to_queue(
    session: AsyncSession, lifecycle: Lifecycle, case: Any, trigger: str
) -> tuple[dict[str, Any], list[Queued] | None]:
    """The emails ``trigger`` queues and their context; None for the emails when one of them
    may carry an invitation (an address with no account: ``states.invitations``)."""
    context, addressed = await _addressed(session, lifecycle, case, trigger)
    queued: list[Queued] = []
    for notice, recipients in addressed:
        if notice.invite and any(user_id is None for _, user_id in recipients):
            return context, None
        queued.extend(
            Queued(notice.message, email, user_id, key_after_prefix(notice.message, email))
            for email, user_id in dict.fromkeys(recipients)
        )
    return context, queued


async def _addressed(
    session: AsyncSession, lifecycle: Lifecycle, case: Any, trigger: str
) -> tuple[dict[str, Any], list[tuple[Notice, list[Recipient]]]]:
    """The case's context and each notice of ``trigger`` with its recipients (none without a
    way to describe the case)."""
    notices = lifecycle.notices_of(trigger)
    if not notices or lifecycle.describe is None:
        return {}, []
    context = await lifecycle.describe(session, case)
    return context, [
        (notice, await recipients_for(session, lifecycle, case, notice.to)) for notice in notices
    ]
