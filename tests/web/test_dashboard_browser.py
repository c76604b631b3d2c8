"""The dashboard, the dead letters and the offer form in Chromium: axe-core finds no serious
violation, and nothing scrolls sideways on a 360 px phone (charts and tables scroll inside
their own frame)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from playwright.async_api import Browser
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import OutboxStatus, Role
from core.models import OutboxMessage
from services import referral_service
from tests.factories import World, actor_of, make_user, referral_create
from tests.web.browser import (
    DESKTOP,
    PHONE,
    capture,
    check_accessible,
    fits_the_width,
    sign_in,
)
from tests.web.dashboard_helpers import paris


async def _dead_letter(session: AsyncSession, now: datetime) -> None:
    session.add(
        OutboxMessage(
            idempotency_key="event:referral-1:submit:browser",
            message="referral.submitted",
            case_kind="referral",
            case_id=1,
            recipient_email="accueil@invalide.test",
            context={"reference": "OR-2026-000001", "offer_title": "Accompagnement en EPI"},
            status=OutboxStatus.DEAD,
            attempts=8,
            next_attempt_at=now,
            last_error="550 boîte inconnue",
            created_at=now,
        )
    )
    await session.commit()


async def test_dashboard_dead_letters_and_offer_form_are_accessible_on_a_phone(
    browser: Browser,
    live_server: str,
    session: AsyncSession,
    world: World,
    clock: FixedClock,
    axe_script: Path,
    screenshots: Path,
) -> None:
    await referral_service.create_referral(
        session, actor_of(world.referrer), referral_create(world.offer), clock.now()
    )
    await _dead_letter(session, clock.now())
    org_admin = await make_user(session, world.receiver, clock.now(), role=Role.ORG_ADMIN)
    coordinator, admin_email, offer_id = world.coordinator.email, org_admin.email, world.offer.id
    await session.close()
    clock.set(paris(10, 10))

    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context = await browser.new_context(
            base_url=live_server, viewport=viewport, locale="fr-FR", bypass_csp=True
        )
        page = await context.new_page()
        try:
            await sign_in(page, coordinator)
            for path, shot in (("/dashboard", "dashboard"), ("/dashboard/outbox", "outbox")):
                await page.goto(path)
                await page.evaluate(
                    "() => document.querySelectorAll('details').forEach(d => d.open = true)"
                )
                assert await fits_the_width(page), f"{path} must not scroll sideways ({name})"
                await check_accessible(page, axe_script)
                await capture(page, screenshots, f"{shot}-{name}")
            if viewport is DESKTOP:  # once: the message is then back in line
                await page.get_by_role("button", name="Renvoyer").click()
                await page.wait_for_url("**/dashboard/outbox?renvoye=*")
                await check_accessible(page, axe_script)
        finally:
            await context.close()

    context = await browser.new_context(
        base_url=live_server, viewport=PHONE, locale="fr-FR", bypass_csp=True
    )
    page = await context.new_page()
    try:
        await sign_in(page, admin_email)
        await page.goto(f"/offers/{offer_id}")
        await page.get_by_label("Expiration de l'orientation sans réponse après").fill("2")
        await page.get_by_role("button", name="Enregistrer").click()
        await page.wait_for_load_state()
        assert await page.locator("#escalation_days-erreur").is_visible()
        assert await fits_the_width(page)
        await check_accessible(page, axe_script)
        await capture(page, screenshots, "offer-refused-phone")
        for path in ("/offers", "/offers/new"):
            await page.goto(path)
            assert await fits_the_width(page), f"{path} must not scroll sideways"
            await check_accessible(page, axe_script)
    finally:
        await context.close()
