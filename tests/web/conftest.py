"""Fixtures of the page tests: a live relais on a free port, and Debian's Chromium.

The live server runs in the tests' own event loop, on the test database and clock, so a
test arranges data, drives the browser, moves time and checks the database in one place.
Browser tests are skipped when Chromium or axe-core is missing, unless
``RELAIS_BROWSER_TESTS=required`` (as in CI's PostgreSQL pass), where that is a failure;
``RELAIS_BROWSER_TESTS=off`` skips them (CI's SQLite pass, which runs at the same time on the
same two cores: the pages' database behaviour is covered on both by the HTTP page tests).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from tests.web.http_pages import page_client

HERE = Path(__file__).parent
AXE_SCRIPT = HERE / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(os.environ.get("RELAIS_SCREENSHOTS_DIR", "var/screenshots"))
expect.set_options(timeout=20_000)


def _missing(what: str) -> None:
    message = f"{what} (see .ci/run for how CI installs it)"
    if os.environ.get("RELAIS_BROWSER_TESTS") == "required":
        pytest.fail(message)
    pytest.skip(message)


def chromium_path() -> str | None:
    """Debian's Chromium, or the one ``RELAIS_CHROMIUM`` names."""
    return os.environ.get("RELAIS_CHROMIUM") or shutil.which("chromium")


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One headless Chromium for the whole session."""
    if os.environ.get("RELAIS_BROWSER_TESTS") == "off":
        pytest.skip("browser tests switched off (RELAIS_BROWSER_TESTS=off)")
    executable = chromium_path()
    if executable is None:
        _missing("Chromium is not installed: apt-get install chromium")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable)
        yield launched
        await launched.close()


@pytest.fixture
def axe_script() -> Path:
    """axe-core's script, installed from the npm registry by ``npm ci --prefix tests/web``."""
    if not AXE_SCRIPT.exists():
        _missing("axe-core is not installed: npm ci --prefix tests/web")
    return AXE_SCRIPT


@pytest.fixture
async def live_server(app: FastAPI) -> AsyncIterator[str]:
    """relais served over real HTTP on a free loopback port; its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            # A request still waiting when a test failed must not hold the run forever.
            timeout_graceful_shutdown=5,
        )
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task
    sock.close()


@pytest.fixture
async def context(browser: Browser, live_server: str) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile (no cookies) pointed at the live server, in French."""
    created = await browser.new_context(
        base_url=live_server,
        locale="fr-FR",
        viewport={"width": 1280, "height": 900},
        bypass_csp=True,  # lets the tests inject axe-core into pages that forbid it
    )
    # Generous: CI runs two suites and two browsers at once on two cores.
    created.set_default_timeout(20_000)
    yield created
    await created.close()


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    """A tab of that profile."""
    return await context.new_page()


@pytest.fixture
async def browser_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process HTTP client that keeps cookies and asks for pages, like a browser."""
    async with page_client(app) as client:
        yield client


@pytest.fixture
def screenshots() -> Path:
    """Where the tests save a screenshot of each main page."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
