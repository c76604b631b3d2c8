"""In a real browser, on a phone and a desktop: the referral form sent empty comes back
with its error summary focused, « Erreur : » in the title, and each line of the summary
leads to its field (issue 17, point 1)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Page, ViewportSize, expect
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Referral
from tests.factories import World
from tests.web.browser import DESKTOP, PHONE, check_accessible, fits_the_width, sign_in
from web.form_messages import MISSING_TEXT

FOCUSED_ID = "() => document.activeElement && document.activeElement.id"
FOCUS_ON_SUMMARY = "() => document.activeElement.classList.contains('error-summary')"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1280px"])
async def test_the_empty_referral_form_focuses_its_summary_whose_links_reach_the_fields(
    page: Page, session: AsyncSession, world: World, axe_script: Path, viewport: ViewportSize
) -> None:
    referrer, offer_id = world.referrer.email, world.offer.id
    await session.commit()
    await page.set_viewport_size(viewport)
    await sign_in(page, referrer)
    await page.goto("/referrals/new")
    await page.get_by_role("button", name="Envoyer l'orientation").click()

    summary = page.locator(".error-summary")
    await expect(summary).to_be_visible()
    await expect(page).to_have_title(re.compile(r"^Erreur : Orienter une personne"))
    assert await page.evaluate(FOCUS_ON_SUMMARY)
    heading = summary.get_by_role("heading")
    await expect(heading).to_have_text(re.compile(r"^Il y a \d+ erreurs dans le formulaire$"))
    count = int((await heading.inner_text()).split()[3])
    await expect(summary.get_by_role("listitem")).to_have_count(count)
    await expect(page.locator("#person_first_name")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#person_first_name-erreur")).to_have_text(MISSING_TEXT)
    assert await fits_the_width(page)
    await check_accessible(page, axe_script)

    await summary.get_by_role("link", name=f"Prénom — {MISSING_TEXT}").click()
    assert await page.evaluate(FOCUSED_ID) == "person_first_name"
    await expect(page.get_by_label("Prénom")).to_be_in_viewport()
    await summary.get_by_role("link", name=re.compile("^Offre choisie")).click()
    assert await page.evaluate(FOCUSED_ID) == f"offer-{offer_id}"
    await summary.get_by_role("link", name=re.compile("^Motif de l'orientation")).click()
    assert await page.evaluate(FOCUSED_ID) == "motive"
    assert await session.scalar(select(func.count()).select_from(Referral)) == 0
    await session.rollback()  # on SQLite, a reader holds the write lock until it ends
