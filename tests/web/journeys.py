"""A role's tab in the journeys: every page it loads is audited with axe-core (and measured
at 360 px), so "axe-core on every page the journeys visit" holds by construction."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.async_api import Browser, Locator, Page, ViewportSize, expect

from tests.factories import PASSWORD
from tests.web.browser import DESKTOP, PHONE, capture, check_accessible, fits_the_width

VIEWPORTS: dict[str, ViewportSize] = {"phone": PHONE, "desktop": DESKTOP}


@dataclass(frozen=True)
class Screen:
    """The screen a journey runs on (``phone`` or ``desktop``), and where its files go."""

    size: str
    axe_script: Path
    screenshots: Path


class Visitor:
    """One person's tab: navigates only through ``goto`` and ``follow``, which audit the page
    they land on; a ``load`` listener records every page loaded, to prove none was skipped."""

    def __init__(self, page: Page, screen: Screen) -> None:
        self.page = page
        self.size = screen.size
        self.axe_script = screen.axe_script
        self.screenshots = screen.screenshots
        self.loaded: list[str] = []
        self.audited: set[str] = set()
        page.on("load", lambda loaded: self.loaded.append(loaded.url))

    async def audit(self) -> None:
        """Check the page now shown: 0 serious or critical violation, no sideways scroll."""
        await check_accessible(self.page, self.axe_script)
        if self.size == "phone":
            assert await fits_the_width(self.page), f"{self.page.url} scrolls sideways"
        self.audited.add(self.page.url)

    async def goto(self, path: str) -> None:
        """Open ``path`` as if typed in the address bar, and audit it."""
        await self.page.goto(path)
        await self.audit()

    async def follow(self, target: Locator) -> None:
        """Click a link or a form's button that leads to another page, and audit that page."""
        async with self.page.expect_navigation():
            await target.click()
        await self.audit()

    async def menu(self, name: str | re.Pattern[str]) -> None:
        """Follow a link of the main menu, opening it first on a phone (it hides there)."""
        menu = self.page.get_by_role("navigation", name="Menu principal")
        if self.size == "phone":
            await self.page.get_by_role("button", name="Menu").click()
        await self.follow(menu.get_by_role("link", name=name))

    async def open_action(self, summary: str) -> None:
        """Unfold a case page's action (a ``details`` holding its form)."""
        await self.page.locator("details.action summary", has_text=summary).click()

    async def capture(self, name: str) -> None:
        """Save a screenshot, ``name`` at 1280 px and ``name-phone`` at 360 px."""
        await capture(
            self.page, self.screenshots, name if self.size == "desktop" else f"{name}-phone"
        )

    def assert_every_page_audited(self) -> None:
        """Every page this tab loaded went through ``audit``."""
        assert self.loaded, "the tab loaded no page"
        skipped = [url for url in self.loaded if url not in self.audited]
        assert skipped == [], f"pages loaded without an audit: {skipped}"


@asynccontextmanager
async def signed_in(
    browser: Browser,
    base_url: str,
    email: str,
    screen: Screen,
) -> AsyncIterator[Visitor]:
    """A fresh profile on ``screen``, signed in as ``email`` through the login page."""
    context = await browser.new_context(
        base_url=base_url, viewport=VIEWPORTS[screen.size], locale="fr-FR", bypass_csp=True
    )
    context.set_default_timeout(20_000)
    try:
        visitor = Visitor(await context.new_page(), screen)
        await visitor.goto("/login")
        await visitor.page.get_by_label("Adresse email professionnelle").fill(email)
        await visitor.page.get_by_label("Mot de passe").fill(PASSWORD)
        await visitor.follow(visitor.page.get_by_role("button", name="Se connecter"))
        await expect(visitor.page).not_to_have_url(re.compile(r"/login"))
        yield visitor
        visitor.assert_every_page_audited()
    finally:
        await context.close()
