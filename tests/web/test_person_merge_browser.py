"""A coordinator merges two records of one person in Chromium: the person's page lists the
duplicate, the confirmation page shows both records side by side (accessible, and readable
on a 360 px phone), and confirming merges them."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.models import Person, Referral
from tests.factories import World
from tests.web.browser import PHONE, capture, check_accessible, fits_the_width, sign_in
from tests.web.test_person_pages import _duplicates


async def test_the_merge_is_confirmed_after_comparing_both_records(
    page: Page,
    session: AsyncSession,
    clock: FixedClock,
    world: World,
    axe_script: Path,
    screenshots: Path,
) -> None:
    kept, merged = await _duplicates(session, world, clock)
    await session.commit()

    await sign_in(page, world.coordinator.email)
    await page.goto(f"/persons/{kept}")
    duplicates = page.get_by_role("table", name="Fiches qui pourraient désigner la même personne")
    await expect(duplicates.get_by_role("row", name=re.compile(f"n° {merged}"))).to_be_visible()
    await duplicates.get_by_role("link", name="Comparer et fusionner").click()

    comparison = page.get_by_role("table", name="Les deux fiches côte à côte")
    await expect(comparison.get_by_role("columnheader")).to_have_text(
        ["Champ", f"Fiche conservée (n° {kept})", f"Fiche fusionnée (n° {merged})"]
    )
    await expect(
        comparison.get_by_role("row", name=re.compile("Numéro allocataire CAF"))
    ).to_contain_text("1234567")
    await check_accessible(page, axe_script)
    await page.set_viewport_size(PHONE)
    assert await fits_the_width(page)
    await capture(page, screenshots, "person-merge")

    await page.get_by_role("button", name="Confirmer la fusion").click()

    await expect(page.get_by_role("status")).to_contain_text("Les deux fiches ont été fusionnées")
    await expect(page).to_have_url(re.compile(f"/persons/{kept}\\?fait=fusion$"))
    assert await session.get(Person, merged) is None
    assert set(await session.scalars(select(Referral.person_id))) == {kept}
