"""Invitations: the holder of an invitation's link creates their member account.

Under ``/auth``, beside the password reset, not ``/api``: the caller has no account yet, the
link's token is the proof (every ``/api/`` route needs a logged-in caller).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from api.deps import NowDep, SessionDep, UserManagerDep
from api.errors import error_responses
from api.schemas import UserRead
from core.errors import PasswordRefused
from core.models import User
from services import invitations
from services.inputs import InvitationAcceptance

router = APIRouter(prefix="/auth/invitations", tags=["comptes"])


@router.post(
    "/{token}",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    responses=error_responses(400, 404, 409, 410, 422, refusals=(PasswordRefused,)),
)
async def accept_invitation(
    token: Annotated[str, Path(min_length=1, max_length=invitations.MAX_TOKEN_LENGTH)],
    body: InvitationAcceptance,
    session: SessionDep,
    manager: UserManagerDep,
    now: NowDep,
) -> User:
    """Create the member account an invitation's link offers (its address, its
    organisation), with the name and password given; the link is used up. 404 for an unknown
    link, 410 for a used or expired one, 409 when the address has an account meanwhile."""
    accepted = await invitations.accept_invitation(session, manager, token, body, now)
    return accepted.user
