"""Choosing an offer in a real browser (issue 17, point 2), on a phone (360 px) and a
desktop (1280 px): the cards are readable, the page does not scroll sideways, axe-core finds
nothing serious; filtering keeps what was typed; a duplicate asks « Envoyer quand même »."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from playwright.async_api import Page, ViewportSize, expect
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import OfferCategory, Territory
from core.models import Referral
from services import referral_service
from states.referral_fields import PersonFields
from tests.factories import World, actor_of, make_offer, referral_create
from tests.web.browser import DESKTOP, PHONE, capture, check_accessible, fits_the_width, sign_in

LONG_TITLE = "Accompagnement renforcé vers l'emploi durable des habitantes et habitants du quartier"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1280"])
async def test_offer_cards_filters_and_a_confirmed_duplicate(
    page: Page,
    session: AsyncSession,
    world: World,
    clock: FixedClock,
    axe_script: Path,
    screenshots: Path,
    viewport: ViewportSize,
) -> None:
    now = clock.now()
    await make_offer(
        session, world.receiver, now, title=LONG_TITLE, category=OfferCategory("sport"),
        territory=Territory.ARR_18, eligible_publics=["femmes", "rsa"], capacity=8,
        contact_email="accompagnement.renforce.quartier@epi-paris-centre-test.fr",
    )  # fmt: skip
    person = PersonFields(first_name="Zoé", last_name="Quatremer", birth_date=date(1990, 5, 17))
    await referral_service.create_referral(
        session, actor_of(world.referrer), referral_create(world.offer, person=person), now
    )
    await session.commit()

    await page.set_viewport_size(viewport)
    await sign_in(page, world.referrer.email)
    await page.goto("/referrals/new")
    await page.get_by_label("Prénom").fill("Zoé")
    await page.get_by_label(re.compile(r"^Nom\b")).fill("Quatremer")
    await page.get_by_label("Date de naissance").fill("1990-05-17")
    await page.get_by_label("Motif de l'orientation").fill("Reprise d'activité")
    await page.get_by_label("Mots-clés").fill("renforcé")
    await page.get_by_role("button", name="Filtrer les offres").click()

    await expect(page.locator("#offer-count")).to_have_text("1 offre correspond.")
    await expect(page.get_by_label("Prénom")).to_have_value("Zoé")
    await expect(page.get_by_label("Motif de l'orientation")).to_have_value("Reprise d'activité")
    card = page.locator(".offer-choice", has_text=LONG_TITLE)
    await expect(card).to_contain_text("Publics : Femmes, Allocataires du RSA")
    await expect(card).to_contain_text("Places : 8 restantes sur 8")
    assert await fits_the_width(page), "the page scrolls sideways"
    await check_accessible(page, axe_script)
    await capture(page, screenshots, f"offer-cards-{viewport['width']}")

    # Back to every offer; the world's offer, which Zoé is already sent to, is chosen.
    await page.get_by_label("Mots-clés").fill("")
    await page.get_by_role("button", name="Filtrer les offres").click()
    await page.get_by_label(re.compile("Accompagnement en EPI")).check()
    await page.get_by_label(re.compile("J'atteste")).check()
    await page.get_by_role("button", name="Envoyer l'orientation").click()
    await expect(page.get_by_role("alert")).to_contain_text("ouverte vers cette offre")
    assert await fits_the_width(page)
    await check_accessible(page, axe_script)
    assert await session.scalar(select(func.count()).select_from(Referral)) == 1
    await session.rollback()  # on SQLite, a reader holds the write lock until it ends

    await page.get_by_role("button", name="Envoyer quand même").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("transmise")
    assert await session.scalar(select(func.count()).select_from(Referral)) == 2
