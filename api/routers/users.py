"""Accounts: the caller's own, and creation by admins."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from api.deps import ActorDep, CurrentUserDep, SessionDep, UserManagerDep
from api.errors import error_responses
from api.schemas import UserRead
from core.models import User
from services.accounts import create_account
from services.inputs import AccountCreate

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
    responses=error_responses(400, 401, 403, 409, 422),
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
