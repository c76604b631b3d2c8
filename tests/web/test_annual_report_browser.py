"""The annual report's page in Chromium at 360 and 1280 px: axe-core finds no serious
violation, nothing scrolls sideways, and printing hides the menu and the download link."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.models import OfferSubAxis
from services import referral_service
from tests.factories import World, actor_of, referral_create
from tests.web.browser import DESKTOP, PHONE, capture, check_accessible, fits_the_width, sign_in


async def test_the_report_page_is_accessible_on_a_phone_and_a_desktop(
    browser: Browser,
    live_server: str,
    session: AsyncSession,
    world: World,
    clock: FixedClock,
    axe_script: Path,
    screenshots: Path,
) -> None:
    session.add(OfferSubAxis(offer_id=world.offer.id, sub_axis="2.1"))
    for _ in range(6):
        await referral_service.create_referral(
            session, actor_of(world.referrer), referral_create(world.offer), clock.now()
        )
    await session.commit()
    coordinator = world.coordinator.email
    await session.close()

    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context = await browser.new_context(
            base_url=live_server, viewport=viewport, locale="fr-FR", bypass_csp=True
        )
        page = await context.new_page()
        try:
            await sign_in(page, coordinator)
            await page.goto("/report/2026")
            assert await page.locator("svg.chart").count() >= 2
            assert await fits_the_width(page), f"the report must not scroll sideways ({name})"
            await check_accessible(page, axe_script)
            await capture(page, screenshots, f"annual-report-{name}")
            await page.emulate_media(media="print")
            assert not await page.locator(".main-nav").is_visible()
            assert not await page.get_by_role("link", name="Télécharger le PDF").is_visible()
            assert await page.get_by_role("heading", name="Rapport annuel 2026").is_visible()
        finally:
            await context.close()
