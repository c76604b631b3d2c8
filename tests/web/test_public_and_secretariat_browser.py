"""In Chromium at 360 and 1280 px with axe-core: the public pages (accessibility statement,
legal notice, « Données personnelles », help), the login page saying why, the secretariat's
« À faire » and a decision whose deciding buttons wait for the meeting (issue 17, 6 and 7)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from playwright.async_api import Page, ViewportSize, expect
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import Role
from tests.conftest import PARIS
from tests.factories import World, make_committee, make_decision, make_meeting, make_user
from tests.web.browser import DESKTOP, PHONE, capture, check_accessible, fits_the_width, sign_in

MEETING_AT = datetime(2026, 3, 5, 14, 0, tzinfo=PARIS)
PUBLIC = ("/accessibilite", "/mentions-legales", "/donnees-personnelles", "/aide")
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}


async def _visit(page: Page, path: str, axe_script: Path) -> None:
    await page.goto(path)
    assert await fits_the_width(page), path
    await check_accessible(page, axe_script)


@pytest.mark.parametrize("size", VIEWPORTS)
async def test_public_pages_and_the_login_reason(
    page: Page, axe_script: Path, screenshots: Path, size: str
) -> None:
    viewport: ViewportSize = VIEWPORTS[size]
    await page.set_viewport_size(viewport)
    for path in PUBLIC:
        await _visit(page, path, axe_script)
        footer = page.get_by_role("contentinfo")
        await expect(
            footer.get_by_role("link", name="Accessibilité : partiellement conforme")
        ).to_be_visible()
    await page.goto("/inbox")
    await expect(page).to_have_url(re.compile(r"/login\?next=%2Finbox&notice=required$"))
    await expect(page.get_by_role("status")).to_have_text(
        "Connectez-vous pour accéder à cette page."
    )
    await check_accessible(page, axe_script)
    await page.get_by_role("link", name="Accessibilité : partiellement conforme").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Déclaration d'accessibilité")
    await capture(page, screenshots, f"accessibility-{size}")


@pytest.mark.parametrize("size", VIEWPORTS)
async def test_the_secretariats_to_do_and_a_decision_waiting_for_its_meeting(
    page: Page,
    axe_script: Path,
    screenshots: Path,
    session: AsyncSession,
    world: World,
    clock: FixedClock,
    size: str,
) -> None:
    now = clock.now()
    secretary = await make_user(session, world.coordination, now, role=Role.SECRETARY)
    committee = await make_committee(session, now, name="Comité technique du PPIE")
    past = await make_meeting(session, committee, datetime(2026, 2, 2, 14, 0, tzinfo=PARIS))
    decision = await make_decision(
        session, committee, world.referrer, MEETING_AT, state="scheduled"
    )
    decision_id, past_id = decision.id, past.id
    await session.commit()

    await page.set_viewport_size(VIEWPORTS[size])
    await sign_in(page, secretary.email)
    await expect(page).to_have_url(re.compile(r"/secretariat$"))
    menu = page.get_by_role("navigation", name="Menu principal")
    if size == "phone":  # the menu waits behind its button
        await page.get_by_role("button", name="Menu").click()
    await expect(menu.get_by_role("link", name="À faire, 1 en attente")).to_be_visible()
    await expect(page.get_by_role("heading", name="Comptes rendus à rédiger (1)")).to_be_visible()
    await expect(page.locator(f"a[href='/meetings/{past_id}']")).to_be_visible()
    assert await fits_the_width(page)
    await check_accessible(page, axe_script)
    await capture(page, screenshots, f"secretariat-{size}")

    await page.goto(f"/decisions/{decision_id}")
    adopt = page.get_by_role("button", name="Adopter")
    await expect(adopt).to_have_attribute("aria-disabled", "true")
    await expect(adopt).to_have_accessible_description(
        "La réunion n'a pas encore eu lieu : possible à partir du jeudi 5 mars 2026 à 14 h."
    )
    assert await fits_the_width(page)
    await check_accessible(page, axe_script)
    await capture(page, screenshots, f"decision-before-meeting-{size}")

    clock.set(MEETING_AT)
    await page.goto("/secretariat")
    await expect(page.get_by_role("heading", name="Décisions à enregistrer (1)")).to_be_visible()
    await check_accessible(page, axe_script)
