"""The export of a person's data in Chromium: an accessible document, readable on a 360 px
phone, that prints without the site's header, menu and footer."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from tests.api.person_rights_cast import make_history
from tests.factories import World
from tests.web.browser import PHONE, capture, check_accessible, fits_the_width, sign_in


async def test_the_export_reads_and_prints_as_a_document(
    page: Page,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    world: World,
    axe_script: Path,
    screenshots: Path,
) -> None:
    history = await make_history(world, session, sessionmaker, clock.now())
    await session.commit()

    await sign_in(page, history.dpo.email)
    await page.goto(f"/persons/{history.person_id}")
    await page.get_by_role("link", name="Exporter toutes ses données (droit d'accès)").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Données de Zoé QUATREMER")
    await expect(page.get_by_role("heading", name="Orientations (1)")).to_be_visible()
    await check_accessible(page, axe_script)
    await page.set_viewport_size(PHONE)
    assert await fits_the_width(page)
    await capture(page, screenshots, "person-export")

    await page.emulate_media(media="print")
    await expect(page.locator(".site-header")).to_be_hidden()
    await expect(page.locator(".site-footer")).to_be_hidden()
    await expect(page.get_by_role("link", name="Télécharger la même chose en JSON")).to_be_hidden()
    await expect(page.get_by_role("heading", name="Passages de relais (1)")).to_be_visible()
