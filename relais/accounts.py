"""Account management from the command line."""

from __future__ import annotations

from fastapi_users.password import PasswordHelperProtocol
from fastapi_users_db_sqlalchemy import SQLAlchemyUserDatabase
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, SystemClock
from core.enums import OrganisationKind, Role, Territory
from core.errors import NotFound
from core.models import Organisation, User
from core.settings import Settings
from services.accounts import create_account, deactivate_account
from services.auth import UserManager, user_manager
from services.directory import create_organisation, find_organisation
from services.inputs import AccountCreate
from services.passwords import find_account, set_password
from states.actor import Actor


async def ensure_organisation(
    session: AsyncSession,
    name: str,
    clock: Clock,
    kind: OrganisationKind = OrganisationKind.OTHER,
    territory: Territory = Territory.PARIS,
) -> Organisation:
    """The organisation called ``name``, created if it does not exist yet."""
    existing = await find_organisation(session, name)
    if existing is not None:
        return existing
    return await create_organisation(
        session, Actor.operator(), name=name, kind=kind, territory=territory, now=clock.now()
    )


def operator_manager(
    session: AsyncSession,
    settings: Settings,
    *,
    demo: bool = False,
    password_helper: PasswordHelperProtocol | None = None,
) -> UserManager:
    """The user manager of the command line, with the API's password rule (and its hashing,
    unless the tests give theirs)."""
    return user_manager(
        SQLAlchemyUserDatabase(session, User),
        settings,
        demo=demo,
        password_helper=password_helper,
    )


async def create_user_in(
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    data: AccountCreate,
    *,
    demo: bool = False,
    password_helper: PasswordHelperProtocol | None = None,
) -> User:
    """Create an account as the operator, hashing its password like the API does; ``demo``
    for the demo's accounts, which alone may have the demo's published password."""
    manager = operator_manager(session, settings, demo=demo, password_helper=password_helper)
    return await create_account(session, manager, None, data, clock)


async def add_user(
    session: AsyncSession,
    settings: Settings,
    email: str,
    password: str,
    role: Role,
    organisation_name: str,
    territory: Territory | None,
) -> User:
    """``relais user add``: the account, and its organisation if missing."""
    clock = SystemClock()
    organisation = await ensure_organisation(session, organisation_name, clock)
    data = AccountCreate(
        email=email,
        password=password,
        organisation_id=organisation.id,
        role=role,
        scope_territory=territory,
    )
    return await create_user_in(session, settings, clock, data)


async def account_rows(session: AsyncSession) -> list[tuple[str, str, str, bool]]:
    """``relais user list``: every account as (email, role, organisation, active), by
    organisation then address."""
    rows = await session.execute(
        select(User, Organisation.name)
        .join(Organisation, Organisation.id == User.organisation_id)
        .order_by(func.lower(Organisation.name), func.lower(User.email))
    )
    return [(user.email, user.role.value, name, user.is_active) for user, name in rows.tuples()]


async def deactivate_by_email(session: AsyncSession, email: str) -> User:
    """``relais user deactivate``: the operator deactivates the account of ``email`` (never
    the last active admin)."""
    user = await find_account(session, email)
    if user is None:
        raise NotFound(f"Aucun compte pour {email}.")
    return await deactivate_account(session, Actor.operator(), user.id, now=SystemClock().now())


async def set_password_by_email(
    session: AsyncSession, settings: Settings, email: str, password: str
) -> User:
    """``relais user set-password``: the operator sets a password, by the API's rule."""
    manager = operator_manager(session, settings)
    return await set_password(session, manager, email, password, SystemClock().now())
