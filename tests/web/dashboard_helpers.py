"""Helpers of the dashboard and offer page tests: a client signed in through the login form."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI

from tests.web.http_pages import csrf_of, page_client, sign_in

PARIS = ZoneInfo("Europe/Paris")


def paris(day: int, hour: int = 9, minute: int = 0, month: int = 3) -> datetime:
    """A moment of 2026 in Paris (March by default)."""
    return datetime(2026, month, day, hour, minute, tzinfo=PARIS)


@asynccontextmanager
async def signed_in(app: FastAPI, email: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client signed in as ``email`` through the login form; it keeps its cookies."""
    async with page_client(app) as client:
        await sign_in(client, email)
        yield client


async def post_form(
    client: httpx.AsyncClient, page_path: str, action: str, data: dict[str, str | list[str]]
) -> httpx.Response:
    """Open ``page_path``, then post ``data`` to ``action`` with that page's CSRF token."""
    page = await client.get(page_path)
    assert page.status_code == 200, page.text
    return await client.post(action, data={"csrf_token": csrf_of(page.text), **data})
