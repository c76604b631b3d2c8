"""Browser sessions: a signed, HttpOnly, SameSite cookie holding a short-lived JWT.

The API keeps its bearer tokens; the pages accept only this cookie, so that a page's
session can never be used by a script on another site to call the API. Under https the
cookie is named ``__Host-relais_session``: browsers then accept it only from relais itself
(Secure, ``Path=/``, no ``Domain``), never planted by a neighbouring sub-domain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi_users.authentication import JWTStrategy
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import Role, Territory
from core.models import Organisation, User
from core.settings import Settings
from services.auth import UserManager, get_jwt_strategy, get_user_manager
from services.request_context import SettingsDep, get_session
from states.policy import Actor

SESSION_COOKIE = "relais_session"
HOST_PREFIX = "__Host-"


class LoginRequired(Exception):
    """The page needs a signed-in user; the browser is sent to the login page."""


def cookie_name(name: str, settings: Settings) -> str:
    """The name of the cookie ``name``: with the ``__Host-`` prefix under https."""
    return f"{HOST_PREFIX}{name}" if settings.cookies_secure else name


def session_cookie(settings: Settings) -> str:
    """The name of the session cookie for these settings."""
    return cookie_name(SESSION_COOKIE, settings)


async def _optional_user(
    request: Request,
    settings: SettingsDep,
    strategy: Annotated[JWTStrategy[User, int], Depends(get_jwt_strategy)],
    manager: Annotated[UserManager, Depends(get_user_manager)],
) -> User | None:
    """The active user the session cookie (under its name for these settings) signs in."""
    token = request.cookies.get(session_cookie(settings))
    if not token:
        return None
    user = await strategy.read_token(token, manager)
    return user if user is not None and user.is_active else None


async def open_session(
    response: Response, user: User, settings: Settings, strategy: JWTStrategy[User, int]
) -> None:
    """Sign ``user`` in: write the session cookie on ``response``."""
    token = await strategy.write_token(user)
    # Lax (not Strict) so that a link in a notification email opens the page signed in;
    # every state change is a POST that also carries a CSRF token.
    response.set_cookie(
        session_cookie(settings),
        token,
        max_age=settings.access_token_lifetime_seconds,
        path="/",
        secure=settings.cookies_secure,
        httponly=True,
        samesite="lax",
    )


def close_session(response: Response, settings: Settings) -> None:
    """Sign out: the browser forgets the session cookie."""
    response.delete_cookie(
        session_cookie(settings),
        path="/",
        secure=settings.cookies_secure,
        httponly=True,
        samesite="lax",
    )


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
    user: Annotated[User | None, Depends(_optional_user)],
    session: Annotated[AsyncSession, Depends(get_session)],
) -> WebUser | None:
    """The signed-in user, or None."""
    if user is None:
        return None
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
