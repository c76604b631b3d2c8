"""Project group pages in Chromium: the form and the committee page at 360 px, with axe-core;
an error is announced next to its field."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from playwright.async_api import Browser
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import Role
from tests.factories import World, make_committee, make_user
from tests.web.browser import PHONE, capture, check_accessible, fits_the_width, sign_in


async def test_project_group_pages_fit_a_phone_and_pass_axe(
    browser: Browser,
    live_server: str,
    session: AsyncSession,
    world: World,
    clock: FixedClock,
    axe_script: Path,
    screenshots: Path,
) -> None:
    secretary = await make_user(session, world.coordination, clock.now(), role=Role.SECRETARY)
    group = await make_committee(
        session, clock.now(), kind="projet", name="Groupe projet numérique",
        lead=world.receiver, mandate="Cartographier les lieux d'inclusion numérique",
        ends_on=date(2026, 6, 30), members=(world.sender, world.receiver),
    )  # fmt: skip
    await session.commit()
    context = await browser.new_context(
        base_url=live_server, viewport=PHONE, locale="fr-FR", bypass_csp=True
    )
    page = await context.new_page()
    try:
        await sign_in(page, secretary.email)
        for path in ("/project-groups/new", f"/committees/{group.id}/project"):
            await page.goto(path)
            assert await fits_the_width(page), path
            await check_accessible(page, axe_script)
        await page.goto(f"/committees/{group.id}")
        assert await fits_the_width(page)
        await check_accessible(page, axe_script)
        assert await page.get_by_text("mardi 30 juin 2026").count() == 1
        # Sent without a lead partner: the page comes back with the field's error, accessible.
        await page.goto("/project-groups/new")
        await page.locator("#name").fill("Groupe projet mobilité")
        await page.get_by_role("button", name="Créer le groupe projet").click()
        await page.wait_for_load_state()
        errors = await page.locator("[id$='-erreur']").evaluate_all("e => e.map(x => x.id)")
        assert errors == ["lead_organisation_id-erreur"], (errors, await page.inner_text("main"))
        await check_accessible(page, axe_script)
        await capture(page, screenshots, "project-group-form-error-phone")
    finally:
        await context.close()
