"""Forgotten passwords: asking for a link by email, then choosing a new password with it."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from api.deps import NowDep, SessionDep, UserManagerDep
from api.errors import error_responses
from core.errors import PasswordRefused
from services import passwords
from services.inputs import PasswordForgotten, PasswordReset

router = APIRouter(prefix="/auth", tags=["comptes"])


class Answer(BaseModel):
    """A French sentence for the person."""

    detail: str


@router.post(
    "/forgot-password",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Answer,
    responses=error_responses(400, 422),
)
async def forgot_password(body: PasswordForgotten, session: SessionDep, now: NowDep) -> Answer:
    """Email a link to choose a new password, valid one hour and once; the same answer
    whether or not the address is an active account's."""
    await passwords.request_password_reset(session, str(body.email), now)
    return Answer(detail=passwords.FORGOTTEN_ANSWER)


@router.post(
    "/reset-password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(400, 409, 422, refusals=(PasswordRefused,)),
)
async def reset_password(
    body: PasswordReset, session: SessionDep, manager: UserManagerDep, now: NowDep
) -> Response:
    """Choose a new password with the token of the emailed link (422 once used or expired)."""
    await passwords.reset_password(session, manager, body, now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
