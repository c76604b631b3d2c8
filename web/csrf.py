"""CSRF protection for every form: a signed double-submit token bound to the session.

A random value lives in an HttpOnly, SameSite=Lax cookie; each form carries an HMAC, keyed
by ``RELAIS_SECRET_KEY``, of that value and of the session the page was shown in.
Another site can make the browser send the cookies, but cannot read them nor compute the
token, so its forged POST is refused before anything runs; and a token shown in one session
(before signing in, or to another account) is refused in any other. Under https the cookie
is named ``__Host-relais_csrf``, so that no neighbouring sub-domain can plant one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request, Response

from core.settings import Settings
from services.auth import SessionStrategy
from services.request_context import get_settings
from web.session import cookie_name, session_cookie

CSRF_COOKIE = "relais_csrf"
CSRF_FIELD = "csrf_token"


class CsrfRefused(Exception):
    """A form came without a valid CSRF token: refused, nothing changed."""


def _sign(request: Request, settings: Settings, value: str) -> str:
    """The HMAC of the browser's secret ``value`` and of the request's session.

    The session is named by its id, not by the cookie's value: each page answer renews the
    cookie (the idle timeout slides), and a form must still be accepted on the next request.
    """
    strategy = SessionStrategy(settings.secret_key, settings.access_token_lifetime_seconds)
    session = strategy.session_id(request.cookies.get(session_cookie(settings)))
    message = f"csrf:{value}:{session}".encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()


def csrf_token(request: Request, settings: Settings) -> str:
    """The token a form on this page must carry; creates the browser's secret if needed."""
    value = request.cookies.get(cookie_name(CSRF_COOKIE, settings)) or getattr(
        request.state, "new_csrf_secret", None
    )
    if not value:
        value = secrets.token_urlsafe(32)
        request.state.new_csrf_secret = value
    return _sign(request, settings, value)


def remember_csrf_secret(request: Request, response: Response, settings: Settings) -> None:
    """Write the secret created for this page, if one was, as a cookie on ``response``."""
    value = getattr(request.state, "new_csrf_secret", None)
    if value:
        response.set_cookie(
            cookie_name(CSRF_COOKIE, settings),
            value,
            path="/",
            secure=settings.cookies_secure,
            httponly=True,
            samesite="lax",
        )


async def require_csrf(
    request: Request, settings: Annotated[Settings, Depends(get_settings)]
) -> None:
    """Refuse any POST whose form token does not match the browser's secret and session."""
    if request.method != "POST":
        return
    secret = request.cookies.get(cookie_name(CSRF_COOKIE, settings))
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not secret or not isinstance(sent, str):
        raise CsrfRefused()
    if not hmac.compare_digest(sent, _sign(request, settings, secret)):
        raise CsrfRefused()
