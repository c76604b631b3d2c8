"""Accounts: creating, listing, changing, deactivating and reactivating them.

The account is created as fastapi-users' ``UserManager.create`` would (its password rule,
its hashing, its email check), but the password is hashed outside any transaction. Who may
do what is said by ``states.policy``: admins manage every account, organisation admins the
members and organisation admins of their own organisation. A deactivated account keeps its
cases, which belong to its organisation: nothing is reassigned, it only cannot sign in and
receives no more emails (``states.recipients`` reads active accounts only).
"""

from __future__ import annotations

from datetime import datetime

from fastapi_users import exceptions as user_errors
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.db import end_reads, transaction
from core.enums import Role
from core.errors import (
    AlreadyExists,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PasswordRefused,
    UnknownReference,
)
from core.models import Organisation, User
from services.audit import USER_FIELDS, record_change, snapshot
from services.auth import UserManager, end_sessions
from services.inputs import (
    AccountCreate,
    AccountUpdate,
    ContactUpdate,
    OwnAccountUpdate,
    UserCreate,
)
from states.actor import Actor
from states.policy import (
    may_manage_accounts,
    may_manage_organisations,
    may_manage_users_of,
    may_see_account,
    may_see_accounts_of,
)

ACTIVE_USER = User.__table__.c.is_active.is_(True)
"""The condition of an active account (fastapi-users types the column as a plain bool)."""
NOT_YOURS = "Vous ne pouvez gérer que les comptes membres ou administrateurs de votre organisation."


ONE_DPO = (
    "Un compte de délégué·e à la protection des données est déjà actif : il n'y en a qu'un "
    "par déploiement. Désactivez-le d'abord."
)


async def _check_one_dpo(session: AsyncSession, other_than: int | None = None) -> None:
    """Refuse (409) a change that would make a second active DPO account (the database's
    partial unique index ``uq_users_one_active_dpo`` refuses it too, under concurrency)."""
    statement = select(User.id).where(User.role == Role.DPO, ACTIVE_USER)
    if other_than is not None:
        statement = statement.where(User.id != other_than)
    if await session.scalar(statement.limit(1)) is not None:
        raise Conflict(ONE_DPO, allowed_actions=[])


def _address_taken(actor: Actor | None, email: str) -> AlreadyExists:
    """The refusal of an address already in use: where it is used, only the platform's
    operators may learn (an organisation admin must not discover other partners' staff)."""
    if actor is None or may_manage_organisations(actor):
        return AlreadyExists(f"Un compte existe déjà pour {email}.")
    return AlreadyExists(
        "Cette adresse électronique ne peut pas servir à un nouveau compte : "
        "choisissez-en une autre, ou adressez-vous à l'administration de relais."
    )


async def create_account(
    session: AsyncSession,
    manager: UserManager,
    actor: Actor | None,
    data: AccountCreate,
    clock: Clock,
) -> User:
    """Create an account; ``actor`` None means the operator at the command line."""
    if actor is not None and not may_manage_users_of(actor, data.organisation_id, data.role):
        raise Forbidden(
            "Vous ne pouvez créer que des comptes membres ou administrateurs de votre organisation."
        )
    organisation = await session.get(Organisation, data.organisation_id)
    if organisation is None:
        raise UnknownReference(
            f"L'organisation {data.organisation_id} n'existe pas.", field="organisation_id"
        )
    if not organisation.is_active:
        raise InvalidInput(
            f"L'organisation « {organisation.name} » est désactivée : réactivez-la d'abord.",
            field="organisation_id",
        )
    if data.scope_territory is not None and data.role is not Role.COORDINATOR:
        raise InvalidInput(
            "Seuls les coordinateurs ont un territoire de compétence.", field="scope_territory"
        )
    user_create = UserCreate(
        email=data.email,
        password=data.password,
        organisation_id=data.organisation_id,
        role=data.role,
        full_name=data.full_name,
        work_phone=data.work_phone,
        scope_territory=data.scope_territory,
        is_superuser=data.role is Role.ADMIN,
        is_verified=True,
        created_at=clock.now(),
    )
    try:
        await manager.validate_password(data.password, user_create)
    except user_errors.InvalidPasswordException as error:
        raise PasswordRefused(str(error.reason), field="password") from None
    if data.role is Role.DPO:
        await _check_one_dpo(session)
    # Hashing takes a while: no transaction stays open meanwhile.
    await end_reads(session)
    values = user_create.model_dump(exclude_unset=True, exclude={"id"})  # as UserManager.create
    values["hashed_password"] = manager.password_helper.hash(values.pop("password"))
    taken = _address_taken(actor, data.email)
    async with transaction(session, conflict=taken):
        same_email = func.lower(User.email) == func.lower(data.email)
        if await session.scalar(select(User.id).where(same_email)) is not None:
            raise taken
        if data.role is Role.DPO:
            await _check_one_dpo(session)
        user = User(**values)
        session.add(user)
        await session.flush()
        await record_change(
            session, actor, "user", user.id, "created", {}, snapshot(user, USER_FIELDS),
            user_create.created_at,
        )  # fmt: skip
    return user


async def list_accounts(
    session: AsyncSession, actor: Actor, organisation_id: int | None = None
) -> list[User]:
    """The accounts ``actor`` manages, by organisation then address: those of
    ``organisation_id``, or every organisation's for an admin and their own organisation's for
    an organisation admin. Another organisation's accounts are NotFound to an organisation
    admin."""
    if not may_manage_accounts(actor):
        raise Forbidden("Seuls les administrateurs consultent les comptes.")
    if organisation_id is None and not may_manage_organisations(actor):
        organisation_id = actor.organisation_id
    statement = select(User).order_by(User.organisation_id, func.lower(User.email))
    if organisation_id is not None:
        if not may_see_accounts_of(actor, organisation_id) or (
            await session.get(Organisation, organisation_id) is None
        ):
            raise NotFound(f"Organisation {organisation_id} introuvable.")
        statement = statement.where(User.organisation_id == organisation_id)
    return list((await session.execute(statement)).scalars())


async def get_account(session: AsyncSession, actor: Actor, user_id: int) -> User:
    """One account ``actor`` may read (their own, or one they may list); NotFound otherwise."""
    user = await session.get(User, user_id)
    if user is None or not may_see_account(actor, user.organisation_id, user.id):
        raise NotFound(f"Compte {user_id} introuvable.")
    return user


async def _lock_active_admins(session: AsyncSession) -> list[int]:
    """Lock every active admin's row, always in the same order (no deadlock between two
    admins deactivating each other); their ids."""
    rows = await session.execute(
        select(User.id)
        .where(User.role == Role.ADMIN, ACTIVE_USER)
        .order_by(User.id)
        .with_for_update()
    )
    return list(rows.scalars())


async def _managed_account(session: AsyncSession, actor: Actor, user_id: int) -> User:
    """The account ``user_id``, locked for a change by ``actor``: NotFound when they may not
    see it, Forbidden when they see it but may not manage it. Call inside a transaction."""
    user = await get_account(session, actor, user_id)
    if user.role is Role.ADMIN:
        await _lock_active_admins(session)
    locked = await session.execute(
        select(User)
        .where(User.id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    user = locked.scalar_one()
    if not may_manage_users_of(actor, user.organisation_id, user.role):
        raise Forbidden(NOT_YOURS)
    return user


async def keep_an_admin(session: AsyncSession, leaving: set[int]) -> None:
    """Refuse (409) a change after which no admin account would be active: ``leaving`` are
    the accounts the change deactivates or demotes."""
    if not set(await _lock_active_admins(session)) - leaving:
        raise Conflict(
            "C'est le dernier compte administrateur actif : créez ou réactivez d'abord un "
            "autre administrateur.",
            allowed_actions=[],
        )


async def update_account(
    session: AsyncSession, actor: Actor, user_id: int, data: AccountUpdate, *, now: datetime
) -> User:
    """Change an account's name, work phone, role or territory; see ``AccountUpdate`` for nulls.

    Only coordinators have a territory: it is cleared when the role changes to another.
    Nobody changes their own role, and the last active admin stays one (409).
    """
    given = data.model_fields_set
    async with transaction(session):
        user = await _managed_account(session, actor, user_id)
        before = snapshot(user, USER_FIELDS)
        role = data.role or user.role
        if role is not user.role:
            if not may_manage_users_of(actor, user.organisation_id, role):
                raise Forbidden(NOT_YOURS)
            if user.id == actor.user_id:
                raise Conflict(
                    "Vous ne pouvez pas changer votre propre rôle : demandez-le à un autre "
                    "administrateur.",
                    allowed_actions=[],
                )
            if user.role is Role.ADMIN and user.is_active:
                await keep_an_admin(session, {user.id})
            if role is Role.DPO and user.is_active:
                await _check_one_dpo(session, other_than=user.id)
        territory = data.scope_territory if "scope_territory" in given else user.scope_territory
        if role is not Role.COORDINATOR:
            if "scope_territory" in given and data.scope_territory is not None:
                raise InvalidInput(
                    "Seuls les coordinateurs ont un territoire de compétence.",
                    field="scope_territory",
                )
            territory = None
        if "full_name" in given:
            user.full_name = data.full_name
        if "work_phone" in given:
            user.work_phone = data.work_phone
        user.role = role
        user.is_superuser = role is Role.ADMIN
        user.scope_territory = territory
        after = snapshot(user, USER_FIELDS)
        await record_change(session, actor, "user", user.id, "updated", before, after, now)
    return user


async def update_own_contact(
    session: AsyncSession, actor: Actor, data: ContactUpdate, *, now: datetime
) -> User:
    """Change the caller's own name and work phone (any signed-in person, for themselves):
    what the partners of their cases read to reach them; and, given an ``OwnAccountUpdate``,
    their choice of overdue alerts by email (null is refused: there is no third choice)."""
    if actor.user_id is None:
        raise Forbidden("Seule une personne connectée modifie ses coordonnées.")
    given = data.model_fields_set
    preference = data.email_preference if isinstance(data, OwnAccountUpdate) else None
    if "email_preference" in given and preference is None:
        raise InvalidInput(
            "Choisissez « every_escalation » ou « daily_digest_only ».", field="email_preference"
        )
    async with transaction(session):
        user = (
            await session.execute(
                select(User)
                .where(User.id == actor.user_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalar_one()
        before = snapshot(user, USER_FIELDS)
        if "full_name" in given:
            user.full_name = data.full_name
        if "work_phone" in given:
            user.work_phone = data.work_phone
        if preference is not None:
            user.email_preference = preference
        after = snapshot(user, USER_FIELDS)
        await record_change(session, actor, "user", user.id, "updated", before, after, now)
    return user


async def deactivate_account(
    session: AsyncSession, actor: Actor, user_id: int, *, now: datetime
) -> User:
    """Deactivate an account: it cannot sign in and receives no email; its cases stay with its
    organisation. Refused (409) for one's own account and for the last active admin."""
    async with transaction(session):
        user = await _managed_account(session, actor, user_id)
        if user.id == actor.user_id:
            raise Conflict(
                "Vous ne pouvez pas désactiver votre propre compte : demandez-le à un autre "
                "administrateur.",
                allowed_actions=[],
            )
        if not user.is_active:
            raise Conflict("Ce compte est déjà désactivé.", allowed_actions=["reactivate"])
        if user.role is Role.ADMIN:
            await keep_an_admin(session, {user.id})
        user.is_active = False
        await end_sessions(session, user)
        await record_change(
            session, actor, "user", user.id, "deactivated",
            {"is_active": True}, {"is_active": False}, now,
        )  # fmt: skip
    return user


async def reactivate_account(
    session: AsyncSession, actor: Actor, user_id: int, *, now: datetime
) -> User:
    """Let a deactivated account sign in again (its organisation must be active)."""
    async with transaction(session):
        user = await _managed_account(session, actor, user_id)
        if user.is_active:
            raise Conflict("Ce compte est déjà actif.", allowed_actions=["deactivate"])
        if user.role is Role.DPO:
            await _check_one_dpo(session, other_than=user.id)
        organisation = await session.get_one(Organisation, user.organisation_id)
        if not organisation.is_active:
            raise Conflict(
                f"L'organisation « {organisation.name} » est désactivée : un administrateur "
                "doit d'abord la réactiver.",
                allowed_actions=[],
            )
        user.is_active = True
        await record_change(
            session, actor, "user", user.id, "reactivated",
            {"is_active": False}, {"is_active": True}, now,
        )  # fmt: skip
    return user
