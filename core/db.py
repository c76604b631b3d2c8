"""Async database access: engine, sessions and the column types shared by every model."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    DateTime,
    Dialect,
    Enum,
    Integer,
    MetaData,
    event,
    inspect,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

from core.clock import as_utc
from core.errors import ConcurrentChange, DomainError
from core.prepared import read_row
from core.sqlite_in_loop import in_loop_connector

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

BigId = BigInteger().with_variant(Integer(), "sqlite")
"""A 64-bit primary key on PostgreSQL that stays SQLite's auto-incrementing rowid."""

MAX_ID = 2**31 - 1
"""The largest value an ``Integer`` column holds on PostgreSQL: no id can be beyond it.

Inputs that name an id are bounded by it, so that a huge number answers 422, not a
database error.
"""

STORABLE_TEXT = r"^[^\x00]*$"
"""Text PostgreSQL can store: anything but the NUL character, which it refuses."""
TRIMMED_SPACES = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
"""The characters a required text's ``strip_whitespace`` removes at its ends (Unicode's
White_Space, as pydantic-core trims), as a regular expression's class."""
FILLED_TEXT = rf"^[^\x00]*[^\x00{TRIMMED_SPACES}][^\x00]*$"
"""Storable text with something besides spaces: what a required text accepts once trimmed,
stated in the schema (``min_length=1`` alone would let a text of spaces through)."""

EARLIEST_MOMENT = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_MOMENT = datetime(3000, 1, 1, tzinfo=UTC)
"""Bounds of the instants an input may name (the latter excluded).

Far enough for any appointment or deadline, and far from ``datetime.min`` and ``max``: an
instant near them cannot be converted to UTC (as ``UTCDateTime`` stores it) and would fail
as a database error instead of answering 422.
"""


class Base(DeclarativeBase):
    """Declarative base of every relais table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every database; SQLite stores it naive, we give it back aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused: use an aware UTC datetime")
        moment = as_utc(value)
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)

    def result_processor(
        self, dialect: Dialect, coltype: Any
    ) -> Callable[[Any], datetime | None] | None:
        """None on asyncpg, which gives every ``timestamptz`` back aware, in UTC, already
        (``as_utc`` would return it as it is): a read of many rows then calls nothing for
        this column. Elsewhere ``process_result_value``."""
        if dialect.name == "postgresql" and dialect.driver == "asyncpg":
            return None
        return super().result_processor(dialect, coltype)


def enum_column(enum_type: type[StrEnum]) -> Enum:
    """A column type storing a ``StrEnum`` by value, as text with no database enum type."""
    return Enum(
        enum_type,
        native_enum=False,
        length=max(len(member.value) for member in enum_type),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


BUSY_TIMEOUT_SECONDS = 30
"""How long a SQLite transaction waits for the database's write lock before it fails."""


def create_engine(
    url: str, *, pool: bool = True, busy_timeout: float = BUSY_TIMEOUT_SECONDS
) -> AsyncEngine:
    """An async engine for ``url``; SQLite gets WAL, a busy timeout and immediate transactions.

    Immediate transactions take SQLite's write lock at ``BEGIN``, so two writers queue instead
    of failing half-way with "database is locked"; one that waited ``busy_timeout`` seconds
    fails that way. SQLite runs in the event loop's thread (``core.sqlite_in_loop``).
    """
    parsed = make_url(url)
    kwargs: dict[str, Any] = {}
    if not pool:
        kwargs["poolclass"] = NullPool
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["async_creator"] = in_loop_connector(parsed, timeout=busy_timeout)
    else:
        # PostgreSQL's JIT compiles the indicators' correlated queries for ~2 s each, longer
        # than they then run at 180,000 referrals (benchmarks/indicators_bench); no query of
        # relais gains from it.
        kwargs["connect_args"] = {"server_settings": {"jit": "off"}}
    engine = create_async_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted or overwritten content is zeroed, not left in free space: anonymised names
        # and texts must not remain readable in the file.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


CHANGED_MEANWHILE = "Le dossier a été modifié par quelqu'un d'autre entre-temps ; rechargez-le."
"""What a use case answers when someone else's write got in the way of its own."""

_IN_TRANSACTION = "relais.in_transaction"


@asynccontextmanager
async def transaction(
    session: AsyncSession, *, conflict: DomainError | None = None, dry_run: bool = False
) -> AsyncIterator[None]:
    """One unit of work: ``async with transaction(session): ...`` writes all of it or nothing.

    Commits when the block ends, or rolls back when ``dry_run`` (a rehearsal that changes
    nothing); rolls back on any error and raises it again, as a domain error when it is the
    database refusing a concurrent write: a unique or foreign key violation
    (``IntegrityError``) becomes ``conflict`` (``ConcurrentChange`` by default), a row changed
    since it was read (``StaleDataError``, from a version column) ``ConcurrentChange``.

    Reads made on the session before the block share its database transaction and end with
    it. Units of work do not nest: a use case made of several steps runs them in one block.
    Nothing slow that needs no database (hashing a password, sending an email) belongs in
    the block: on SQLite an open transaction holds the whole database's write lock.
    """
    if session.info.get(_IN_TRANSACTION):
        raise RuntimeError("transaction() does not nest: run the steps in one block")
    session.info[_IN_TRANSACTION] = True
    try:
        yield
        if dry_run:
            await session.rollback()
        else:
            await session.commit()
    except StaleDataError as error:
        await session.rollback()
        raise ConcurrentChange(CHANGED_MEANWHILE) from error
    except IntegrityError as error:
        await session.rollback()
        raise (conflict or ConcurrentChange(CHANGED_MEANWHILE)) from error
    except BaseException:
        await session.rollback()
        raise
    finally:
        session.info.pop(_IN_TRANSACTION, None)


def in_transaction(session: AsyncSession) -> bool:
    """Whether a ``transaction()`` block is open on ``session`` (a write joins it)."""
    return bool(session.info.get(_IN_TRANSACTION))


async def end_reads(session: AsyncSession) -> None:
    """End the session's open transaction, which wrote nothing; loaded rows stay usable.

    For a use case about to do slow work that needs no database (hashing a password): on
    SQLite even a transaction that only read holds the whole database's write lock
    (``BEGIN IMMEDIATE``) until it ends.
    """
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("end_reads() would save pending changes: use transaction()")
    await session.commit()


Row = TypeVar("Row")
_KEPT = "relais.kept_rows"


async def get_kept(session: AsyncSession, model: type[Row], ident: int) -> Row:
    """``session.get_one``, keeping the row for the rest of the session.

    The identity map holds rows weakly: an offer or organisation read to describe one case
    would be read again for the next one. Transitions, sweeps and digests read the same few
    reference rows for every case, so they are kept once read (and still refreshed by
    ``get_one`` whenever a commit or rollback expired them). A row read for the first time is
    read by a prepared statement (``core.prepared.read_row``).
    """
    kept: dict[tuple[type[Any], int], Any] = session.info.setdefault(_KEPT, {})
    row: Row | None = kept.get((model, ident))
    if row is not None and _fresh(row):
        return row
    row = await read_row(session, model, ident)
    kept[(model, ident)] = row
    return row


def _fresh(row: Any) -> bool:
    """Whether a kept row may be used as it is (not expired by a commit or rollback)."""
    # The row's state read directly: ``inspect`` costs more than the rest of a description
    # that reads three kept rows (an export describes thousands of cases).
    state = instance_state(row) if row is not None else None
    return state is not None and state.persistent and not state.expired_attributes


async def keep_rows(session: AsyncSession, model: type[Row], idents: set[int]) -> None:
    """Read the rows ``idents`` of ``model`` not kept yet in one query, and keep them as
    ``get_kept`` does: describing a page of cases then reads none of them one by one."""
    kept: dict[tuple[type[Any], int], Any] = session.info.setdefault(_KEPT, {})
    missing = [ident for ident in idents if not _fresh(kept.get((model, ident)))]
    if not missing:
        return
    key = inspect(model, raiseerr=True).primary_key[0]
    for row in (await session.execute(select(model).where(key.in_(missing)))).scalars():
        kept[(model, getattr(row, key.key))] = row
