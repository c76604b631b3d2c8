"""In a real browser: the referrer says where the person lives and who they are, gets the
offers of the person's arrondissement first without losing what was typed, then sends the
person to an offer whose publics they do not match, with a justification the case keeps."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import Territory
from tests.factories import World, make_offer
from tests.web.browser import capture, check_accessible, sign_in

JUSTIFIED = "Sortie du RSA le mois dernier, la structure l'accepte."


async def test_residence_publics_suggestions_and_a_justified_referral(
    page: Page,
    session: AsyncSession,
    world: World,
    clock: FixedClock,
    axe_script: Path,
    screenshots: Path,
) -> None:
    now = clock.now()
    await make_offer(
        session, world.receiver, now, title="Atelier du 17e", territory=Territory.ARR_17
    )
    await make_offer(
        session, world.receiver, now, title="Atelier du 18e", territory=Territory.ARR_18,
        eligible_publics=["rsa"],
    )  # fmt: skip
    await session.commit()

    await sign_in(page, world.referrer.email)
    await page.goto("/referrals/new")
    titles = page.locator(".offer-choice strong")
    assert (await titles.all_inner_texts())[0] == world.offer.title  # the catalogue's order
    await page.get_by_label("Prénom").fill("Zoé")
    await page.get_by_label(re.compile(r"^Nom\b")).fill("Quatremer")
    await page.get_by_label("Arrondissement de résidence").select_option(label="Paris 18e")
    await page.get_by_label(re.compile("quartier prioritaire")).check()
    await page.get_by_label("Femmes").check()
    await page.get_by_label("Motif de l'orientation").fill("Reprise d'activité")
    await page.get_by_role("button", name=re.compile("offres de son arrondissement")).click()

    # The 18th's offer first, then Paris-wide, then the others; nothing typed is lost.
    await expect(page.locator("#suggestion-order")).to_contain_text("Paris 18e")
    assert await titles.all_inner_texts() == ["Atelier du 18e", world.offer.title, "Atelier du 17e"]
    await expect(page.get_by_label("Prénom")).to_have_value("Zoé")
    await expect(page.get_by_label("Femmes")).to_be_checked()
    await expect(page.get_by_label(re.compile("quartier prioritaire"))).to_be_checked()
    await expect(page.get_by_label("Motif de l'orientation")).to_have_value("Reprise d'activité")
    # Derived publics are never offered to be typed.
    await expect(page.get_by_label("Jeunes", exact=True)).to_have_count(0)
    await check_accessible(page, axe_script)
    await capture(page, screenshots, "referral-suggestions")

    await page.get_by_label(re.compile("Atelier du 18e")).check()
    await page.get_by_label(re.compile("J'atteste")).check()
    await page.get_by_role("button", name="Envoyer l'orientation").click()
    await expect(page.get_by_role("alert")).to_contain_text("Allocataires du RSA")
    await expect(page.get_by_role("alert")).to_contain_text("Résidents en QPV ou FRR")
    await check_accessible(page, axe_script)

    await page.get_by_label(re.compile("^Justification de l'orientation hors publics")).fill(
        JUSTIFIED
    )
    await page.get_by_role("button", name="Envoyer l'orientation").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("transmise")
    await expect(page.get_by_text("Paris 18e — quartier prioritaire (QPV)")).to_be_visible()
    await expect(page.locator(".eligibility-justification")).to_contain_text(JUSTIFIED)
    await expect(page.get_by_text(re.compile("Femmes, Résidents en QPV ou FRR"))).to_be_visible()
    await check_accessible(page, axe_script)
