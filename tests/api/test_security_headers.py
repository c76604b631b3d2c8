"""Headers on every answer: personal data never cached nor sniffed, https remembered, and no
interactive documentation pulling scripts from a CDN in production.

Regression (issue 12, finding 11): API answers carried neither ``Cache-Control: no-store``
nor ``X-Content-Type-Options: nosniff``, no HSTS under https, and ``/docs`` loaded Swagger UI
from a CDN in production.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.clock import FixedClock
from core.settings import Settings
from relais.app import create_app
from tests.factories import PASSWORD, PASSWORDS, SECRET, World, auth_headers

HTTPS = "https://relais.paris.fr"


def _client(settings: Settings, engine: AsyncEngine, clock: FixedClock) -> httpx.AsyncClient:
    app = create_app(settings, clock=clock, engine=engine, password_helper=PASSWORDS)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=settings.base_url)


async def test_api_answers_are_never_cached_nor_sniffed(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    headers = await auth_headers(world.referrer)
    email = world.referrer.email
    await session.commit()
    answers = [
        await client.get("/users/me", headers=headers),
        await client.get("/api/referrals", headers=headers),
        await client.get("/api/referrals"),
        await client.get("/api/referrals/999999", headers=headers),
        await client.post("/auth/jwt/login", data={"username": email, "password": PASSWORD}),
        await client.get("/openapi.json"),
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 401, 404, 200, 200]
    for answer in answers:
        assert answer.headers["cache-control"] == "no-store", answer.request.url
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "strict-transport-security" not in answer.headers


async def test_static_assets_stay_cacheable_but_not_sniffed(client: httpx.AsyncClient) -> None:
    asset = await client.get("/static/relais.css")
    assert asset.status_code == 200
    assert "no-store" not in asset.headers.get("cache-control", "")
    assert asset.headers["x-content-type-options"] == "nosniff"


async def test_https_answers_carry_hsts(
    db_engine: AsyncEngine, clock: FixedClock, database_url: str
) -> None:
    settings = Settings(
        environment="production", secret_key=SECRET, database_url=database_url, base_url=HTTPS
    )
    async with _client(settings, db_engine, clock) as client:
        for path in ("/healthz", "/api/referrals", "/login", "/static/relais.css"):
            answer = await client.get(path)
            assert answer.headers["strict-transport-security"] == "max-age=31536000", path


@pytest.mark.parametrize(
    ("environment", "docs"), [("production", 404), ("test", 200), ("development", 200)]
)
async def test_interactive_docs_only_outside_production(
    db_engine: AsyncEngine, clock: FixedClock, database_url: str, environment: str, docs: int
) -> None:
    settings = Settings(
        environment=environment, secret_key=SECRET, database_url=database_url, base_url=HTTPS
    )
    async with _client(settings, db_engine, clock) as client:
        assert (await client.get("/docs")).status_code == docs
        assert (await client.get("/redoc")).status_code == docs
        schema = await client.get("/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "relais"
