"""A login while SQLite's write lock is held elsewhere answers 429 or 400, never a 500.

On SQLite every transaction takes the whole database's write lock (``BEGIN IMMEDIATE``) and
waits for it up to the busy timeout; these tests hold the lock from another connection and
shorten that timeout to half a second on relais's own engine, so that they wait little.
Marked ``embedded``: SQLite only (PostgreSQL has no such lock), covered by the SQLite run.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi_users.password import PasswordHelper
from sqlalchemy.engine import make_url

from core.clock import FixedClock
from core.db import create_engine
from core.settings import Settings
from relais.app import create_app
from services.login_throttle import BUSY_RETRY_SECONDS
from tests.factories import PASSWORD, PASSWORDS, World

pytestmark = pytest.mark.embedded

EMAIL = "conseillere@ml-test.fr"


@pytest.fixture
async def impatient(settings: Settings, clock: FixedClock) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a relais whose engine waits only 0.5 s for SQLite's write lock."""
    engine = create_engine(settings.database_url, busy_timeout=0.5)
    app = create_app(settings, clock=clock, engine=engine, password_helper=PASSWORDS)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://relais.test") as client:
            yield client
    finally:
        await engine.dispose()


@pytest.fixture
def write_lock(settings: Settings) -> Iterator[sqlite3.Connection]:
    """Another connection to the test database, which takes the write lock when told."""
    connection = sqlite3.connect(str(make_url(settings.database_url).database))
    connection.isolation_level = None
    yield connection
    if connection.in_transaction:
        connection.execute("ROLLBACK")
    connection.close()


async def test_a_locked_database_refuses_the_login_for_a_few_seconds(
    impatient: httpx.AsyncClient, world: World, write_lock: sqlite3.Connection
) -> None:
    write_lock.execute("BEGIN IMMEDIATE")
    answer = await impatient.post("/auth/jwt/login", data={"username": EMAIL, "password": PASSWORD})
    assert answer.status_code == 429, answer.text
    assert answer.headers["Retry-After"] == str(BUSY_RETRY_SECONDS)
    write_lock.execute("ROLLBACK")
    answer = await impatient.post("/auth/jwt/login", data={"username": EMAIL, "password": PASSWORD})
    assert answer.status_code == 200, answer.text


async def test_a_failure_the_locked_database_cannot_count_still_answers(
    impatient: httpx.AsyncClient,
    world: World,
    write_lock: sqlite3.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The lock is taken while the password is verified: the failure is answered, not counted."""
    verify = PasswordHelper.verify_and_update

    def locking_verify(self: PasswordHelper, *args: Any) -> Any:
        write_lock.execute("BEGIN IMMEDIATE")
        return verify(self, *args)

    monkeypatch.setattr(PasswordHelper, "verify_and_update", locking_verify)
    answer = await impatient.post(
        "/auth/jwt/login", data={"username": EMAIL, "password": "pas-le-bon-mot-de-passe"}
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "login_bad_credentials"
    write_lock.execute("ROLLBACK")
    count = write_lock.execute("SELECT count(*) FROM login_throttles").fetchone()
    assert count == (0,)
