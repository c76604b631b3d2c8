"""Accounts: the caller's own, and their management by admins and organisation admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from api.deps import ActorDep, CurrentUserDep, NowDep, PathId, SessionDep, UserManagerDep
from api.errors import error_responses
from api.schemas import UserRead
from core.db import MAX_ID
from core.errors import PasswordRefused, UnknownReference
from core.models import User
from services import accounts, passwords
from services.accounts import create_account
from services.inputs import AccountCreate, AccountUpdate, OwnAccountUpdate, PasswordChange

me_router = APIRouter(prefix="/users", tags=["comptes"])
router = APIRouter(prefix="/api/users", tags=["comptes"])


@me_router.get("/me", response_model=UserRead, responses=error_responses(401))
async def read_me(user: CurrentUserDep) -> User:
    """The account of the caller."""
    return user


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    responses=error_responses(
        400, 401, 403, 409, 422, refusals=(UnknownReference, PasswordRefused)
    ),
)
async def create_user(
    body: AccountCreate,
    actor: ActorDep,
    session: SessionDep,
    manager: UserManagerDep,
    request: Request,
) -> User:
    """Create an account (admins; organisation admins for their own organisation)."""
    return await create_account(session, manager, actor, body, request.app.state.clock)


@router.get("", response_model=list[UserRead], responses=error_responses(401, 403, 404, 422))
async def list_users(
    actor: ActorDep,
    session: SessionDep,
    organisation_id: Annotated[int | None, Query(gt=0, le=MAX_ID)] = None,
) -> list[User]:
    """The accounts the caller manages (admins: all, or one organisation's; organisation
    admins: their organisation's), by organisation then address."""
    return await accounts.list_accounts(session, actor, organisation_id)


@router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(400, 401, 409, 422, refusals=(PasswordRefused,)),
)
async def change_my_password(
    body: PasswordChange,
    user: CurrentUserDep,
    session: SessionDep,
    manager: UserManagerDep,
    now: NowDep,
) -> Response:
    """Change the caller's own password; the current one is required."""
    await passwords.change_own_password(session, manager, user, body, now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=UserRead, responses=error_responses(401))
async def read_my_account(user: CurrentUserDep) -> User:
    """The account of the caller (as ``GET /users/me``)."""
    return user


@router.patch("/me", response_model=UserRead, responses=error_responses(400, 401, 422))
async def update_my_contact(
    body: OwnAccountUpdate, actor: ActorDep, session: SessionDep, now: NowDep
) -> User:
    """Change the caller's own name and work phone (``work_phone``: a French number, stored
    as ``01 23 45 67 89``; null clears it), shown to the partners of the caller's cases, and
    ``email_preference``: ``every_escalation`` (an email for each case falling late) or
    ``daily_digest_only`` (only the 8:00 digest of overdue cases)."""
    return await accounts.update_own_contact(session, actor, body, now=now)


@router.get("/{user_id}", response_model=UserRead, responses=error_responses(401, 404, 422))
async def get_user(user_id: PathId, actor: ActorDep, session: SessionDep) -> User:
    """One account: the caller's own, or one they manage."""
    return await accounts.get_account(session, actor, user_id)


@router.patch(
    "/{user_id}",
    response_model=UserRead,
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
async def update_user(
    user_id: PathId, body: AccountUpdate, actor: ActorDep, session: SessionDep, now: NowDep
) -> User:
    """Change an account's name, work phone, role or territory (``scope_territory``:
    coordinators only)."""
    return await accounts.update_account(session, actor, user_id, body, now=now)


@router.post(
    "/{user_id}/deactivate",
    response_model=UserRead,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def deactivate_user(
    user_id: PathId, actor: ActorDep, session: SessionDep, now: NowDep
) -> User:
    """Deactivate an account: no more sign-in nor email; its cases stay with its organisation.
    Not one's own account, nor the last active admin (409)."""
    return await accounts.deactivate_account(session, actor, user_id, now=now)


@router.post(
    "/{user_id}/reactivate",
    response_model=UserRead,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def reactivate_user(
    user_id: PathId, actor: ActorDep, session: SessionDep, now: NowDep
) -> User:
    """Let a deactivated account sign in again (its organisation must be active)."""
    return await accounts.reactivate_account(session, actor, user_id, now=now)
