"""Account management from the command line."""

from __future__ import annotations

from fastapi_users_db_sqlalchemy import SQLAlchemyUserDatabase
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, SystemClock
from core.enums import OrganisationKind, Role, Territory
from core.models import Organisation, User
from core.settings import Settings
from services.accounts import create_account
from services.auth import UserManager
from services.directory import create_organisation, find_organisation
from services.inputs import AccountCreate
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


async def create_user_in(
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    data: AccountCreate,
) -> User:
    """Create an account as the operator, hashing its password like the API does."""
    manager = UserManager(SQLAlchemyUserDatabase(session, User))
    manager.reset_password_token_secret = settings.secret_key
    manager.verification_token_secret = settings.secret_key
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
