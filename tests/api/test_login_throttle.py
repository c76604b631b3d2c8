"""Login throttling on the API's login: per account and per address, growing, shared, cheap."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi_users.password import PasswordHelper
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.db import create_engine
from core.models import LoginThrottle
from core.settings import Settings
from relais.app import create_app
from services.login_throttle import french_duration
from tests.factories import PASSWORD, PASSWORDS, World

EMAIL = "conseillere@ml-test.fr"
WRONG = "pas-le-bon-mot-de-passe"


async def _login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/auth/jwt/login", data={"username": email, "password": password})


async def _fail(client: httpx.AsyncClient, times: int, email: str = EMAIL) -> None:
    for _ in range(times):
        answer = await _login(client, email, WRONG)
        assert answer.status_code == 400, answer.text


def _assert_throttled(answer: httpx.Response, retry_after: int) -> None:
    assert answer.status_code == 429, answer.text
    assert answer.headers["Retry-After"] == str(retry_after)
    body = answer.json()
    assert body["code"] == "too_many_attempts"
    assert body["detail"].startswith("Trop de tentatives de connexion")


@pytest.fixture
async def elsewhere(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the same relais from another address than ``client``'s (127.0.0.1)."""
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://relais.test") as other:
        yield other


async def test_sixth_attempt_refused_even_with_the_right_password(
    client: httpx.AsyncClient, world: World, clock: FixedClock
) -> None:
    await _fail(client, 5)
    _assert_throttled(await _login(client, EMAIL, PASSWORD), 60)
    clock.advance(timedelta(seconds=30))
    _assert_throttled(await _login(client, EMAIL, PASSWORD), 30)
    clock.advance(timedelta(seconds=30))
    answer = await _login(client, EMAIL, PASSWORD)
    assert answer.status_code == 200, answer.text
    assert answer.json()["access_token"]


async def test_lockouts_double_up_to_the_maximum(
    client: httpx.AsyncClient, world: World, clock: FixedClock
) -> None:
    await _fail(client, 5)
    for lockout in (60, 120, 240, 480, 960, 1920, 3600, 3600):
        _assert_throttled(await _login(client, EMAIL, WRONG), lockout)
        clock.advance(timedelta(seconds=lockout))
        await _fail(client, 1)  # the lockout ended: one more try, then a longer lockout
    _assert_throttled(await _login(client, EMAIL, PASSWORD), 3600)


async def test_a_quiet_window_starts_the_count_afresh(
    client: httpx.AsyncClient, world: World, clock: FixedClock
) -> None:
    await _fail(client, 5)
    clock.advance(timedelta(seconds=60 + 15 * 60))
    await _fail(client, 4)
    answer = await _login(client, EMAIL, PASSWORD)
    assert answer.status_code == 200, answer.text


async def test_success_resets_the_account_counter(client: httpx.AsyncClient, world: World) -> None:
    await _fail(client, 4)
    assert (await _login(client, EMAIL, PASSWORD)).status_code == 200
    await _fail(client, 4)
    assert (await _login(client, EMAIL, PASSWORD)).status_code == 200
    await _fail(client, 5)
    _assert_throttled(await _login(client, EMAIL, PASSWORD), 60)


async def test_the_account_is_the_email_tried_normalised(
    client: httpx.AsyncClient, elsewhere: httpx.AsyncClient, world: World
) -> None:
    """Case and spaces name the same account, from any address; unknown ones count too."""
    for email in ("Conseillere@ML-test.fr", " conseillere@ml-test.fr ", "CONSEILLERE@ML-TEST.FR"):
        await _fail(client, 1, email)
    await _fail(elsewhere, 2)
    _assert_throttled(await _login(elsewhere, EMAIL, PASSWORD), 60)
    await _fail(client, 5, "personne@inconnu-test.fr")
    _assert_throttled(await _login(client, "personne@inconnu-test.fr", WRONG), 60)


async def test_an_address_is_throttled_across_accounts(
    app: FastAPI, client: httpx.AsyncClient, elsewhere: httpx.AsyncClient, world: World
) -> None:
    """Failures from one address, each on another account, lock that address only."""
    settings: Settings = app.state.settings
    assert settings.login_max_failures_per_address == 20
    app.state.settings = settings.model_copy(update={"login_max_failures_per_address": 8})
    for number in range(8):
        await _fail(client, 1, f"essai{number}@inconnu-test.fr")
    _assert_throttled(await _login(client, EMAIL, PASSWORD), 60)
    answer = await _login(elsewhere, EMAIL, PASSWORD)
    assert answer.status_code == 200, answer.text
    # The address's failures outlive a success on one of its accounts.
    _assert_throttled(await _login(client, EMAIL, PASSWORD), 60)


async def test_refused_before_any_hashing(
    client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Neither a known account's password is verified nor an unknown one's hashed."""
    await _fail(client, 5)
    await _fail(client, 5, "inconnu@inconnu-test.fr")
    hashed: list[str] = []
    for name in ("hash", "verify_and_update"):
        real = getattr(PasswordHelper, name)

        def spy(self: PasswordHelper, *args: Any, _real: Any = real, _name: str = name) -> Any:
            hashed.append(_name)
            return _real(self, *args)

        monkeypatch.setattr(PasswordHelper, name, spy)
    for password in (PASSWORD, WRONG):
        _assert_throttled(await _login(client, EMAIL, password), 60)
        _assert_throttled(await _login(client, "inconnu@inconnu-test.fr", password), 60)
    assert hashed == []


async def test_counters_are_shared_by_processes_and_name_nobody(
    client: httpx.AsyncClient,
    world: World,
    settings: Settings,
    clock: FixedClock,
    session: AsyncSession,
) -> None:
    """Another relais process, on its own engine, sees the first one's counters."""
    await _fail(client, 5)
    other_engine = create_engine(settings.database_url)
    try:
        other = create_app(settings, clock=clock, engine=other_engine, password_helper=PASSWORDS)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=other), base_url="http://relais.test"
        ) as other_client:
            _assert_throttled(await _login(other_client, EMAIL, PASSWORD), 60)
    finally:
        await other_engine.dispose()
    rows = (await session.scalars(select(LoginThrottle))).all()
    assert {row.scope for row in rows} == {"account", "address"}
    assert all(EMAIL not in row.digest and "127.0.0.1" not in row.digest for row in rows)


async def test_concurrent_failures_are_all_counted(
    client: httpx.AsyncClient, elsewhere: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    answers = await asyncio.gather(*(_login(client, EMAIL, WRONG) for _ in range(4)))
    assert sorted(answer.status_code for answer in answers) == [400] * 4
    failures = await session.scalar(
        select(func.max(LoginThrottle.failures)).where(LoginThrottle.scope == "account")
    )
    await session.rollback()  # on SQLite, an open read would hold the write lock
    assert failures == 4
    await _fail(elsewhere, 1)
    _assert_throttled(await _login(elsewhere, EMAIL, PASSWORD), 60)


async def test_throttled_login_is_documented(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    responses = schema["paths"]["/auth/jwt/login"]["post"]["responses"]
    assert "Retry-After" in responses["429"]["headers"]


def test_waits_read_as_a_person_says_them() -> None:
    assert [french_duration(s) for s in (1, 45, 60, 61, 120, 3600, 5400, 7200)] == [
        "1 seconde",
        "45 secondes",
        "1 minute",
        "2 minutes",
        "2 minutes",
        "1 heure",
        "90 minutes",
        "2 heures",
    ]
