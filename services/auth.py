"""Accounts and login with fastapi-users: JWT bearer tokens that can end, no self-registration."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, cast

import jwt
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from fastapi_users import BaseUserManager, FastAPIUsers, IntegerIDMixin, InvalidPasswordException
from fastapi_users.authentication import AuthenticationBackend, BearerTransport, JWTStrategy
from fastapi_users.exceptions import InvalidID, UserNotExists
from fastapi_users.jwt import decode_jwt, generate_jwt
from fastapi_users.password import PasswordHelperProtocol
from fastapi_users_db_sqlalchemy import SQLAlchemyUserDatabase
from sqlalchemy import Table, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from zxcvbn import zxcvbn

from core.clock import Clock
from core.db import end_reads, transaction
from core.models import User
from core.settings import Settings
from services.inputs import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from services.login_throttle import (
    LoginContext,
    LoginPolicy,
    record_login,
    refuse_if_throttled,
)
from services.request_context import get_clock, get_now, get_session, get_settings

DEMO_PASSWORD = "relais-demo-2026"
"""The demo accounts' published password (README): accepted in development only."""
GUESSABLE = 10**6
"""zxcvbn's estimate of guesses under which a password is a common one or an easy variant of
one (its score 0 or 1): its list of the 30,000 most common passwords, names and words,
keyboard walks, repeats, sequences and dates, capitalised, in leet or with digits added."""
MAX_ESTIMATED_LENGTH = MAX_PASSWORD_LENGTH
"""Inputs are at most this long (``services.inputs.Password``); zxcvbn stays fast there."""


def password_problem(password: str, email: str, *, demo_allowed: bool) -> str | None:
    """What is wrong with ``password`` for the account ``email``, in French, or None.

    At least 12 characters; not the demo's password outside development; not containing the
    address's local part; not a common password nor an easy variant of one (zxcvbn).
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères."
    if password == DEMO_PASSWORD and not demo_allowed:
        return "Ce mot de passe est celui, publié, de la démonstration : choisissez-en un autre."
    local_part = email.split("@")[0].lower() if email else ""
    if local_part and local_part in password.lower():
        return "Le mot de passe ne doit pas contenir l'adresse email."
    estimate = zxcvbn(
        password[:MAX_ESTIMATED_LENGTH],
        user_inputs=[local_part] if local_part else None,
        max_length=MAX_ESTIMATED_LENGTH,
    )
    if float(estimate["guesses"]) < GUESSABLE:
        return (
            "Ce mot de passe est trop courant ou trop facile à deviner : choisissez-en un "
            "autre, par exemple quelques mots sans rapport entre eux."
        )
    return None


class UserManager(IntegerIDMixin, BaseUserManager[User, int]):
    """fastapi-users' manager with relais's password rule and login throttling."""

    login_context: LoginContext | None = None
    """Where and when this request's logins come from; set for each request."""

    demo_password_allowed = False
    """Whether the demo's published password is accepted (development, and the demo's own
    accounts); set from the settings by ``get_user_manager``."""

    async def get_by_email(self, user_email: str) -> User:
        """The account of ``user_email``; one the database could not store matches nobody.

        A NUL character would make PostgreSQL refuse the lookup (a 500 on login).
        """
        if "\x00" in user_email:
            raise UserNotExists()
        return await super().get_by_email(user_email)

    async def authenticate(self, credentials: OAuth2PasswordRequestForm) -> User | None:
        """fastapi-users' login check, throttled, with no transaction open while hashing.

        A throttled account or address is refused (``LoginThrottled``) before any hashing;
        then the account is read and the read ended, the password verified (a hash of it when
        the account is unknown, to take the same time), and the outcome counted
        (``services/login_throttle.py``). Verifying a hash takes a while, and on SQLite even a
        transaction that only read holds the whole database's write lock.
        """
        assert isinstance(self.user_db, SQLAlchemyUserDatabase)
        if self.login_context is None:
            raise RuntimeError("authenticate() needs the request's login context")
        session = self.user_db.session
        email = credentials.username
        await refuse_if_throttled(session, self.login_context, email)
        try:
            user: User | None = await self.get_by_email(email)
        except UserNotExists:
            user = None
        await end_reads(session)
        user, updated_hash = self._verify(user, credentials.password)
        await record_login(session, self.login_context, email, succeeded=user is not None)
        if user is not None and updated_hash is not None:
            async with transaction(session):
                user.hashed_password = updated_hash
        return user

    def _verify(self, user: User | None, password: str) -> tuple[User | None, str | None]:
        """``user`` if ``password`` is theirs (and its new hash, when it needs one), else None."""
        if user is None:
            self.password_helper.hash(password)
            return None, None
        verified, updated_hash = self.password_helper.verify_and_update(
            password, user.hashed_password
        )
        return (user, updated_hash) if verified else (None, None)

    async def validate_password(self, password: str, user: object) -> None:
        """Refuse passwords that break relais's rule (``password_problem``)."""
        problem = password_problem(
            password, getattr(user, "email", "") or "", demo_allowed=self.demo_password_allowed
        )
        if problem is not None:
            raise InvalidPasswordException(reason=problem)


async def get_user_db(
    session: Annotated[AsyncSession, Depends(get_session)],
) -> AsyncIterator[SQLAlchemyUserDatabase[User, int]]:
    """fastapi-users' view of the users table, on the request's session."""
    yield SQLAlchemyUserDatabase(session, User)


async def get_user_manager(
    request: Request,
    user_db: Annotated[SQLAlchemyUserDatabase[User, int], Depends(get_user_db)],
    settings: Annotated[Settings, Depends(get_settings)],
    now: Annotated[datetime, Depends(get_now)],
) -> AsyncIterator[UserManager]:
    """The user manager for this request, its logins throttled by the client's address."""
    manager = user_manager(user_db, settings, password_helper=request.app.state.password_helper)
    manager.login_context = LoginContext(
        address=request.client.host if request.client else None,
        now=now,
        policy=LoginPolicy.of(settings),
        secret=settings.secret_key,
    )
    yield manager


def user_manager(
    user_db: SQLAlchemyUserDatabase[User, int],
    settings: Settings,
    *,
    demo: bool = False,
    password_helper: PasswordHelperProtocol | None = None,
) -> UserManager:
    """A user manager on ``user_db``; ``demo`` for the demo's loader, which alone may give
    its accounts the demo's password outside development. Passwords are hashed with
    fastapi-users' default (argon2id, 64 MiB, 3 passes) unless the application was built
    with another ``password_helper`` (the tests)."""
    manager = UserManager(user_db, password_helper)
    manager.reset_password_token_secret = settings.secret_key
    manager.verification_token_secret = settings.secret_key
    manager.demo_password_allowed = demo or settings.environment == "development"
    return manager


SESSION_VERSION_CLAIM = "ver"
"""The account's ``session_version`` when the token was signed."""
PASSWORD_CLAIM = "pwd"
"""A keyed digest of the account's password hash when the token was signed."""
SESSION_ID_CLAIM = "sid"
"""A random id drawn at login, the same for every renewal of that session."""
LAST_SEEN_CLAIM = "seen"
"""When a page session was last used, in seconds on the application's clock."""


@dataclass(frozen=True)
class IdleTimeout:
    """A session unused for more than ``seconds`` on ``clock`` is over (the pages')."""

    seconds: int
    clock: Clock

    def now(self) -> int:
        """The current instant on the clock, in whole seconds since the epoch."""
        return int(self.clock.now().timestamp())

    def is_over(self, last_seen: object) -> bool:
        """Whether a session last used at ``last_seen`` (seconds) went idle for too long."""
        if not isinstance(last_seen, int) or isinstance(last_seen, bool):
            return True
        return self.now() - last_seen > self.seconds


class SessionStrategy(JWTStrategy[User, int]):
    """Signed tokens that end: on logout, on a password change, on deactivation, when idle.

    Each token carries the account's session version, a digest of its password hash and,
    for the pages, when it was last used. A token is refused when the account is inactive,
    when its version is no longer the account's (``end_sessions`` raised it), when the
    password changed since it was signed (whoever changed it), or, with an ``idle`` timeout,
    when it went unused for longer. Its expiry (``exp``) stays fastapi-users', in real time:
    the absolute lifetime of a session. ``session`` is the request's, for logout.
    """

    def __init__(
        self,
        secret: str,
        lifetime_seconds: int,
        *,
        session: AsyncSession | None = None,
        idle: IdleTimeout | None = None,
    ) -> None:
        super().__init__(secret=secret, lifetime_seconds=lifetime_seconds)
        self.session = session
        self.idle = idle
        self._mark_key = secret.encode()

    async def read_token(
        self, token: str | None, user_manager: BaseUserManager[User, int]
    ) -> User | None:
        """The account of ``token``, or None when the token or its session is over."""
        claims = self._claims(token)
        if claims is None or not isinstance(claims.get("sub"), str):
            return None
        if self.idle is not None and self.idle.is_over(claims.get(LAST_SEEN_CLAIM)):
            return None
        try:
            user = await user_manager.get(user_manager.parse_id(claims["sub"]))
        except (UserNotExists, InvalidID):
            return None
        if not user.is_active or claims.get(SESSION_VERSION_CLAIM) != user.session_version:
            return None
        if not hmac.compare_digest(str(claims.get(PASSWORD_CLAIM)), self._password_mark(user)):
            return None
        return user

    async def write_token(self, user: User) -> str:
        """A new session of ``user``: a token of its current version and password."""
        data: dict[str, Any] = {
            "sub": str(user.id),
            "aud": self.token_audience,
            SESSION_VERSION_CLAIM: user.session_version,
            PASSWORD_CLAIM: self._password_mark(user),
            SESSION_ID_CLAIM: secrets.token_urlsafe(16),
        }
        if self.idle is not None:
            data[LAST_SEEN_CLAIM] = self.idle.now()
        return generate_jwt(data, self.encode_key, self.lifetime_seconds, self.algorithm)

    def renewed(self, token: str) -> str | None:
        """``token`` marked as used now, with the same expiry; None if it is not valid.

        The pages send it back on each answer: their idle timeout slides with use.
        """
        claims = self._claims(token)
        if claims is None or self.idle is None:
            return None
        claims[LAST_SEEN_CLAIM] = self.idle.now()
        return generate_jwt(claims, self.encode_key, None, self.algorithm)

    def session_id(self, token: str | None) -> str:
        """The id of the session ``token`` belongs to, the same for each of its renewals;
        empty when the token is not a valid one (no session)."""
        claims = self._claims(token)
        return str(claims.get(SESSION_ID_CLAIM, "")) if claims else ""

    async def destroy_token(self, token: str, user: User) -> None:
        """Logout: end every session of ``user``, this one included."""
        if self.session is None:
            raise RuntimeError("SessionStrategy needs the request's session to end sessions")
        async with transaction(self.session):
            await end_sessions(self.session, user)

    def _claims(self, token: str | None) -> dict[str, Any] | None:
        if token is None:
            return None
        try:
            return decode_jwt(token, self.decode_key, self.token_audience, [self.algorithm])
        except jwt.PyJWTError:
            return None

    def _password_mark(self, user: User) -> str:
        digest = hmac.new(self._mark_key, user.hashed_password.encode(), hashlib.sha256)
        return digest.hexdigest()[:32]


async def end_sessions(session: AsyncSession, user: User) -> None:
    """End every session of ``user`` (API tokens and page cookies, on every device).

    Raises the account's session version, so every token signed before is refused at its
    next request. Call it inside the caller's unit of work (``async with
    transaction(session):``) with the change that calls for it: logout, a password change,
    a deactivation. The sessions end when, and only if, that transaction commits.
    """
    users = cast(Table, User.__table__)
    version = await session.scalar(
        update(users)
        .where(users.c.id == user.id)
        .values(session_version=users.c.session_version + 1)
        .returning(users.c.session_version)
    )
    set_committed_value(user, "session_version", version)


def get_jwt_strategy(
    settings: Annotated[Settings, Depends(get_settings)],
    session: Annotated[AsyncSession, Depends(get_session)],
) -> SessionStrategy:
    """The API's bearer tokens, signed with ``RELAIS_SECRET_KEY``; no idle timeout."""
    return SessionStrategy(
        settings.secret_key, settings.access_token_lifetime_seconds, session=session
    )


def get_page_strategy(
    settings: Annotated[Settings, Depends(get_settings)],
    session: Annotated[AsyncSession, Depends(get_session)],
    clock: Annotated[Clock, Depends(get_clock)],
) -> SessionStrategy:
    """The pages' session cookies: the API's tokens, plus the idle timeout on the app's clock."""
    return SessionStrategy(
        settings.secret_key,
        settings.access_token_lifetime_seconds,
        session=session,
        idle=IdleTimeout(settings.session_idle_seconds, clock),
    )


auth_backend = AuthenticationBackend(
    name="jwt",
    transport=BearerTransport(tokenUrl="auth/jwt/login"),
    get_strategy=get_jwt_strategy,
)

fastapi_users = FastAPIUsers[User, int](get_user_manager, [auth_backend])

current_active_user = fastapi_users.current_user(active=True)
