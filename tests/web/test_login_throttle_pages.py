"""Login throttling on the login page: the same rule as the API's, a French 429 page."""

from __future__ import annotations

from datetime import timedelta

import httpx

from core.clock import FixedClock
from tests.factories import PASSWORD, World
from tests.web.http_pages import csrf_of

EMAIL = "conseillere@ml-test.fr"
WRONG = "pas-le-bon-mot-de-passe"


async def _page_login(client: httpx.AsyncClient, password: str) -> httpx.Response:
    token = csrf_of((await client.get("/login")).text)
    return await client.post(
        "/login", data={"csrf_token": token, "email": EMAIL, "password": password}
    )


async def test_the_page_refuses_a_throttled_login_in_french_with_retry_after(
    browser_client: httpx.AsyncClient, world: World, clock: FixedClock
) -> None:
    for _ in range(5):
        assert (await _page_login(browser_client, WRONG)).status_code == 401
    refused = await _page_login(browser_client, PASSWORD)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    assert refused.headers["content-type"].startswith("text/html")
    assert "Trop de tentatives de connexion : par sécurité, réessayez dans 1 minute." in (
        refused.text
    )
    assert f'value="{EMAIL}"' in refused.text  # what was typed is kept, never the password
    assert PASSWORD not in refused.text
    clock.advance(timedelta(seconds=60))
    assert (await _page_login(browser_client, PASSWORD)).status_code == 303


async def test_both_doors_count_under_one_rule(
    browser_client: httpx.AsyncClient, client: httpx.AsyncClient, world: World
) -> None:
    """Failures on the page and on the API add up; each door then refuses the account."""
    for _ in range(3):
        assert (await _page_login(browser_client, WRONG)).status_code == 401
    for _ in range(2):
        answer = await client.post("/auth/jwt/login", data={"username": EMAIL, "password": WRONG})
        assert answer.status_code == 400
    page = await _page_login(browser_client, PASSWORD)
    assert page.status_code == 429
    assert page.headers["Retry-After"] == "60"
    api = await client.post("/auth/jwt/login", data={"username": EMAIL, "password": PASSWORD})
    assert api.status_code == 429
    assert api.headers["Retry-After"] == "60"
    assert api.json()["code"] == "too_many_attempts"
