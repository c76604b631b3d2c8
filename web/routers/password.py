"""« Mot de passe oublié » : asking for a link by email, then choosing a new password with it.

Both pages are open to anyone (no session), carry a CSRF token like every form, and answer
the same whether or not an address has an account.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request, Response
from pydantic import ValidationError

from core.errors import InvalidInput
from services import passwords
from services.inputs import PasswordForgotten, PasswordReset
from web.deps import NowDep, SessionDep
from web.rendering import render
from web.routing import page_router
from web.session import UserManagerDep

router = page_router()

FORGOT_TITLE = "Mot de passe oublié"
RESET_TITLE = "Choisir un nouveau mot de passe"
NOT_AN_ADDRESS = "Saisissez une adresse email complète, par exemple prenom.nom@structure.fr."
NOT_THE_SAME = "Les deux saisies du nouveau mot de passe ne sont pas identiques."


@router.get("/forgot-password")
async def forgot_password_page(request: Request) -> Response:
    """The form asking for the account's address."""
    return render(
        request, "forgot_password.html", {"title": FORGOT_TITLE, "error": None, "sent": None}
    )


@router.post("/forgot-password")
async def forgot_password(
    request: Request,
    session: SessionDep,
    now: NowDep,
    email: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    """Send the link when the address is an active account's; the same answer either way."""
    try:
        data = PasswordForgotten(email=email.strip())
    except ValidationError:
        return render(
            request,
            "forgot_password.html",
            {"title": FORGOT_TITLE, "error": NOT_AN_ADDRESS, "sent": None},
            status_code=422,
        )
    await passwords.request_password_reset(session, str(data.email), now)
    return render(
        request,
        "forgot_password.html",
        {"title": FORGOT_TITLE, "error": None, "sent": passwords.FORGOTTEN_ANSWER},
    )


def _reset_page(request: Request, token: str, status_code: int = 200, **values: Any) -> Response:
    context = {
        "title": RESET_TITLE,
        "token": token,
        "error": None,
        "link_error": None,
        "error_field": None,
        "done": False,
    }
    return render(request, "reset_password.html", {**context, **values}, status_code=status_code)


@router.get("/reset-password")
async def reset_password_page(
    request: Request, session: SessionDep, now: NowDep, token: str = ""
) -> Response:
    """The form for a new password, or why the link no longer works."""
    try:
        await passwords.valid_reset_link(session, token[:200], now)
    except InvalidInput as refusal:
        return _reset_page(request, "", 422, link_error=refusal.message)
    return _reset_page(request, token)


@router.post("/reset-password")
async def reset_password(
    request: Request,
    session: SessionDep,
    manager: UserManagerDep,
    now: NowDep,
    token: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=128)] = "",
    confirmation: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Set the new password; the link is used up. French errors, the form kept."""
    if password != confirmation:
        return _reset_page(request, token, 422, error=NOT_THE_SAME, error_field="confirmation")
    try:
        data = PasswordReset(token=token or "-", password=password or "-")
        await passwords.reset_password(session, manager, data, now)
    except ValidationError:
        return _reset_page(request, token, 422, error="Saisissez un nouveau mot de passe.")
    except InvalidInput as refusal:
        if refusal.field == "token":
            return _reset_page(request, "", 422, link_error=refusal.message)
        return _reset_page(request, token, 422, error=refusal.message, error_field=refusal.field)
    return _reset_page(request, "", done=True)
