"""In a real browser: a counsellor writes their name and work phone on « Mon compte », and the
receiving partner reads them on the referral's page, beside the offer's contact (issue 14,
point 6). A third organisation cannot open the page."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from services import referral_service
from tests.factories import World, actor_of, make_offer, referral_create
from tests.web.browser import PHONE, check_accessible, fits_the_width, sign_in, sign_out
from web.form_messages import PHONE as PHONE_MESSAGE


async def test_the_receiver_reads_who_to_call_on_the_case_page(
    page: Page, session: AsyncSession, world: World, clock: FixedClock, axe_script: Path
) -> None:
    offer = await make_offer(
        session, world.receiver, clock.now(), title="Atelier CV", contact_email="ateliers@epi.fr"
    )
    view = await referral_service.create_referral(
        session, actor_of(world.referrer), referral_create(offer), clock.now()
    )
    path = f"/referrals/{view.case.id}"
    referrer, receiver = world.referrer.email, world.receiver_member.email
    outsider = world.outsider_member.email
    await session.commit()

    await sign_in(page, referrer)
    await page.goto("/account")
    await page.get_by_label("Nom et prénom").fill("Suzanne Lenglen")
    await page.get_by_label("Téléphone professionnel").fill("01 44 52 10")
    await page.get_by_role("button", name="Enregistrer mes coordonnées").click()
    await expect(page.get_by_role("alert")).to_have_text(
        f"Il y a 1 erreur dans le formulaire Téléphone professionnel — {PHONE_MESSAGE}"
    )
    await expect(page.locator("#work_phone-erreur")).to_have_text(PHONE_MESSAGE)
    await page.get_by_label("Téléphone professionnel").fill("+33 1 44 52 10 20")
    await page.get_by_role("button", name="Enregistrer mes coordonnées").click()
    await expect(page.get_by_role("status")).to_have_text("Vos coordonnées sont enregistrées.")
    await check_accessible(page, axe_script)
    await sign_out(page)

    await sign_in(page, receiver)
    await page.goto(path)
    contacts = page.get_by_role("region", name="Contacts")
    await expect(contacts).to_contain_text("Orientée par")
    await expect(contacts).to_contain_text("Suzanne Lenglen, Mission locale de Paris")
    await expect(contacts.get_by_role("link", name="01 44 52 10 20")).to_have_attribute(
        "href", "tel:0144521020"
    )
    await expect(contacts.get_by_role("link", name=referrer)).to_have_attribute(
        "href", f"mailto:{referrer}"
    )
    await expect(contacts).to_contain_text("Contact de l'offre")
    await expect(contacts).to_contain_text("EPI Paris Centre")
    await expect(contacts.get_by_role("link", name="ateliers@epi.fr")).to_be_visible()
    await check_accessible(page, axe_script)
    await page.set_viewport_size(PHONE)
    assert await fits_the_width(page)
    await sign_out(page)

    await sign_in(page, outsider)
    answer = await page.goto(path)
    assert answer is not None and answer.status == 404
    await expect(page.get_by_text(re.compile("Lenglen"))).to_have_count(0)
