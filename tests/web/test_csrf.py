"""A form's CSRF token is bound to the session it was shown in; ``__Host-`` cookies under https.

Regressions (issue 12, finding 11): a token was the HMAC of the browser's secret alone, so a
token shown before signing in, or to another account in the same browser, kept working; and
the cookies could be planted by a neighbouring sub-domain.
"""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.clock import FixedClock
from core.models import Referral
from core.settings import Settings
from relais.app import create_app
from tests.factories import PASSWORD, PASSWORDS, SECRET, World, auth_headers
from tests.web.http_pages import csrf_of, sign_in, submitted_referral

HTTPS = "https://relais.paris.fr"


async def _state(session: AsyncSession, referral_id: int) -> str | None:
    state = await session.scalar(select(Referral.state).where(Referral.id == referral_id))
    await session.rollback()
    return state


async def test_a_token_shown_before_signing_in_is_refused_once_signed_in(
    browser_client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    referral_id = await submitted_referral(session, world, clock)
    email = world.receiver_member.email
    await session.commit()
    before_login = csrf_of((await browser_client.get("/login")).text)
    signed_in = await sign_in(browser_client, email)
    assert signed_in != before_login
    accept = f"/referrals/{referral_id}/actions/accept"
    refused = await browser_client.post(accept, data={"csrf_token": before_login})
    assert refused.status_code == 403
    assert "Formulaire expiré" in refused.text
    assert await _state(session, referral_id) == "submitted"
    accepted = await browser_client.post(accept, data={"csrf_token": signed_in})
    assert accepted.status_code == 303, accepted.text
    assert await _state(session, referral_id) == "accepted"


async def test_a_token_shown_to_one_account_is_refused_to_the_next_in_the_same_browser(
    browser_client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    referral_id = await submitted_referral(session, world, clock)
    outsider, receiver = world.outsider_member.email, world.receiver_member.email
    await session.commit()
    outsiders_token = await sign_in(browser_client, outsider)
    logout = await browser_client.post("/logout", data={"csrf_token": outsiders_token})
    assert logout.status_code == 303
    await sign_in(browser_client, receiver)
    response = await browser_client.post(
        f"/referrals/{referral_id}/actions/accept", data={"csrf_token": outsiders_token}
    )
    assert response.status_code == 403
    assert await _state(session, referral_id) == "submitted"


async def test_over_https_only_host_prefixed_cookies_are_written_and_read(
    world: World, session: AsyncSession, db_engine: AsyncEngine, clock: FixedClock,
    database_url: str,
) -> None:  # fmt: skip
    email, referrer = world.referrer.email, world.referrer
    await session.commit()
    settings = Settings(
        environment="production", secret_key=SECRET, database_url=database_url, base_url=HTTPS
    )
    app = create_app(settings, clock=clock, engine=db_engine, password_helper=PASSWORDS)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=HTTPS) as browser:
        page = await browser.get("/login")
        assert page.headers["set-cookie"].startswith("__Host-relais_csrf=")
        assert page.headers["strict-transport-security"] == "max-age=31536000"
        response = await browser.post(
            "/login", data={"csrf_token": csrf_of(page.text), "email": email, "password": PASSWORD}
        )
        assert response.headers["set-cookie"].startswith("__Host-relais_session=")
        assert (await browser.get("/inbox")).status_code == 200
        token = browser.cookies["__Host-relais_session"]
    # The same token under the plain name, as a sub-domain could plant it, signs no one in.
    bearer = (await auth_headers(referrer))["Authorization"].removeprefix("Bearer ")
    async with httpx.AsyncClient(transport=transport, base_url=HTTPS) as planted:
        for value in (token, bearer):
            planted.cookies.set("relais_session", value)
            inbox = await planted.get("/inbox")
            assert inbox.status_code == 303
            assert inbox.headers["location"].startswith("/login")
