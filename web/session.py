"""Browser sessions: a signed, HttpOnly, SameSite cookie holding a short-lived JWT.

The API keeps its bearer tokens; the pages accept only this cookie, so that a page's
session can never be used by a script on another site to call the API. The cookie's token
is a ``services.auth.SessionStrategy`` one: it ends on logout, on a password change, on
deactivation, and when the pages go unused for ``RELAIS_SESSION_IDLE_SECONDS`` (each page
answer renews it, so the timeout slides with use).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi_users import FastAPIUsers
from fastapi_users.authentication import AuthenticationBackend, CookieTransport
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import transaction
from core.enums import Role, Territory
from core.models import Organisation, User
from core.settings import Settings
from services.auth import (
    SessionStrategy,
    UserManager,
    end_sessions,
    get_page_strategy,
    get_user_manager,
)
from services.request_context import get_session, get_settings
from states.actor import Actor

SESSION_COOKIE = "relais_session"


class LoginRequired(Exception):
    """The page needs a signed-in user; the browser is sent to the login page."""


# fastapi-users reads the cookie by name only; its other attributes matter when writing.
_reading_backend = AuthenticationBackend(
    name="cookie",
    transport=CookieTransport(cookie_name=SESSION_COOKIE),
    get_strategy=get_page_strategy,
)
_web_users = FastAPIUsers[User, int](get_user_manager, [_reading_backend])
_optional_user_token = _web_users.authenticator.current_user_token(active=True, optional=True)
_RENEWED = "renewed_session"
"""Where a request keeps its renewed session token until the answer carries it."""

StrategyDep = Annotated[SessionStrategy, Depends(get_page_strategy)]
SessionUserDep = Annotated[tuple[User | None, str | None], Depends(_optional_user_token)]


def _set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    # Lax (not Strict) so that a link in a notification email opens the page signed in;
    # every state change is a POST that also carries a CSRF token.
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.access_token_lifetime_seconds,
        path="/",
        secure=settings.cookies_secure,
        httponly=True,
        samesite="lax",
    )


async def open_session(
    response: Response, user: User, settings: Settings, strategy: SessionStrategy
) -> None:
    """Sign ``user`` in: write the session cookie on ``response``."""
    _set_session_cookie(response, await strategy.write_token(user), settings)


async def end_session(
    response: Response, user: User | None, session: AsyncSession, settings: Settings
) -> None:
    """Sign out: end every session of ``user`` (when signed in); the browser forgets its cookie.

    Every session of the account ends, on every device (``services.auth.end_sessions``).
    """
    if user is not None:
        async with transaction(session):
            await end_sessions(session, user)
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=settings.cookies_secure, httponly=True, samesite="lax"
    )


def send_renewed_session(request: Request, response: Response) -> None:
    """Put the request's renewed session cookie on ``response`` (the idle timeout slides).

    Not when the page itself wrote or removed the cookie (login, logout).
    """
    token: str | None = getattr(request.state, _RENEWED, None)
    if token is None:
        return
    if any(
        name == b"set-cookie" and value.startswith(SESSION_COOKIE.encode() + b"=")
        for name, value in response.raw_headers
    ):
        return
    _set_session_cookie(response, token, get_settings(request))


@dataclass(frozen=True)
class UserRef:
    """What the pages read of the signed-in account, copied out of the ORM row.

    A copy, so that a page rendered after a rolled-back transaction never lazy-loads.
    """

    id: int
    email: str
    full_name: str | None
    role: Role
    scope_territory: Territory | None
    organisation_id: int


@dataclass(frozen=True)
class OrganisationRef:
    """What the pages read of the user's organisation."""

    id: int
    name: str
    territory: Territory


@dataclass(frozen=True)
class WebUser:
    """The signed-in person with their organisation, as every page shows them."""

    user: UserRef
    organisation: OrganisationRef

    @property
    def actor(self) -> Actor:
        """The user as the domain sees them."""
        return Actor.of(self.user)

    @property
    def display_name(self) -> str:
        """The name the header shows."""
        return self.user.full_name or self.user.email


async def optional_web_user(
    request: Request,
    user_token: SessionUserDep,
    session: Annotated[AsyncSession, Depends(get_session)],
    strategy: StrategyDep,
) -> WebUser | None:
    """The signed-in user, or None; a live session is renewed (``send_renewed_session``)."""
    user, token = user_token
    if user is None or token is None:
        return None
    setattr(request.state, _RENEWED, strategy.renewed(token))
    organisation = await session.get_one(Organisation, user.organisation_id)
    return WebUser(
        UserRef(
            user.id,
            user.email,
            user.full_name,
            user.role,
            user.scope_territory,
            user.organisation_id,
        ),
        OrganisationRef(organisation.id, organisation.name, organisation.territory),
    )


async def web_user(
    request: Request, user: Annotated[WebUser | None, Depends(optional_web_user)]
) -> WebUser:
    """The signed-in user; anyone else is sent to the login page."""
    if user is None:
        raise LoginRequired()
    request.state.web_user = user
    return user


UserManagerDep = Annotated[UserManager, Depends(get_user_manager)]
