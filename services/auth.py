"""Accounts and login with fastapi-users: JWT bearer tokens, no self-registration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from fastapi_users import BaseUserManager, FastAPIUsers, IntegerIDMixin, InvalidPasswordException
from fastapi_users.authentication import AuthenticationBackend, BearerTransport, JWTStrategy
from fastapi_users.exceptions import UserNotExists
from fastapi_users_db_sqlalchemy import SQLAlchemyUserDatabase
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import end_reads, transaction
from core.models import User
from core.settings import Settings
from services.login_throttle import (
    LoginContext,
    LoginPolicy,
    record_login,
    refuse_if_throttled,
)
from services.request_context import get_now, get_session, get_settings

MIN_PASSWORD_LENGTH = 10


class UserManager(IntegerIDMixin, BaseUserManager[User, int]):
    """fastapi-users' manager with relais's password rule and login throttling."""

    login_context: LoginContext | None = None
    """Where and when this request's logins come from; set for each request."""

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
        """Refuse short passwords and passwords that contain the email."""
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InvalidPasswordException(
                reason=f"Le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères."
            )
        email = getattr(user, "email", "")
        if email and email.split("@")[0].lower() in password.lower():
            raise InvalidPasswordException(
                reason="Le mot de passe ne doit pas contenir l'adresse email."
            )


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
    manager = UserManager(user_db)
    manager.login_context = LoginContext(
        address=request.client.host if request.client else None,
        now=now,
        policy=LoginPolicy.of(settings),
        secret=settings.secret_key,
    )
    manager.reset_password_token_secret = settings.secret_key
    manager.verification_token_secret = settings.secret_key
    yield manager


def get_jwt_strategy(
    settings: Annotated[Settings, Depends(get_settings)],
) -> JWTStrategy[User, int]:
    """Stateless JWT tokens signed with ``RELAIS_SECRET_KEY``."""
    return JWTStrategy(
        secret=settings.secret_key, lifetime_seconds=settings.access_token_lifetime_seconds
    )


auth_backend = AuthenticationBackend(
    name="jwt",
    transport=BearerTransport(tokenUrl="auth/jwt/login"),
    get_strategy=get_jwt_strategy,
)

fastapi_users = FastAPIUsers[User, int](get_user_manager, [auth_backend])

current_active_user = fastapi_users.current_user(active=True)
