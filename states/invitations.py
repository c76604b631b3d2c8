"""Invitations written by a transition: a case's email to an address that has no account.

An offer may be reachable only by its contact address, which belongs to nobody in relais.
When a notice says so (``Notice.invite``), each such recipient gets the message with an
invitation: a link carrying a random 256-bit token (``secrets.token_urlsafe(32)``), of which
the database keeps only the SHA-256, bound to the address and to the organisation of the
case's side the notice is for, good for ten days and one use. Following it
(``services.invitations``) creates a member account of that organisation and opens the case.
Everything here runs inside the transition's transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Invitation, User
from core.outbox import enqueue
from states.lifecycle import Lifecycle, Notice, Recipient

INVITATION_LIFETIME = timedelta(days=10)
"""How long an invitation works after it was written."""
INVITATIONS_PATH = "/invitations"
"""Where an invitation's page lives: ``/invitations/<token>`` (``web.routers.invitations``)."""

INVITATIONS = cast(Table, Invitation.__table__)
WRITE_INVITATION = insert(INVITATIONS)


def invitation_token_hash(token: str) -> str:
    """What the database keeps of an invitation's token."""
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_path(token: str) -> str:
    """The path of the page an invitation's link opens."""
    return f"{INVITATIONS_PATH}/{token}"


async def addresses_with_account(session: AsyncSession, emails: list[str]) -> set[str]:
    """Those of ``emails`` (lower case) that some account uses, active or not."""
    lowered = sorted({email.lower() for email in emails})
    if not lowered:
        return set()
    rows = await session.execute(
        select(func.lower(User.email)).where(func.lower(User.email).in_(lowered))
    )
    return set(rows.scalars())


async def notify_with_invitations(
    session: AsyncSession,
    lifecycle: Lifecycle,
    case: Any,
    notice: Notice,
    recipients: list[Recipient],
    context: Mapping[str, Any],
    *,
    key_prefix: str,
    now: datetime,
) -> list[Recipient]:
    """Queue ``notice``'s message, with an invitation, to each of ``recipients`` that is an
    address with no account; return the other recipients, who get the plain message.

    The invitation joins the organisation of the notice's side on the case and lands on the
    case's page. An address some account uses, even a deactivated one, is not invited: it
    could not become a second account.
    """
    if notice.to not in lifecycle.parties:
        raise ValueError(f"{lifecycle.name}: only a party side is invited, not {notice.to!r}")
    addresses = [email for email, user_id in dict.fromkeys(recipients) if user_id is None]
    known = await addresses_with_account(session, addresses)
    newcomers = [email for email in addresses if email.lower() not in known]
    organisation_id: int = getattr(case, lifecycle.parties[notice.to].key)
    for email in newcomers:
        token = secrets.token_urlsafe(32)
        expires_at = now + INVITATION_LIFETIME
        await session.execute(
            WRITE_INVITATION,
            {
                "token_hash": invitation_token_hash(token),
                "email": email,
                "organisation_id": organisation_id,
                "case_kind": lifecycle.name,
                "case_id": case.id,
                "created_at": now,
                "expires_at": expires_at,
            },
        )
        await enqueue(
            session,
            notice.message,
            key_prefix=key_prefix,
            case_kind=lifecycle.name,
            case_id=case.id,
            recipients=[(email, None)],
            context={
                **context,
                "invitation_path": invitation_path(token),
                "invitation_expires_at": expires_at.isoformat(),
            },
            now=now,
        )
    return [recipient for recipient in recipients if recipient[0] not in newcomers]
