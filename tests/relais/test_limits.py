"""Issue 12, finding 2: request bodies are bounded, and an anonymous body is never parsed.

Through the whole application over ASGI. A spy between the client and relais counts the body
bytes relais asks for, so that « refused before it is read » is checked, not assumed; a route
added for the test records whether a handler ran and what it received.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import Message, Receive, Scope, Send

from core.clock import FixedClock
from core.models import Referral
from core.settings import Settings
from relais.app import create_app
from relais.limits import LOGIN_ONLY_PREFIX
from services.auth import current_active_user
from tests.factories import World, auth_headers, referral_json

LIMIT = 1024 * 1024  # RELAIS_MAX_BODY_BYTES's default
CHUNK = 64 * 1024
HTML = {"Accept": "text/html"}


@dataclass
class Spy:
    """An ASGI wrapper that counts the body bytes the application read from the client."""

    app: FastAPI
    bytes_read: int = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, counting what the application receives."""

        async def counting() -> Message:
            message = await receive()
            self.bytes_read += len(message.get("body", b""))
            return message

        await self.app(scope, counting, send)


@dataclass
class Handler:
    """What the test route saw: calls begun, and the sizes of the bodies it read in full."""

    calls: int = 0
    bodies: list[int] = field(default_factory=list)


@pytest.fixture
def handler(app: FastAPI) -> Handler:
    """A ``POST /echo`` route on the application that reads its whole body."""
    seen = Handler()

    async def echo(request: Request) -> dict[str, int]:
        seen.calls += 1
        body = await request.body()
        seen.bodies.append(len(body))
        return {"size": len(body)}

    app.add_api_route("/echo", echo, methods=["POST"])
    return seen


@pytest.fixture
def spy(app: FastAPI) -> Spy:
    """The spy on the test application."""
    return Spy(app)


@pytest.fixture
async def spied(spy: Spy) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests go through the spy."""
    transport = httpx.ASGITransport(app=spy)
    async with httpx.AsyncClient(transport=transport, base_url="http://relais.test") as client:
        yield client


async def _chunks(total: int, sent: list[int]) -> AsyncIterator[bytes]:
    """``total`` bytes in chunks of ``CHUNK``, sent without a length; ``sent`` counts them."""
    while sum(sent) < total:
        piece = b"x" * min(CHUNK, total - sum(sent))
        sent.append(len(piece))
        yield piece


async def test_a_body_one_byte_over_the_limit_is_refused_unread(
    spied: httpx.AsyncClient, spy: Spy, handler: Handler
) -> None:
    response = await spied.post("/echo", content=b"x" * (LIMIT + 1))

    assert response.status_code == 413
    assert response.json() == {
        "code": "too_large",
        "detail": "Corps de requête trop volumineux : 1\u202f048\u202f576 octets au plus.",
    }
    assert spy.bytes_read == 0
    assert handler.calls == 0


async def test_a_body_of_exactly_the_limit_goes_through(
    spied: httpx.AsyncClient, handler: Handler
) -> None:
    response = await spied.post("/echo", content=b"x" * LIMIT)
    assert response.status_code == 200, response.text
    sent: list[int] = []
    streamed = await spied.post("/echo", content=_chunks(LIMIT, sent))
    assert streamed.status_code == 200, streamed.text
    assert handler.bodies == [LIMIT, LIMIT]


async def test_a_chunked_body_is_refused_once_past_the_limit_and_no_further_read(
    spied: httpx.AsyncClient, spy: Spy, handler: Handler
) -> None:
    sent: list[int] = []
    response = await spied.post("/echo", content=_chunks(16 * LIMIT, sent))

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    # Read up to the chunk that went past the limit, and not a chunk more.
    assert spy.bytes_read == LIMIT + CHUNK
    assert sum(sent) <= LIMIT + 2 * CHUNK
    assert handler.bodies == []


async def test_a_browser_gets_a_french_page(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    form = {**HTML, "Content-Type": "application/x-www-form-urlencoded"}
    too_long = "motive=" + "x" * LIMIT
    response = await client.post("/referrals/new", content=too_long.encode(), headers=form)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "Envoi trop volumineux" in response.text
    assert "rien n'a été enregistré" in response.text.replace("&#39;", "'")
    sent: list[int] = []
    streamed = await client.post("/referrals/new", content=_chunks(2 * LIMIT, sent), headers=form)
    assert streamed.status_code == 413
    assert "Envoi trop volumineux" in streamed.text


async def test_an_authenticated_api_call_over_the_limit_writes_nothing(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    body = {**referral_json(world.offer), "motive": "x" * LIMIT}
    response = await client.post(
        "/api/referrals", json=body, headers=await auth_headers(world.referrer)
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert await session.scalar(select(func.count()).select_from(Referral)) == 0


@pytest.mark.parametrize(
    "authorization", [None, "Bearer not-a-token", "Basic Y29uc2VpbGxlcmU6c2VjcmV0"]
)
async def test_an_anonymous_body_is_refused_401_before_it_is_read(
    spied: httpx.AsyncClient, spy: Spy, world: World, authorization: str | None
) -> None:
    invalid_json = b"{" + b"x" * (LIMIT // 2)
    headers = {"Content-Type": "application/json"}
    if authorization:
        headers["Authorization"] = authorization
    response = await spied.post("/api/referrals", content=invalid_json, headers=headers)

    assert response.status_code == 401, response.text
    assert response.json()["code"] == "not_authenticated"
    assert spy.bytes_read == 0
    sent: list[int] = []
    streamed = await spied.post("/api/referrals", content=_chunks(LIMIT, sent), headers=headers)
    assert streamed.status_code == 401
    assert spy.bytes_read == 0


async def test_a_token_whose_session_ended_is_refused_before_the_body_is_read(
    spied: httpx.AsyncClient, spy: Spy, world: World
) -> None:
    """Who is logged in is the application's own check: a logged-out token is anonymous."""
    headers = await auth_headers(world.referrer)
    assert (await spied.post("/auth/jwt/logout", headers=headers)).status_code == 204
    spy.bytes_read = 0
    response = await spied.post(
        "/api/referrals",
        content=b"{" + b"x" * 1000,
        headers={**headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 401, response.text
    assert spy.bytes_read == 0


async def test_a_logged_in_caller_still_gets_the_api_answers(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = await auth_headers(world.referrer)
    invalid = await client.post(
        "/api/referrals",
        content=b"{" + b"x" * 1000,
        headers={**headers, "Content-Type": "application/json"},
    )
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["field"] == "body"
    created = await client.post("/api/referrals", json=referral_json(world.offer), headers=headers)
    assert created.status_code == 201, created.text


async def test_the_limit_is_the_setting(
    settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAIS_MAX_BODY_BYTES", "4096")
    smaller = Settings(**settings.model_dump(exclude={"max_body_bytes"}))
    assert smaller.max_body_bytes == 4096
    app = create_app(smaller, clock=clock)
    app.add_api_route("/echo", _size, methods=["POST"])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://relais.test"
    ) as client:
        assert (await client.post("/echo", content=b"x" * 4096)).json() == {"size": 4096}
        refused = await client.post("/echo", content=b"x" * 4097)
    assert refused.status_code == 413
    assert "4\u202f096 octets au plus" in refused.json()["detail"]


async def _size(request: Request) -> dict[str, int]:
    return {"size": len(await request.body())}


def _needs_login(dependant: Dependant) -> bool:
    return dependant.call is current_active_user or any(
        _needs_login(inner) for inner in dependant.dependencies
    )


def test_every_api_route_needs_a_login(app: FastAPI) -> None:
    """The middleware refuses an anonymous body anywhere under ``/api/``: true of every route.

    A route there that answers anonymous callers must be let through by the middleware first.
    """
    api_routes = [
        context
        for context in iter_route_contexts(app.routes)
        if (context.path_format or "").startswith(LOGIN_ONLY_PREFIX)
    ]
    assert len(api_routes) > 40
    for context in api_routes:
        route = context.original_route
        assert isinstance(route, APIRoute)
        assert _needs_login(route.dependant), context.path_format
