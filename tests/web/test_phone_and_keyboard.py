"""The pages on a 360 px phone and with the keyboard alone."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from services import referral_service
from tests.factories import PASSWORD, World, actor_of, referral_create
from tests.web.browser import PHONE, capture, check_accessible, fits_the_width


async def _focused(page: Page) -> dict[str, str]:
    found: dict[str, str] = await page.evaluate(
        """() => {
            const element = document.activeElement;
            const style = getComputedStyle(element);
            return {text: (element.textContent || '').trim(), id: element.id,
                    outline: style.outlineStyle, width: style.outlineWidth};
        }"""
    )
    return found


async def test_a_partner_signs_in_and_acts_with_the_keyboard_on_a_phone(
    browser: Browser,
    live_server: str,
    session: AsyncSession,
    world: World,
    clock: FixedClock,
    axe_script: Path,
    screenshots: Path,
) -> None:
    view = await referral_service.create_referral(
        session, actor_of(world.referrer), referral_create(world.offer), clock.now()
    )
    referral_id, email = view.case.id, world.receiver_member.email
    await session.commit()
    context = await browser.new_context(
        base_url=live_server, viewport=PHONE, locale="fr-FR", bypass_csp=True
    )
    page = await context.new_page()
    try:
        await page.goto("/login")
        await page.keyboard.press("Tab")
        skip = await _focused(page)
        assert skip["text"] == "Aller au contenu"
        assert skip["outline"] != "none", "the focused link must show where the focus is"
        await page.keyboard.press("Tab")
        await page.keyboard.press("Tab")
        assert (await _focused(page))["id"] == "email"
        await page.keyboard.type(email)
        await page.keyboard.press("Tab")
        assert (await _focused(page))["id"] == "password"
        await page.keyboard.type(PASSWORD)
        await page.keyboard.press("Enter")
        await expect(page).to_have_url(re.compile(r"/inbox$"))
        assert await fits_the_width(page), "the inbox must not scroll sideways at 360 px"
        await check_accessible(page, axe_script)
        await capture(page, screenshots, "inbox-phone")

        await page.goto(f"/referrals/{referral_id}")
        assert await fits_the_width(page), "the case page must not scroll sideways at 360 px"
        await check_accessible(page, axe_script)
        summary = page.locator("details.action summary", has_text="Accepter")
        await summary.focus()
        assert (await _focused(page))["outline"] != "none"
        await page.keyboard.press("Enter")  # opens the action's form
        for _press in range(12):  # through the date's parts to the form's button
            await page.keyboard.press("Tab")
            if (await _focused(page))["text"] == "Accepter":
                break
        assert (await _focused(page))["text"] == "Accepter"
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", level=1)).to_contain_text("acceptée")
        await capture(page, screenshots, "case-phone")
    finally:
        await context.close()
