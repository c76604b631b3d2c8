"""Signing in and out, and the home page that sends each role to its own start."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.security import OAuth2PasswordRequestForm

from services.login_throttle import LoginThrottled
from web.deps import OptionalWebUserDep, SessionDep, SessionUserDep, SettingsDep, StrategyDep
from web.rendering import home_path, render
from web.routing import page_router
from web.session import UserManagerDep, end_session, open_session

router = page_router()

NOTICES = {
    "changed": (
        "Votre mot de passe a été changé et vous avez été déconnecté partout. "
        "Connectez-vous avec le nouveau mot de passe.",
        "success",
    ),
    "expired": (
        "Votre session a expiré : reconnectez-vous pour reprendre où vous en étiez.",
        "warning",
    ),
    "logged_out": ("Vous êtes déconnecté·e.", "success"),
    "required": ("Connectez-vous pour accéder à cette page.", "warning"),
}
"""What the login page may announce, by the ``notice`` of its address (never free text), and
how (the alert's kind): why the person was sent there."""
EMAIL_NEEDED = "Saisissez l'adresse email de votre compte, par exemple prenom.nom@structure.fr."
PASSWORD_NEEDED = "Saisissez votre mot de passe."


def _safe_next(target: str | None) -> str | None:
    """Only a path of relais itself: never another site (no open redirect).

    Browsers drop tabs and line breaks from an address and read ``\\`` as ``/``: a path
    holding any of them (a tab between two slashes) could become ``//evil.example``.
    """
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
        and not any(char.isspace() for char in target)
    ):
        return target
    return None


@router.get("/")
async def home(user: OptionalWebUserDep) -> Response:
    """The start page of the signed-in user's role, or the login page."""
    if user is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(home_path(user), status_code=303)


@router.get("/login")
async def login_page(
    request: Request, user: OptionalWebUserDep, next: str = "", notice: str = ""
) -> Response:
    """The login form (or straight on, when already signed in), saying why the person is
    here (``?notice=``: ``expired``, ``logged_out``, ``required``, ``changed``)."""
    if user is not None:
        return RedirectResponse(_safe_next(next) or home_path(user), status_code=303)
    text, kind = NOTICES.get(notice, (None, "success"))
    context: dict[str, object] = {
        "title": "Se connecter",
        "error": None,
        "next": _safe_next(next) or "",
        "email": "",
        "errors": {},
    }
    return render(request, "login.html", {**context, "notice": text, "notice_kind": kind})


@router.post("/login")
async def login(
    request: Request,
    manager: UserManagerDep,
    strategy: StrategyDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Check the password; on success open the session and go on.

    A throttled login answers the form again with 429 and ``Retry-After``, before any hashing.
    """
    missing = {}
    if not email.strip():
        missing["email"] = EMAIL_NEEDED
    if not password:
        missing["password"] = PASSWORD_NEEDED
    if missing:
        return _login_refused(request, None, next, email, status_code=422, errors=missing)
    credentials = OAuth2PasswordRequestForm(username=email, password=password)
    try:
        user = await manager.authenticate(credentials)
    except LoginThrottled as refusal:
        response = _login_refused(request, refusal.message, next, email, status_code=429)
        response.headers["Retry-After"] = str(refusal.retry_after)
        return response
    if user is None or not user.is_active:
        return _login_refused(
            request, "Adresse email ou mot de passe incorrect.", next, email, status_code=401
        )
    response = RedirectResponse(_safe_next(next) or "/", status_code=303)
    await open_session(response, user, settings, strategy)
    return response


def _login_refused(
    request: Request,
    error: str | None,
    next: str,
    email: str,
    *,
    status_code: int,
    errors: dict[str, str] | None = None,
) -> Response:
    """The login form again, saying why, with what was typed (never the password)."""
    safe = _safe_next(next) or ""
    context = {"title": "Se connecter", "error": error, "next": safe, "email": email}
    return render(
        request,
        "login.html",
        {**context, "notice": None, "notice_kind": "success", "errors": errors or {}},
        status_code=status_code,
    )


@router.post("/logout")
async def logout(
    user_token: SessionUserDep, session: SessionDep, settings: SettingsDep
) -> Response:
    """End the session: this cookie, and every other session of the account, stop working."""
    response = RedirectResponse("/login?notice=logged_out", status_code=303)
    await end_session(response, user_token[0], session, settings)
    return response
