"""Passwords: changing one's own, the operator setting one, and "mot de passe oublié".

A reset link carries a random token of 256 bits (``secrets.token_urlsafe(32)``); the
database keeps only its SHA-256 (a fast hash is enough for a random value of that size: no
dictionary to try), so that a copy of the table opens no account. A link is good for one
hour by the injected clock and for one use: using it marks it used in the transaction that
stores the new password, by a conditional update that only one of two concurrent uses wins,
and every other live link of the account dies with it. Any new password, however set, ends
the account's live links.

Every password is hashed outside any transaction (hashing is slow, and an open transaction
holds SQLite's write lock).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from fastapi_users import exceptions as user_errors
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import end_reads, transaction
from core.enums import MessageKey
from core.errors import ConcurrentChange, InvalidInput, NotFound, PasswordRefused
from core.models import PasswordResetToken, User
from core.outbox import enqueue
from services.auth import UserManager, end_sessions
from services.inputs import PasswordChange, PasswordReset

RESET_LIFETIME = timedelta(hours=1)
RESET_PATH = "/reset-password"
"""The page where the person chooses a new password (``web.routers.password``)."""
RESETS_PER_HOUR = 3
"""Links sent to one account within an hour at most: no mailbox flooded by a stranger."""
FORGOTTEN_ANSWER = (
    "Si un compte actif correspond à cette adresse, un email vient de lui être envoyé avec un "
    "lien pour choisir un nouveau mot de passe. Ce lien est valable une heure. Pensez à "
    "regarder dans les courriers indésirables."
)
"""The one answer to a "mot de passe oublié" request, whether the address exists or not."""
LINK_NOT_VALID = (
    "Ce lien n'est plus valable : il a déjà servi, ou il a expiré (il vaut une heure). "
    "Demandez un nouveau lien depuis la page « Mot de passe oublié »."
)


def token_hash(token: str) -> str:
    """What the database keeps of a reset token."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_reset_link(user_id: int, now: datetime) -> tuple[str, PasswordResetToken]:
    """A new reset link of the account ``user_id``, live for ``RESET_LIFETIME``, and its
    token (the link keeps only the token's hash)."""
    token = secrets.token_urlsafe(32)
    link = PasswordResetToken(
        user_id=user_id,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + RESET_LIFETIME,
    )
    return token, link


async def _validated(manager: UserManager, password: str, user: object, field: str) -> None:
    try:
        await manager.validate_password(password, user)
    except user_errors.InvalidPasswordException as error:
        raise PasswordRefused(str(error.reason), field=field) from None


async def _store_password(
    session: AsyncSession, user_id: int, new_hash: str, now: datetime, *, expected: str | None
) -> User:
    """Write ``new_hash`` and end the account's live reset links; call inside a transaction.

    ``expected`` is the hash the change was decided on: if another change came first, the
    request is refused (409) rather than silently overwriting it.
    """
    user = (
        await session.execute(
            select(User)
            .where(User.id == user_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    if expected is not None and user.hashed_password != expected:
        raise ConcurrentChange("Le mot de passe a changé entre-temps : recommencez.")
    user.hashed_password = new_hash
    await end_sessions(session, user)  # the old password's sessions end with it
    await session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user_id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    return user


async def change_own_password(
    session: AsyncSession, manager: UserManager, user: User, data: PasswordChange, now: datetime
) -> User:
    """``user`` changes their password: the current one is required (422 when wrong), the
    new one follows the rule (``services.auth.password_problem``)."""
    # Verifying and hashing take a while: the read that loaded ``user`` ends first.
    await end_reads(session)
    verified, _ = manager.password_helper.verify_and_update(
        data.current_password, user.hashed_password
    )
    if not verified:
        raise InvalidInput("Le mot de passe actuel est incorrect.", field="current_password")
    if data.new_password == data.current_password:
        raise PasswordRefused(
            "Choisissez un nouveau mot de passe, différent de l'actuel.", field="new_password"
        )
    await _validated(manager, data.new_password, user, "new_password")
    decided_on = user.hashed_password
    new_hash = manager.password_helper.hash(data.new_password)
    async with transaction(session):
        return await _store_password(session, user.id, new_hash, now, expected=decided_on)


async def set_password(
    session: AsyncSession, manager: UserManager, email: str, password: str, now: datetime
) -> User:
    """The operator sets the password of the account ``email`` (``relais user set-password``)."""
    user = await find_account(session, email)
    if user is None:
        raise NotFound(f"Aucun compte pour {email}.")
    await _validated(manager, password, user, "password")
    await end_reads(session)
    new_hash = manager.password_helper.hash(password)
    async with transaction(session):
        return await _store_password(session, user.id, new_hash, now, expected=None)


async def find_account(session: AsyncSession, email: str) -> User | None:
    """The account of ``email``, whatever its case; an address the database could not store
    matches nobody."""
    if "\x00" in email:
        return None
    return (
        await session.execute(select(User).where(func.lower(User.email) == email.lower()))
    ).scalar_one_or_none()


async def request_password_reset(session: AsyncSession, email: str, now: datetime) -> None:
    """Send a reset link to ``email`` when it is an active account's, through the outbox in
    the transaction that stores the token. Nothing tells the caller whether it did: unknown
    and inactive addresses, and a fourth request within the hour, send nothing silently."""
    user = await find_account(session, email)
    if user is None or not user.is_active:
        await end_reads(session)
        return
    async with transaction(session):
        recent = await session.scalar(
            select(func.count(PasswordResetToken.id)).where(
                PasswordResetToken.user_id == user.id,
                PasswordResetToken.created_at > now - RESET_LIFETIME,
            )
        )
        if (recent or 0) >= RESETS_PER_HOUR:
            return
        token, link = new_reset_link(user.id, now)
        session.add(link)
        await session.flush()
        await enqueue(
            session,
            MessageKey.ACCOUNT_RESET,
            key_prefix=f"reset:{link.id}",
            case_kind=None,
            case_id=None,
            recipients=[(user.email, user.id)],
            context={
                "reset_path": f"{RESET_PATH}?token={token}",
                "expires_at": link.expires_at.isoformat(),
            },
            now=now,
        )


async def valid_reset_link(session: AsyncSession, token: str, now: datetime) -> User:
    """The active account whose live link carries ``token``; InvalidInput (422) for a link
    unknown, used, expired or of a deactivated account, all alike."""
    found = (
        await session.execute(
            select(PasswordResetToken, User)
            .join(User, User.id == PasswordResetToken.user_id)
            .where(PasswordResetToken.token_hash == token_hash(token))
        )
    ).one_or_none()
    if found is None:
        raise InvalidInput(LINK_NOT_VALID, field="token")
    link: PasswordResetToken = found[0]
    user: User = found[1]
    if link.used_at is not None or link.expires_at <= now or not user.is_active:
        raise InvalidInput(LINK_NOT_VALID, field="token")
    return user


async def reset_password(
    session: AsyncSession, manager: UserManager, data: PasswordReset, now: datetime
) -> User:
    """Set the password chosen through a reset link; the link is used up (422 the next
    time), and so are the account's other live links."""
    user = await valid_reset_link(session, data.token, now)
    await _validated(manager, data.password, user, "password")
    await end_reads(session)
    new_hash = manager.password_helper.hash(data.password)
    async with transaction(session):
        used: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
            update(PasswordResetToken)
            .where(
                PasswordResetToken.token_hash == token_hash(data.token),
                PasswordResetToken.used_at.is_(None),
                PasswordResetToken.expires_at > now,
            )
            .values(used_at=now)
        )
        if used.rowcount != 1:
            raise InvalidInput(LINK_NOT_VALID, field="token")
        return await _store_password(session, user.id, new_hash, now, expected=None)
