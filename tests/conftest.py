"""Shared fixtures: a real database (SQLite by default, PostgreSQL when asked), a fixed clock,
the application and an HTTP client on it.

``RELAIS_TEST_DATABASE_URL`` selects the database, e.g.
``postgresql+asyncpg://postgres@127.0.0.1:5432/relais_test``; without it each run uses a
fresh SQLite file.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import Pool

from core.clock import FixedClock
from core.db import create_engine, create_sessionmaker
from core.migrate import upgrade_engine
from core.settings import Settings
from relais.app import create_app
from tests.database import empty_tables
from tests.factories import PASSWORDS, SECRET, World, make_world

PARIS = ZoneInfo("Europe/Paris")
# A Monday with no holiday around it.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)
IDLE_NEVER = 10 * 365 * 24 * 3600


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    configured = os.environ.get("RELAIS_TEST_DATABASE_URL")
    if configured:
        return configured
    return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'relais-test.db'}"


def _commit_without_waiting_for_the_disk(dbapi_connection: Any, _record: Any) -> None:
    """Tests do not wait for each commit to reach the disk: SQLite does not fsync (its
    default in WAL mode syncs every commit, about 5 ms here) and PostgreSQL acknowledges a
    commit before its WAL is flushed (8 ms here). A commit is as atomic and as visible as
    before; only a crash of the machine itself could lose the last ones, which no test does
    (the fault tests kill processes, whose writes the system keeps)."""
    cursor = dbapi_connection.cursor()
    if "sqlite" in type(dbapi_connection).__module__:
        cursor.execute("PRAGMA synchronous=OFF")
    else:
        cursor.execute("SET synchronous_commit TO off")
    cursor.close()


@pytest.fixture(scope="session", autouse=True)
def _fast_commits() -> Iterator[None]:
    """Every connection the tests open, the application's included, commits without fsync."""
    event.listen(Pool, "connect", _commit_without_waiting_for_the_disk)
    yield
    event.remove(Pool, "connect", _commit_without_waiting_for_the_disk)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Where this test session's database lives."""
    return _database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def is_postgres(database_url: str) -> bool:
    """Whether the tests run on PostgreSQL."""
    return database_url.startswith("postgresql")


@pytest.fixture(scope="session")
async def db_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The migrated test database, created once per session."""
    engine = create_engine(database_url)
    if engine.dialect.name == "postgresql":
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    await upgrade_engine(engine)
    yield engine
    await engine.dispose()


@pytest.fixture(autouse=True)
async def _empty_tables(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Every test starts from empty tables, ids from 1 (only for tests that use the database)."""
    if "db_engine" not in request.fixturenames:
        yield
        return
    await empty_tables(request.getfixturevalue("db_engine"))
    yield


@pytest.fixture
def clock() -> FixedClock:
    """A clock set to T0 (Monday 2 March 2026, 09:00 in Paris); tests move it."""
    return FixedClock(T0)


@pytest.fixture
def sessionmaker(db_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions on the test database."""
    return create_sessionmaker(db_engine)


@pytest.fixture
async def session(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session for arranging and checking data."""
    async with sessionmaker() as session:
        yield session


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Test settings: safe secret, the test database.

    The journeys move the clock by days under one signed-in browser: here page sessions
    never go idle. ``tests/web/test_sessions.py`` checks the idle timeout at its default.
    """
    return Settings(
        environment="test",
        secret_key=SECRET,
        database_url=database_url,
        session_idle_seconds=IDLE_NEVER,
    )


@pytest.fixture
def app(settings: Settings, clock: FixedClock, db_engine: AsyncEngine) -> FastAPI:
    """The application on the test database and clock."""
    return create_app(settings, clock=clock, engine=db_engine, password_helper=PASSWORDS)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the application in process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://relais.test") as client:
        yield client


@pytest.fixture
async def world(session: AsyncSession, clock: FixedClock) -> World:
    """Organisations, users and an offer for a referral."""
    return await make_world(session, clock.now())


# A test that asks for none of these behaves the same whichever database the suite runs on.
_ON_THE_DATABASE = frozenset({"db_engine", "database_url", "is_postgres", "browser"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip PostgreSQL-only tests on SQLite runs; on PostgreSQL runs, skip the tests that do
    not touch the test database (embedded ones, and pure logic: rules, renderings, imports).

    CI runs the suite on both at once: what does not depend on the database runs once, in
    the SQLite run (the embedded tests use a fresh SQLite directory of their own).
    """
    on_postgres = os.environ.get("RELAIS_TEST_DATABASE_URL", "").startswith("postgresql")
    if not on_postgres:
        skip = pytest.mark.skip(reason="needs PostgreSQL: set RELAIS_TEST_DATABASE_URL")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)
        return
    embedded = pytest.mark.skip(
        reason="runs relais on its embedded default: covered by the SQLite run"
    )
    same_on_both = pytest.mark.skip(reason="does not use the database: covered by the SQLite run")
    for item in items:
        if "embedded" in item.keywords:
            item.add_marker(embedded)
        elif "postgres" not in item.keywords and _ON_THE_DATABASE.isdisjoint(
            getattr(item, "fixturenames", ())
        ):
            item.add_marker(same_on_both)
