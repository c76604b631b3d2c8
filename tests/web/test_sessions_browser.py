"""Page sessions end in a real browser: idle, deactivated, signed out elsewhere."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.db import transaction
from core.models import User
from core.settings import Settings
from services.auth import end_sessions
from tests.factories import SECRET, World
from tests.web.browser import sign_in, sign_out

INBOX = re.compile(r"/inbox$")
LOGIN = re.compile(r"/login\?next=%2Finbox&notice=expired$")
"""Where a page whose session ended sends the browser: the login page says it expired."""
ALMOST_IDLE = timedelta(hours=1, minutes=59)


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Test settings with the pages' default idle timeout (2 hours)."""
    return Settings(environment="test", secret_key=SECRET, database_url=database_url)


async def test_a_page_used_within_two_hours_stays_open_then_goes_idle(
    page: Page, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    email = world.referrer.email
    await session.commit()
    await sign_in(page, email)
    await expect(page).to_have_url(INBOX)
    for _ in range(3):  # each page renews the session: almost 6 hours of use
        clock.advance(ALMOST_IDLE)
        await page.reload()
        await expect(page).to_have_url(INBOX)

    clock.advance(timedelta(hours=2, seconds=1))
    await page.reload()

    await expect(page).to_have_url(LOGIN)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")
    await expect(page.get_by_role("status")).to_contain_text("Votre session a expiré")


async def test_a_deactivated_users_open_page_falls_back_to_login_at_the_next_click(
    page: Page, world: World, session: AsyncSession
) -> None:
    user = await session.get_one(User, world.referrer.id)
    await session.commit()
    await sign_in(page, user.email)
    await expect(page).to_have_url(INBOX)

    async with transaction(session):  # as the account pages deactivate: with end_sessions
        user.is_active = False
        await end_sessions(session, user)
    await page.reload()

    await expect(page).to_have_url(LOGIN)


async def test_signing_out_ends_the_session_a_copied_cookie_held(
    page: Page, browser: Browser, live_server: str, world: World, session: AsyncSession
) -> None:
    email = world.referrer.email
    await session.commit()
    await sign_in(page, email)
    copy = await page.context.storage_state()  # its cookies, kept somewhere or stolen
    other = await browser.new_context(base_url=live_server, storage_state=copy)
    try:
        elsewhere = await other.new_page()
        await elsewhere.goto("/inbox")
        await expect(elsewhere).to_have_url(INBOX)

        await sign_out(page)
        await elsewhere.reload()

        await expect(elsewhere).to_have_url(LOGIN)
    finally:
        await other.close()
