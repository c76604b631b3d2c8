"""The « Plan d'action » page in Chromium, at 360 and 1280 px, with axe-core: the draft with
its forms open as the coordination sees it, and the validated plan as a member reads it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, ViewportSize
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from services import action_plan_service
from tests.factories import actor_of
from tests.states.test_action_plan_transitions import PlanCast, cast  # noqa: F401 - fixture
from tests.web.browser import DESKTOP, PHONE, capture, check_accessible, fits_the_width, sign_in

PAGE = "/action-plan?year=2026"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1280"])
async def test_the_action_plan_page_fits_and_passes_axe(
    viewport: ViewportSize,
    browser: Browser,
    live_server: str,
    axe_script: Path,
    screenshots: Path,
    cast: PlanCast,  # noqa: F811 - the fixture
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    now = clock.now() - timedelta(days=1)
    coordinator = actor_of(cast.world.coordinator)
    async with sessionmaker() as session:
        view = await action_plan_service.create_plan(session, coordinator, 2026, now)
    async with sessionmaker() as session:
        await action_plan_service.add_item(session, coordinator, view.plan.id, cast.item(), now)
    width = viewport["width"]
    for email in (cast.world.coordinator.email, cast.world.referrer.email):
        context = await browser.new_context(
            base_url=live_server, viewport=viewport, locale="fr-FR", bypass_csp=True
        )
        page = await context.new_page()
        try:
            await sign_in(page, email)
            await page.goto(PAGE)
            await page.evaluate(
                "() => document.querySelectorAll('details').forEach(d => d.open = true)"
            )
            assert "Forum de l'emploi des jeunes" in await page.inner_text("main")
            wide = await page.evaluate(
                """() => [...document.querySelectorAll('body *')]
                    .filter(e => e.getBoundingClientRect().right
                                 > document.documentElement.clientWidth)
                    .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)"""
            )
            assert await fits_the_width(page), f"{PAGE} scrolls sideways at {width} px: {wide}"
            await check_accessible(page, axe_script)
            await capture(page, screenshots, f"action-plan-{email.split('@')[0]}-{width}")
        finally:
            await context.close()
