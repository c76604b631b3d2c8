"""Creating accounts: the permission rule of the domain, the hashing of fastapi-users.

The account is created as fastapi-users' ``UserManager.create`` would (its password rule,
its hashing, its email check), but the password is hashed outside any transaction.
"""

from __future__ import annotations

from fastapi_users import exceptions as user_errors
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.db import end_reads, transaction
from core.enums import Role
from core.errors import AlreadyExists, Forbidden, InvalidInput
from core.models import Organisation, User
from services.auth import UserManager
from services.inputs import AccountCreate, UserCreate
from states.actor import Actor
from states.policy import may_manage_organisations, may_manage_users_of


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
    if await session.get(Organisation, data.organisation_id) is None:
        raise InvalidInput(
            f"L'organisation {data.organisation_id} n'existe pas.", field="organisation_id"
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
        scope_territory=data.scope_territory,
        is_superuser=data.role is Role.ADMIN,
        is_verified=True,
        created_at=clock.now(),
    )
    try:
        await manager.validate_password(data.password, user_create)
    except user_errors.InvalidPasswordException as error:
        raise InvalidInput(str(error.reason), field="password") from None
    # Hashing takes a while: no transaction stays open meanwhile.
    await end_reads(session)
    values = user_create.model_dump(exclude_unset=True, exclude={"id"})  # as UserManager.create
    values["hashed_password"] = manager.password_helper.hash(values.pop("password"))
    taken = _address_taken(actor, data.email)
    async with transaction(session, conflict=taken):
        same_email = func.lower(User.email) == func.lower(data.email)
        if await session.scalar(select(User.id).where(same_email)) is not None:
            raise taken
        user = User(**values)
        session.add(user)
    return user
