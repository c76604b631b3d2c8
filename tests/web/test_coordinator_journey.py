"""A coordinator in a real browser: an overdue referral on the dashboard, then its CSV."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from datetime import timedelta
from pathlib import Path

from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from services import referral_service
from tests.factories import World, actor_of, referral_create
from tests.web.browser import capture, check_accessible, sign_in


async def test_a_coordinator_finds_the_overdue_referral_and_exports_it(
    page: Page,
    session: AsyncSession,
    world: World,
    clock: FixedClock,
    axe_script: Path,
    screenshots: Path,
) -> None:
    view = await referral_service.create_referral(
        session, actor_of(world.referrer), referral_create(world.offer), clock.now()
    )
    reference, referral_id = view.case.reference, view.case.id
    coordinator, waiting_on = world.coordinator.email, world.receiver.name
    await session.commit()
    # Submitted on Monday 2 March; nobody answered: the escalation fell due after 5
    # business days, and on Thursday 12 March it is 3 business days overdue.
    clock.advance(timedelta(days=10))

    await sign_in(page, coordinator)
    await expect(page).to_have_url(re.compile(r"/dashboard$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord")
    group = page.get_by_role("heading", level=3, name=re.compile(waiting_on))
    await expect(group).to_contain_text("1 dossier")
    row = page.get_by_role("row", name=re.compile(reference))
    await expect(row).to_contain_text("3 jours ouvrés")
    await expect(row).to_contain_text("Accepter ou retourner l'orientation")
    chart = page.get_by_role("img", name=re.compile("structure", re.IGNORECASE)).first
    await expect(chart).to_be_visible()
    await check_accessible(page, axe_script)
    await capture(page, screenshots, "dashboard")

    async with page.expect_download() as started:
        await page.get_by_role("link", name=re.compile("Exporter en CSV")).click()
    download = await started.value
    saved = Path(await download.path())
    text = await asyncio.to_thread(saved.read_text, encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][0].lower().startswith("référence")
    assert [cells[0] for cells in rows[1:]] == [reference]
    assert waiting_on in rows[1]

    await row.get_by_role("link", name=reference).click()
    await expect(page).to_have_url(re.compile(rf"/referrals/{referral_id}$"))
    await expect(page.get_by_text("Signalement à la coordination")).to_be_visible()
    await expect(page.locator("li.overdue")).to_have_count(2)  # reminder and escalation
    # A coordinator may send it to another offer from there.
    reassign = page.locator("details.action summary", has_text="Réorienter vers une autre offre")
    await expect(reassign).to_be_visible()
    review = page.locator("details.action summary", has_text="comité technique")
    await expect(review).to_be_visible()
    await review.click()
    await check_accessible(page, axe_script)
