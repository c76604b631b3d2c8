"""Accepting an invitation: the holder of the link becomes a member and lands on the case.

An invitation (written by ``states.invitations`` with a case's email) is bound to an address
and an organisation. Its holder chooses a name and a password (the rule of every password);
the account is created with role member in that organisation, under that address, in the
transaction that marks the invitation used, by a conditional update that only one of two
concurrent uses wins. The password is hashed before that transaction, with none open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi_users import exceptions as user_errors
from sqlalchemy import CursorResult, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import end_reads, transaction
from core.enums import Role
from core.errors import AlreadyExists, Conflict, LinkGone, NotFound, PasswordRefused
from core.models import Invitation, Organisation, User
from services.audit import USER_FIELDS, record_change, snapshot
from services.auth import UserManager
from services.inputs import InvitationAcceptance
from states.actor import Actor
from states.invitations import addresses_with_account, invitation_token_hash
from states.registry import LIFECYCLES

MAX_TOKEN_LENGTH = 200
"""Longer than any token relais writes: such a link is unknown without asking the database."""

UNKNOWN = (
    "Ce lien d'invitation n'existe pas. Vérifiez qu'il a été copié en entier depuis "
    "l'email ; sinon, demandez à la coordination du plan de vous créer un compte."
)
USED = (
    "Ce lien d'invitation a déjà servi : il ne sert qu'une fois. Si vous avez créé votre compte "
    "avec lui, connectez-vous avec votre adresse email et votre mot de passe ; sinon, demandez "
    "un compte à la coordination du plan, ou contactez la structure qui vous a adressé "
    "l'orientation."
)
EXPIRED = (
    "Ce lien d'invitation a expiré : il était valable 10 jours. Demandez un compte à la "
    "coordination du plan, ou contactez la structure qui vous a adressé l'orientation."
)
HAS_ACCOUNT = (
    "Un compte relais existe déjà pour cette adresse : connectez-vous avec elle. Mot de passe "
    "perdu ? Choisissez-en un nouveau depuis « Mot de passe oublié »."
)


@dataclass(frozen=True)
class OpenInvitation:
    """A live invitation, as its page shows it."""

    id: int
    email: str
    organisation_id: int
    organisation_name: str
    landing_path: str
    expires_at: datetime


@dataclass(frozen=True)
class Accepted:
    """The account an invitation created, and the case's page it lands on."""

    user: User
    landing_path: str


def _landing_path(invitation: Invitation) -> str:
    lifecycle = LIFECYCLES.get(invitation.case_kind)
    return lifecycle.case_path(invitation.case_id) if lifecycle is not None else "/"


async def open_invitation(session: AsyncSession, token: str, now: datetime) -> OpenInvitation:
    """The invitation whose link carries ``token``, if it can still make an account.

    NotFound (404) for a token no invitation carries; LinkGone (410) once used or expired;
    AlreadyExists (409) when its address has an account meanwhile; Conflict (409) when its
    organisation has been deactivated.
    """
    if len(token) > MAX_TOKEN_LENGTH:
        raise NotFound(UNKNOWN)
    # One statement, so one view of the data: an account its own use just created is seen
    # with the invitation used, never as an account created meanwhile.
    has_account = exists().where(func.lower(User.email) == func.lower(Invitation.email))
    found = (
        await session.execute(
            select(Invitation, Organisation, has_account)
            .join(Organisation, Organisation.id == Invitation.organisation_id)
            .where(Invitation.token_hash == invitation_token_hash(token))
        )
    ).one_or_none()
    if found is None:
        raise NotFound(UNKNOWN)
    invitation, organisation, address_taken = found._tuple()
    if invitation.used_at is not None:
        raise LinkGone(USED)
    if invitation.expires_at <= now:
        raise LinkGone(EXPIRED)
    if address_taken:
        raise AlreadyExists(HAS_ACCOUNT)
    if not organisation.is_active:
        raise Conflict(
            f"La structure « {organisation.name} » a été désactivée dans relais : ce lien ne "
            "peut plus servir. Adressez-vous à la coordination du plan.",
            allowed_actions=[],
        )
    return OpenInvitation(
        id=invitation.id,
        email=invitation.email,
        organisation_id=organisation.id,
        organisation_name=organisation.name,
        landing_path=_landing_path(invitation),
        expires_at=invitation.expires_at,
    )


async def accept_invitation(
    session: AsyncSession,
    manager: UserManager,
    token: str,
    data: InvitationAcceptance,
    now: datetime,
) -> Accepted:
    """Create the member account of the invitation ``token`` with ``data``; the invitation is
    used up. Refusals as ``open_invitation``'s, and InvalidInput (422) for a password that
    breaks the rule; of two concurrent uses, the second is LinkGone."""
    invitation = await open_invitation(session, token, now)
    try:
        await manager.validate_password(data.password, invitation)
    except user_errors.InvalidPasswordException as error:
        raise PasswordRefused(str(error.reason), field="password") from None
    await end_reads(session)
    hashed_password = manager.password_helper.hash(data.password)
    async with transaction(session, conflict=AlreadyExists(HAS_ACCOUNT)):
        used: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
            update(Invitation)
            .where(
                Invitation.id == invitation.id,
                Invitation.used_at.is_(None),
                Invitation.expires_at > now,
            )
            .values(used_at=now)
        )
        if used.rowcount != 1:
            raise LinkGone(EXPIRED if invitation.expires_at <= now else USED)
        if await addresses_with_account(session, [invitation.email]):
            raise AlreadyExists(HAS_ACCOUNT)
        user = User(
            email=invitation.email,
            hashed_password=hashed_password,
            is_active=True,
            is_superuser=False,
            is_verified=True,
            organisation_id=invitation.organisation_id,
            role=Role.MEMBER,
            full_name=data.full_name,
            created_at=now,
        )
        session.add(user)
        await session.flush()
        await record_change(
            session, Actor.of(user), "user", user.id, "created", {},
            snapshot(user, USER_FIELDS), now,
        )  # fmt: skip
        await session.execute(
            update(Invitation).where(Invitation.id == invitation.id).values(user_id=user.id)
        )
    return Accepted(user=user, landing_path=invitation.landing_path)
