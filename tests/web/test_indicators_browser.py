"""The « Indicateurs » page in Chromium at 360 and 1280 px, for a coordinator and an org
admin: axe-core finds no serious or critical violation, nothing scrolls sideways on a phone,
and the charts' texts are drawn large enough to read there."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import Role
from tests.factories import World, make_user
from tests.web.browser import DESKTOP, PHONE, capture, check_accessible, sign_in
from tests.web.indicator_helpers import install_sample

SMALLEST_READABLE_PX = 9.5
"""The smallest rendered size of a chart's text on a 360 px phone."""


async def test_the_indicators_page_is_accessible_and_fits_a_phone(
    browser: Browser,
    live_server: str,
    session: AsyncSession,
    world: World,
    clock: FixedClock,
    axe_script: Path,
    screenshots: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    install_sample(monkeypatch)
    org_admin = await make_user(session, world.receiver, clock.now(), role=Role.ORG_ADMIN)
    emails = {"coordination": world.coordinator.email, "structure": org_admin.email}
    await session.close()

    for who, email in emails.items():
        for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            context = await browser.new_context(
                base_url=live_server, viewport=viewport, locale="fr-FR", bypass_csp=True
            )
            context.set_default_timeout(20_000)
            page = await context.new_page()
            try:
                await sign_in(page, email)
                if viewport is PHONE:  # the menu waits behind its button
                    await page.get_by_role("button", name="Menu").click()
                await page.get_by_role("link", name="Indicateurs").click()
                await page.wait_for_url("**/indicators")
                await page.evaluate(
                    "() => document.querySelectorAll('details').forEach(d => d.open = true)"
                )
                assert await page.locator("svg[role=img]").count() == 3
                width = await page.evaluate(
                    "() => [document.documentElement.scrollWidth, window.innerWidth]"
                )
                assert width[0] <= width[1], f"{who} {name}: the page scrolls sideways {width}"
                smallest = await page.evaluate(
                    "() => Math.min(...[...document.querySelectorAll('svg.chart text')]"
                    ".map(t => t.getBoundingClientRect().height))"
                )
                overflow = await page.evaluate(
                    "() => [...document.querySelectorAll('svg.chart-fluid')].flatMap(svg => {"
                    " const box = svg.getBoundingClientRect();"
                    " return [...svg.querySelectorAll('text')].filter(t => {"
                    " const r = t.getBoundingClientRect();"
                    " return r.left < box.left - 1 || r.right > box.right + 1; })"
                    ".map(t => t.textContent); })"
                )
                assert overflow == [], f"{who} {name}: chart texts cut {overflow}"
                if viewport is PHONE:
                    assert smallest >= SMALLEST_READABLE_PX, f"chart text {smallest}px"
                await check_accessible(page, axe_script)
                await capture(page, screenshots, f"indicators-{who}-{name}")
            finally:
                await context.close()
