"""A referral's whole life in a real browser: created, returned, resubmitted, accepted,
started and completed, each step read back from what the pages show."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Event, Referral
from tests.factories import World
from tests.web.browser import capture, check_accessible, sign_in, sign_out


async def _act(page: Page, trigger: str, label: str) -> None:
    """Open an action's form on the case page (if it has fields) and submit it."""
    form = page.locator(f"form[action$='/actions/{trigger}']")
    summary = page.locator("details.action summary", has_text=label)
    if await summary.count():
        await summary.click()
    await form.get_by_role("button", name=label).click()
    await page.wait_for_load_state()


async def test_a_referral_from_creation_to_completion(
    page: Page, session: AsyncSession, world: World, axe_script: Path, screenshots: Path
) -> None:
    referrer, receiver = world.referrer.email, world.receiver_member.email
    offer_title = world.offer.title
    await session.commit()

    await page.goto("/login")
    await check_accessible(page, axe_script)
    await capture(page, screenshots, "login")

    await _write_it_forgetting_the_consent_first(
        page, session, referrer, offer_title, axe_script, screenshots
    )
    await _return_it_with_a_reason(page, receiver, axe_script, screenshots)
    await _resubmit_it_with_a_clearer_motive(page, referrer)
    await _accept_start_and_complete_it(page, receiver)

    referral = (await session.execute(select(Referral))).scalar_one()
    assert referral.state == "completed"
    triggers = list(
        (
            await session.execute(
                select(Event.trigger).where(Event.case_id == referral.id).order_by(Event.id)
            )
        ).scalars()
    )
    assert triggers == ["create", "submit", "return", "resubmit", "accept", "start", "complete"]


async def _write_it_forgetting_the_consent_first(
    page: Page,
    session: AsyncSession,
    referrer: str,
    offer_title: str,
    axe_script: Path,
    screenshots: Path,
) -> None:
    """The referrer writes the referral, first forgetting the consent attestation."""
    await sign_in(page, referrer)
    await expect(page).to_have_url(re.compile(r"/inbox$"))
    await page.get_by_role("link", name="Orienter une personne").click()
    await page.get_by_label("Mots-clés").fill("EPI")
    await page.get_by_role("button", name="Filtrer les offres").click()
    await page.get_by_label(re.compile(offer_title)).check()
    await page.get_by_label("Prénom").fill("Zoé")
    await page.get_by_label(re.compile(r"^Nom\b")).fill("Quatremer")
    await page.get_by_label("Téléphone de la personne").fill("06 12 34 56 78")
    await page.get_by_label("Motif de l'orientation").fill("Recherche d'un premier emploi")
    await page.get_by_label("Logement").check()
    await check_accessible(page, axe_script)
    await capture(page, screenshots, "create")
    await page.get_by_role("button", name="Envoyer l'orientation").click()
    await expect(page.get_by_role("alert")).to_contain_text("attestation")
    assert (await session.scalar(select(Referral.id))) is None
    await session.rollback()  # on SQLite, a reader holds the write lock until it ends
    await expect(page.get_by_label("Prénom")).to_have_value("Zoé")
    await page.get_by_label(re.compile("J'atteste")).check()
    await page.get_by_role("button", name="Envoyer l'orientation").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("transmise")
    await expect(page.get_by_role("status")).to_contain_text("Orientation envoyée à")
    await sign_out(page)


async def _return_it_with_a_reason(
    page: Page, receiver: str, axe_script: Path, screenshots: Path
) -> None:
    """The receiving partner finds it in the inbox and returns it with a reason."""
    await sign_in(page, receiver)
    row = page.get_by_role("row", name=re.compile("Zoé QUATREMER"))
    await expect(row).to_contain_text("Accepter ou retourner")
    await check_accessible(page, axe_script)
    await capture(page, screenshots, "inbox")
    await row.get_by_role("link").click()
    await expect(page.get_by_text("06 12 34 56 78")).to_be_visible()
    await check_accessible(page, axe_script)
    await capture(page, screenshots, "case")
    await page.locator("details.action summary", has_text="Retourner au prescripteur").click()
    form = page.locator("form[action$='/actions/return']")
    await form.get_by_label("Motif").select_option(label="Informations manquantes")
    await form.get_by_label("Commentaire").fill("Merci de préciser le projet professionnel.")
    await form.get_by_role("button", name="Retourner au prescripteur").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("retournée")
    alert = page.get_by_role("region", name="Retour du partenaire")
    await expect(alert.get_by_text("Merci de préciser le projet professionnel.")).to_be_visible()
    await sign_out(page)


async def _resubmit_it_with_a_clearer_motive(page: Page, referrer: str) -> None:
    """The referrer sees it returned and resubmits it with a clearer motive."""
    await sign_in(page, referrer)
    await page.get_by_role("link", name="Mes orientations").click()
    row = page.get_by_role("row", name=re.compile("Zoé QUATREMER"))
    await expect(row).to_contain_text("retournée")
    await row.get_by_role("link").click()
    await page.locator("details.action summary", has_text="Renvoyer avec les compléments").click()
    form = page.locator("form[action$='/actions/resubmit']")
    await expect(form.get_by_label("Motif de l'orientation")).to_have_value(
        "Recherche d'un premier emploi"
    )
    await form.get_by_label("Motif de l'orientation").fill(
        "Recherche d'un premier emploi de développeuse web, formation ParisCode suivie"
    )
    await form.get_by_role("button", name="Renvoyer avec les compléments").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("transmise")
    await expect(page.get_by_text("formation ParisCode suivie")).to_be_visible()
    await sign_out(page)


async def _accept_start_and_complete_it(page: Page, receiver: str) -> None:
    """The partner accepts, starts and completes it."""
    await sign_in(page, receiver)
    await page.get_by_role("row", name=re.compile("Zoé QUATREMER")).get_by_role("link").click()
    await _act(page, "accept", "Accepter")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("acceptée")
    await _act(page, "start", "Démarrer l'accompagnement")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("en cours")
    await page.locator("details.action summary", has_text="Terminer").click()
    form = page.locator("form[action$='/actions/complete']")
    await form.get_by_label("Issue de l'accompagnement").select_option(
        label="Emploi durable (CDI, ou CDD de 6 mois ou plus)"
    )
    await form.get_by_role("button", name="Terminer").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("terminée")
    await expect(
        page.get_by_role("definition").get_by_text("Emploi durable (CDI, ou CDD de 6 mois ou plus)")
    ).to_be_visible()
