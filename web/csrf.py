"""CSRF protection for every form: a signed double-submit token.

A random value lives in an HttpOnly, SameSite=Lax cookie; each form carries an HMAC of
it keyed by ``RELAIS_SECRET_KEY``. Another site can make the browser send the cookie, but
cannot read it nor compute the token, so its forged POST is refused before anything runs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request, Response

from core.settings import Settings
from services.request_context import get_settings

CSRF_COOKIE = "relais_csrf"
CSRF_FIELD = "csrf_token"


class CsrfRefused(Exception):
    """A form came without a valid CSRF token: refused, nothing changed."""


def _sign(secret: str, value: str) -> str:
    return hmac.new(secret.encode(), f"csrf:{value}".encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request, settings: Settings) -> str:
    """The token a form on this page must carry; creates the browser's secret if needed."""
    value = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf_secret", None)
    if not value:
        value = secrets.token_urlsafe(32)
        request.state.new_csrf_secret = value
    return _sign(settings.secret_key, value)


def remember_csrf_secret(request: Request, response: Response, settings: Settings) -> None:
    """Write the secret created for this page, if one was, as a cookie on ``response``."""
    value = getattr(request.state, "new_csrf_secret", None)
    if value:
        response.set_cookie(
            CSRF_COOKIE,
            value,
            path="/",
            secure=settings.cookies_secure,
            httponly=True,
            samesite="lax",
        )


async def require_csrf(
    request: Request, settings: Annotated[Settings, Depends(get_settings)]
) -> None:
    """Refuse any POST whose form token does not match the browser's secret."""
    if request.method != "POST":
        return
    secret = request.cookies.get(CSRF_COOKIE)
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not secret or not isinstance(sent, str):
        raise CsrfRefused()
    if not hmac.compare_digest(sent, _sign(settings.secret_key, secret)):
        raise CsrfRefused()
