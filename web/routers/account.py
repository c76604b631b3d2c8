"""« Mon compte » : the signed-in person changes their own password.

The current password is required; a new one ends every session of the account (on every
device), so the person is sent to the login page with a notice saying so.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from core.errors import InvalidInput
from core.models import User
from services import passwords
from services.inputs import PasswordChange
from web.deps import NowDep, SessionDep, SettingsDep, WebUserDep
from web.rendering import render
from web.routing import page_router
from web.session import UserManagerDep, session_cookie

router = page_router()

TITLE = "Mon compte"
NOT_THE_SAME = "Les deux saisies du nouveau mot de passe ne sont pas identiques."
MISSING = "Saisissez votre mot de passe actuel et le nouveau mot de passe."
CHANGED_NOTICE = "changed"
"""The ``notice`` the login page reads after a password change."""


def _account_page(request: Request, status_code: int = 200, **values: Any) -> Response:
    context = {"title": TITLE, "error": None, "field": None}
    return render(request, "account.html", {**context, **values}, status_code=status_code)


@router.get("/account")
async def account_page(request: Request, user: WebUserDep) -> Response:
    """Who the person is, and the form to change their password."""
    return _account_page(request)


@router.post("/account/password")
async def change_password(
    request: Request,
    user: WebUserDep,
    session: SessionDep,
    manager: UserManagerDep,
    settings: SettingsDep,
    now: NowDep,
    current_password: Annotated[str, Form(max_length=128)] = "",
    new_password: Annotated[str, Form(max_length=128)] = "",
    confirmation: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Change the password; every session ends, so on to the login page with a notice.
    French errors otherwise (422), nothing written."""
    if not current_password or not new_password:
        return _account_page(request, 422, error=MISSING)
    if new_password != confirmation:
        return _account_page(request, 422, error=NOT_THE_SAME, field="confirmation")
    try:
        data = PasswordChange(current_password=current_password, new_password=new_password)
        account = await session.get_one(User, user.user.id)
        await passwords.change_own_password(session, manager, account, data, now)
    except ValidationError:
        return _account_page(request, 422, error=MISSING)
    except InvalidInput as refusal:
        return _account_page(request, 422, error=refusal.message, field=refusal.field)
    response = RedirectResponse(f"/login?notice={CHANGED_NOTICE}", status_code=303)
    response.delete_cookie(
        session_cookie(settings),
        path="/",
        secure=settings.cookies_secure,
        httponly=True,
        samesite="lax",
    )
    return response
