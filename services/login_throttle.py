"""Login throttling: growing lockouts per account and per client address, kept in the database.

The rule, one for the API's login and the page's (both go through ``UserManager.authenticate``):
failed logins are counted per account (the email tried, normalised, whether or not it has an
account) and per client address. Once ``RELAIS_LOGIN_MAX_FAILURES`` failures for one account
(``RELAIS_LOGIN_MAX_FAILURES_PER_ADDRESS`` from one address: colleagues may share one) came
each less than ``RELAIS_LOGIN_FAILURE_WINDOW_SECONDS`` after the previous one, logins are
refused for ``RELAIS_LOGIN_LOCKOUT_SECONDS``; each further failure after a lockout locks out
again for twice as long, up to ``RELAIS_LOGIN_LOCKOUT_MAX_SECONDS``. A counter starts afresh
after a window without failure (counted from the end of the last lockout). A successful login
forgets its account's failures, not its address's. Defaults: 5 and 20 failures, 15 minutes,
1 minute doubling up to 1 hour.

A refused login is refused before any password is hashed, so that an attacker cannot make the
server hash. The counters live in the ``login_throttles`` table, so every process shares them,
under keyed digests (never the email or address itself). Each read or write of it is a tiny
transaction of its own, never open while a password is hashed; when the database is too busy to
answer (SQLite's write lock, an exhausted pool), a login is refused for a few seconds instead
of failing, and a failure that cannot be counted is logged.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import transaction
from core.models import LoginThrottle
from core.settings import Settings

ACCOUNT = "account"
ADDRESS = "address"
BUSY_RETRY_SECONDS = 5
"""How long a login is refused when the database was too busy to check the counters."""

PURGE_BATCH = 100
"""How many forgotten rows one failed login deletes at most."""

logger = logging.getLogger(__name__)


class LoginThrottled(Exception):
    """Logins are refused for now; the caller may try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, retry_after)
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """What the person reads: why, and how long to wait."""
        return (
            "Trop de tentatives de connexion : par sécurité, réessayez dans "
            f"{french_duration(self.retry_after)}."
        )


def french_duration(seconds: int) -> str:
    """``seconds`` as a person reads it: « 45 secondes », « 2 minutes », « 1 heure »."""
    if seconds < 60:
        return f"{seconds} seconde{'s' if seconds > 1 else ''}"
    minutes = math.ceil(seconds / 60)
    if minutes % 60:
        return f"{minutes} minute{'s' if minutes > 1 else ''}"
    hours = minutes // 60
    return f"{hours} heure{'s' if hours > 1 else ''}"


@dataclass(frozen=True)
class LoginPolicy:
    """The thresholds and lockouts of the rule, from the ``RELAIS_LOGIN_*`` settings."""

    max_failures: int
    max_failures_per_address: int
    window: timedelta
    lockout: timedelta
    lockout_max: timedelta

    @classmethod
    def of(cls, settings: Settings) -> LoginPolicy:
        """The policy ``settings`` configure."""
        return cls(
            max_failures=settings.login_max_failures,
            max_failures_per_address=settings.login_max_failures_per_address,
            window=timedelta(seconds=settings.login_failure_window_seconds),
            lockout=timedelta(seconds=settings.login_lockout_seconds),
            lockout_max=timedelta(seconds=settings.login_lockout_max_seconds),
        )

    def threshold(self, scope: str) -> int:
        """How many failures in a row lock ``scope`` out."""
        return self.max_failures if scope == ACCOUNT else self.max_failures_per_address

    def lockout_after(self, lockouts: int) -> timedelta:
        """How long the lockout that follows ``lockouts`` earlier ones lasts."""
        doubled: timedelta = self.lockout * 2 ** min(lockouts, 32)
        return min(doubled, self.lockout_max)


@dataclass(frozen=True)
class LoginContext:
    """Where and when the logins of one request come from, and the rule they follow."""

    address: str | None
    now: datetime
    policy: LoginPolicy
    secret: str

    def keys(self, email: str) -> list[tuple[str, str]]:
        """The counters a login as ``email`` from this address reads and writes."""
        keys = [(ACCOUNT, self._digest(ACCOUNT, normalise_email(email)))]
        if self.address:
            keys.append((ADDRESS, self._digest(ADDRESS, self.address)))
        return keys

    def _digest(self, scope: str, value: str) -> str:
        message = f"{scope}:{value}".encode("utf-8", "surrogatepass")
        return hmac.new(self.secret.encode(), message, hashlib.sha256).hexdigest()


def normalise_email(email: str) -> str:
    """The account an email names, whatever its case or surrounding spaces."""
    return email.strip().lower()


def _is_busy(error: Exception) -> bool:
    """Whether ``error`` says the database is too busy now, rather than something is wrong."""
    if isinstance(error, PoolTimeout):
        return True
    text = str(getattr(error, "orig", error)).lower()
    return isinstance(error, DBAPIError) and ("locked" in text or "deadlock" in text)


async def refuse_if_throttled(session: AsyncSession, context: LoginContext, email: str) -> None:
    """Raise ``LoginThrottled`` when the account or the address is locked out now.

    Only reads, and leaves the read open so that the caller looks the account up in the same
    short transaction and ends it (``end_reads``) before hashing. Raises ``LoginThrottled`` for
    a few seconds too when the database is too busy to tell.
    """
    keys = context.keys(email)
    try:
        rows = await session.scalars(
            select(LoginThrottle)
            .where(or_(*(and_(*_key_of(scope, digest)) for scope, digest in keys)))
            .execution_options(populate_existing=True)
        )
        locked_until = [row.locked_until for row in rows if row.locked_until is not None]
    except (DBAPIError, PoolTimeout) as error:
        await session.rollback()
        if not _is_busy(error):
            raise
        logger.warning("login refused: the database was too busy to check the counters")
        raise LoginThrottled(BUSY_RETRY_SECONDS) from error
    waits = [(until - context.now).total_seconds() for until in locked_until]
    longest = max(waits, default=0.0)
    if longest > 0:
        await session.rollback()
        raise LoginThrottled(math.ceil(longest))


async def record_login(
    session: AsyncSession, context: LoginContext, email: str, *, succeeded: bool
) -> None:
    """Count a failed login (locking out past the threshold), or forget the account's failures.

    One short transaction, after the password was checked. A failure the database is too busy
    to count is logged, never raised: the person still gets the answer to their login.
    """
    keys = context.keys(email)
    try:
        async with transaction(session):
            if succeeded:
                await session.execute(delete(LoginThrottle).where(*_key_of(*keys[0])))
                return
            for scope, digest in keys:
                await _count_failure(session, context, scope, digest)
            await _purge_forgotten(session, context.now)
    except (DBAPIError, PoolTimeout) as error:
        if not _is_busy(error):
            raise
        logger.warning("a login's outcome was not recorded: the database was too busy")


def _key_of(scope: str, digest: str) -> tuple[Any, Any]:
    return LoginThrottle.scope == scope, LoginThrottle.digest == digest


async def _count_failure(
    session: AsyncSession, context: LoginContext, scope: str, digest: str
) -> None:
    """Add one failure to a counter, created when missing, and lock out past the threshold."""
    now, policy = context.now, context.policy
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(LoginThrottle)
        .values(scope=scope, digest=digest, failures=0, lockouts=0, expires_at=now)
        .on_conflict_do_nothing(index_elements=["scope", "digest"])
    )
    row = await session.scalar(
        select(LoginThrottle)
        .where(*_key_of(scope, digest))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    if row.expires_at <= now:
        row.failures, row.lockouts, row.locked_until = 0, 0, None
    row.failures += 1
    locked = row.locked_until is not None and row.locked_until > now
    if not locked and row.failures >= policy.threshold(scope):
        row.locked_until = now + policy.lockout_after(row.lockouts)
        row.lockouts += 1
    quiet_from = max(now, row.locked_until) if row.locked_until is not None else now
    row.expires_at = quiet_from + policy.window


async def _purge_forgotten(session: AsyncSession, now: datetime) -> None:
    """Delete a batch of counters nobody needs any more (never one another login holds)."""
    forgotten = (
        select(LoginThrottle.scope, LoginThrottle.digest)
        .where(LoginThrottle.expires_at <= now)
        .limit(PURGE_BATCH)
        .with_for_update(skip_locked=True)
    )
    await session.execute(
        delete(LoginThrottle)
        .where(tuple_(LoginThrottle.scope, LoginThrottle.digest).in_(forgotten))
        .execution_options(synchronize_session=False)
    )
