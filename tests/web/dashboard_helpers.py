"""Helpers of the dashboard and offer page tests: a browser-like client that signs in."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI

from tests.factories import PASSWORD

PARIS = ZoneInfo("Europe/Paris")
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def paris(day: int, hour: int = 9, minute: int = 0, month: int = 3) -> datetime:
    """A moment of 2026 in Paris (March by default)."""
    return datetime(2026, month, day, hour, minute, tzinfo=PARIS)


def csrf_of(page: str) -> str:
    """The CSRF token of the first form of ``page``."""
    found = CSRF_INPUT.search(page)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


@asynccontextmanager
async def browser(app: FastAPI, email: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client signed in as ``email`` through the login form; it keeps its cookies."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://relais.test", headers={"Accept": "text/html"}
    ) as client:
        page = await client.get("/login")
        assert page.status_code == 200
        answer = await client.post(
            "/login",
            data={"csrf_token": csrf_of(page.text), "email": email, "password": PASSWORD},
        )
        assert answer.status_code == 303, answer.text
        yield client


async def post_form(
    client: httpx.AsyncClient, page_path: str, action: str, data: dict[str, str | list[str]]
) -> httpx.Response:
    """Open ``page_path``, then post ``data`` to ``action`` with that page's CSRF token."""
    page = await client.get(page_path)
    assert page.status_code == 200, page.text
    return await client.post(action, data={"csrf_token": csrf_of(page.text), **data})
