"""Accounts and login with fastapi-users: JWT bearer tokens, no self-registration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from fastapi.security import OAuth2PasswordRequestForm
from fastapi_users import BaseUserManager, FastAPIUsers, IntegerIDMixin, InvalidPasswordException
from fastapi_users.authentication import AuthenticationBackend, BearerTransport, JWTStrategy
from fastapi_users.exceptions import UserNotExists
from fastapi_users_db_sqlalchemy import SQLAlchemyUserDatabase
from sqlalchemy.ext.asyncio import AsyncSession
from zxcvbn import zxcvbn

from core.db import end_reads, transaction
from core.models import User
from core.settings import Settings
from services.request_context import get_session, get_settings

MIN_PASSWORD_LENGTH = 12
DEMO_PASSWORD = "relais-demo-2026"
"""The demo accounts' published password (README): accepted in development only."""
GUESSABLE = 10**6
"""zxcvbn's estimate of guesses under which a password is a common one or an easy variant of
one (its score 0 or 1): its list of the 30,000 most common passwords, names and words,
keyboard walks, repeats, sequences and dates, capitalised, in leet or with digits added."""
MAX_ESTIMATED_LENGTH = 128
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
    """fastapi-users' manager with relais's password rule."""

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
        """fastapi-users' login check, with no transaction open while the password is verified.

        Verifying a hash takes a while, and on SQLite even a transaction that only read holds
        the whole database's write lock: the account is read, the read ended, then the
        password checked (a hash of it when the account is unknown, to take the same time).
        """
        assert isinstance(self.user_db, SQLAlchemyUserDatabase)
        session = self.user_db.session
        try:
            user: User | None = await self.get_by_email(credentials.username)
        except UserNotExists:
            user = None
        await end_reads(session)
        if user is None:
            self.password_helper.hash(credentials.password)
            return None
        verified, updated_hash = self.password_helper.verify_and_update(
            credentials.password, user.hashed_password
        )
        if not verified:
            return None
        if updated_hash is not None:
            async with transaction(session):
                user.hashed_password = updated_hash
        return user

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
    user_db: Annotated[SQLAlchemyUserDatabase[User, int], Depends(get_user_db)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> AsyncIterator[UserManager]:
    """The user manager for this request."""
    yield user_manager(user_db, settings)


def user_manager(
    user_db: SQLAlchemyUserDatabase[User, int], settings: Settings, *, demo: bool = False
) -> UserManager:
    """A user manager on ``user_db``; ``demo`` for the demo's loader, which alone may give
    its accounts the demo's password outside development."""
    manager = UserManager(user_db)
    manager.reset_password_token_secret = settings.secret_key
    manager.verification_token_secret = settings.secret_key
    manager.demo_password_allowed = demo or settings.environment == "development"
    return manager


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
