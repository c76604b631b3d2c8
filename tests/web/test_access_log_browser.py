"""The « Journal des accès » and a case's « Consultations » in Chromium: the DPO searches the
log with the form; axe-core finds no serious violation; nothing scrolls sideways on a phone."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import AccessChannel, Role
from services import access_log, referral_service
from tests.factories import World, actor_of, make_user, referral_create
from tests.web.browser import PHONE, capture, check_accessible, fits_the_width, sign_in, sign_out


async def test_the_dpo_searches_the_log_and_a_coordinator_reads_the_consultations(
    page: Page,
    session: AsyncSession,
    world: World,
    clock: FixedClock,
    axe_script: Path,
    screenshots: Path,
) -> None:
    now = clock.now()
    view = await referral_service.create_referral(
        session, actor_of(world.referrer), referral_create(world.offer), now
    )
    referral_id, reference = view.case.id, view.case.reference
    await access_log.record_access(
        session, actor_of(world.receiver_member), person_id=view.case.person_id,
        case_kind="referral", case_id=referral_id, channel=AccessChannel.PAGE,
        health_data=True, now=now,
    )  # fmt: skip
    dpo = await make_user(session, world.coordination, now, role=Role.DPO)
    dpo_email, coordinator_email = dpo.email, world.coordinator.email
    await session.close()

    await page.set_viewport_size(PHONE)
    await sign_in(page, dpo_email)
    assert page.url.endswith("/access-log")
    await page.get_by_label("Personne (numéro de fiche ou référence d'un dossier)").fill(reference)
    await page.get_by_role("button", name="Rechercher").click()
    await page.wait_for_load_state()
    table = page.get_by_role("table", name="Lectures des données des personnes")
    assert await table.get_by_role("row").count() == 2  # the header and the member's read
    assert "données de santé" in await table.inner_text()
    assert await fits_the_width(page), "the log must not scroll sideways on a phone"
    await check_accessible(page, axe_script)
    await capture(page, screenshots, "access-log-phone")
    await sign_out(page)

    await sign_in(page, coordinator_email)
    await page.goto(f"/referrals/{referral_id}")
    consultations = page.get_by_role("table", name="Qui a consulté ce dossier")
    assert world.receiver.name in await consultations.inner_text()
    assert await fits_the_width(page), "the case page must not scroll sideways on a phone"
    await check_accessible(page, axe_script)
