"""Page sessions end: on logout, on a password change, on deactivation, and when left idle.

These tests run at the default idle timeout (2 hours, ``RELAIS_SESSION_IDLE_SECONDS``) and
move the application's clock, never the system's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.clock import FixedClock
from core.db import transaction
from core.models import User
from core.settings import Settings
from relais.app import create_app
from services.auth import end_sessions
from tests.factories import PASSWORDS, SECRET, World
from tests.web.http_pages import page_client
from tests.web.pages import Browser

SESSION = "relais_session"
PAGE = "/inbox"
TO_LOGIN = "/login?next=%2Finbox&notice=expired"
IDLE = timedelta(hours=2)


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Test settings with the pages' default idle timeout."""
    return Settings(environment="test", secret_key=SECRET, database_url=database_url)


@pytest.fixture
async def browser(
    browser_client: httpx.AsyncClient, world: World, session: AsyncSession
) -> AsyncIterator[Browser]:
    """A browser signed in as the world's referrer, whose inbox answers."""
    await session.commit()
    signed_in = Browser(browser_client)
    await signed_in.log_in(world.referrer)
    assert await _where(browser_client) == PAGE
    yield signed_in


async def _where(client: httpx.AsyncClient) -> str:
    """Where the inbox takes this browser: the inbox itself, or the login page."""
    answer = await client.get(PAGE)
    if answer.status_code == 200:
        return PAGE
    assert answer.status_code == 303, answer.status_code
    return answer.headers["location"]


def _copy_of(app: FastAPI, browser: Browser) -> httpx.AsyncClient:
    """Another browser holding the same session cookie (kept somewhere, or stolen)."""
    copy = page_client(app)
    copy.cookies.set(SESSION, browser.client.cookies[SESSION], domain="relais.test")
    return copy


async def _set(session: AsyncSession, world: World, **values: Any) -> None:
    """Change the account's row straight in the database, as another process would."""
    await session.execute(update(User).where(User.id == world.referrer.id).values(**values))
    await session.commit()


async def test_after_logout_the_old_cookie_goes_back_to_the_login_page(
    app: FastAPI, browser: Browser
) -> None:
    async with _copy_of(app, browser) as kept:
        assert await _where(kept) == PAGE

        logout = await browser.post("/logout", {})

        assert (logout.status_code, logout.headers["location"]) == (303, "/login?notice=logged_out")
        assert SESSION not in browser.client.cookies
        assert await _where(kept) == TO_LOGIN


async def test_a_changed_password_sends_the_old_cookie_to_the_login_page(
    browser: Browser, world: World, session: AsyncSession
) -> None:
    await _set(session, world, hashed_password=PASSWORDS.hash("un-nouveau-mot-de-passe"))
    assert await _where(browser.client) == TO_LOGIN


async def test_a_deactivated_users_open_page_falls_back_to_login_at_the_next_click(
    browser: Browser, world: World, session: AsyncSession
) -> None:
    user = await session.get_one(User, world.referrer.id)
    async with transaction(session):  # as the account pages deactivate: with end_sessions
        user.is_active = False
        await end_sessions(session, user)
    assert await _where(browser.client) == TO_LOGIN

    await _set(session, world, is_active=True)
    assert await _where(browser.client) == TO_LOGIN, "reactivation revives no old session"


async def test_a_cookie_of_a_stale_session_version_goes_to_the_login_page(
    browser: Browser, world: World, session: AsyncSession
) -> None:
    await _set(session, world, session_version=User.session_version + 1)
    assert await _where(browser.client) == TO_LOGIN


async def test_a_page_session_idle_for_longer_than_the_timeout_goes_to_the_login_page(
    app: FastAPI, browser: Browser, clock: FixedClock
) -> None:
    async with _copy_of(app, browser) as kept:
        clock.advance(IDLE + timedelta(seconds=1))
        assert await _where(browser.client) == TO_LOGIN
        assert await _where(kept) == TO_LOGIN


async def test_each_page_within_the_window_keeps_the_session_open(
    browser: Browser, clock: FixedClock
) -> None:
    first = _claims(browser.client.cookies[SESSION])
    for _ in range(3):  # 5 h 57 of use in all, never 2 h without a page
        clock.advance(IDLE - timedelta(minutes=1))
        assert await _where(browser.client) == PAGE
    renewed = _claims(browser.client.cookies[SESSION])
    assert renewed["seen"] == first["seen"] + 3 * (IDLE - timedelta(minutes=1)).seconds
    assert (renewed["exp"], renewed["sid"]) == (first["exp"], first["sid"]), "same session"

    clock.advance(IDLE + timedelta(seconds=1))
    assert await _where(browser.client) == TO_LOGIN


async def test_the_idle_timeout_is_a_setting(
    world: World, session: AsyncSession, db_engine: AsyncEngine, clock: FixedClock,
    database_url: str,
) -> None:  # fmt: skip
    await session.commit()
    settings = Settings(
        environment="test", secret_key=SECRET, database_url=database_url, session_idle_seconds=600
    )
    async with page_client(
        create_app(settings, clock=clock, engine=db_engine, password_helper=PASSWORDS)
    ) as client:
        await Browser(client).log_in(world.referrer)
        clock.advance(timedelta(seconds=599))
        assert await _where(client) == PAGE
        clock.advance(timedelta(seconds=601))
        assert await _where(client) == TO_LOGIN


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims
