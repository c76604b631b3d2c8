"""Issue 17's acceptance, in Chromium at 360 and 1280 px: each role's journey, with axe-core
(0 serious or critical) and, on the phone, no sideways scroll on every page it visits.

A referrer writes two referrals (the form's errors first), the receiving partner accepts one
and returns the other, the referrer resubmits it with a reply, it expires unanswered and the
referrer redirects it to another offer; the coordinator reads the dashboard; the secretariat
plans a meeting, records its decision and publishes its minutes. Each role has one browser
profile; ``Visitor`` audits every page it loads (see tests/web/journeys.py).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import Role
from core.models import Decision, Meeting, Referral
from states.registry import LIFECYCLES
from tests.conftest import PARIS
from tests.factories import World, make_committee, make_decision, make_offer, make_user
from tests.web.journeys import VIEWPORTS, Screen, Visitor, signed_in
from workflows.sweep import sweep_due

OTHER_OFFER = "Chantier d'insertion du 18e"
REPLY = "Le CV et la lettre de motivation sont maintenant au dossier."


async def _write(visitor: Visitor, first: str, last: str, *, errors_first: bool) -> None:
    """Write a referral to « Accompagnement en EPI » from the form's offer cards."""
    page = visitor.page
    await visitor.menu("Orienter une personne")
    await page.get_by_label("Mots-clés").fill("EPI")
    await visitor.follow(page.get_by_role("button", name="Filtrer les offres"))
    await expect(page.get_by_role("status").first).to_have_text("1 offre correspond.")
    await page.get_by_label(re.compile("Accompagnement en EPI")).check()
    await page.get_by_label("Prénom").fill(first)
    await page.get_by_label(re.compile(r"^Nom\b")).fill(last)
    await page.get_by_label("Téléphone de la personne").fill("06 12 34 56 78")
    await page.get_by_label("Motif de l'orientation").fill("Recherche d'un premier emploi")
    if errors_first:
        await visitor.capture("referral-form")
        await page.get_by_label("Email de la personne").fill("zoe.quatremer@")
        await visitor.follow(page.get_by_role("button", name="Envoyer l'orientation"))
        await expect(page).to_have_title(re.compile("^Erreur : "))
        summary = page.locator(".error-summary")
        await expect(summary).to_be_focused()
        await expect(
            summary.get_by_role("link", name=re.compile("^Email de la personne"))
        ).to_be_visible()
        await expect(summary).to_contain_text("nom@domaine.fr")
        await expect(page.get_by_label("Prénom")).to_have_value(first)
        await page.get_by_label("Email de la personne").fill("zoe.quatremer@example.org")
    await page.get_by_label(re.compile("J'atteste")).check()
    await visitor.follow(page.get_by_role("button", name="Envoyer l'orientation"))
    await expect(page.get_by_role("heading", level=1)).to_contain_text("transmise")
    await expect(page.get_by_role("status")).to_contain_text(
        "Orientation envoyée à EPI Paris Centre"
    )


async def _accept_one_return_the_other(receiver: Visitor) -> None:
    """The receiving partner accepts Zoé's referral and returns Malik's, with a reason."""
    page = receiver.page
    await receiver.capture("inbox")
    await receiver.follow(
        page.get_by_role("row", name=re.compile("Zoé QUATREMER")).get_by_role("link")
    )
    await receiver.open_action("Accepter")
    await receiver.follow(page.locator("form[action$='/actions/accept']").get_by_role("button"))
    await expect(page.get_by_role("heading", level=1)).to_contain_text("acceptée")
    await receiver.menu(re.compile("^À traiter"))
    await receiver.follow(
        page.get_by_role("row", name=re.compile("Malik BENALI")).get_by_role("link")
    )
    await receiver.open_action("Retourner au prescripteur")
    form = page.locator("form[action$='/actions/return']")
    await form.get_by_label("Motif").select_option(label="Informations manquantes")
    await form.get_by_label("Commentaire").fill("Merci de joindre le CV.")
    await receiver.follow(form.get_by_role("button", name="Retourner au prescripteur"))
    await expect(page.get_by_role("heading", level=1)).to_contain_text("retournée")


async def _resubmit_with_a_reply(referrer: Visitor) -> None:
    """The referrer sends Malik's referral back: refused unchanged without a word, then
    accepted with a « réponse au partenaire »."""
    page = referrer.page
    await referrer.menu("Mes orientations")
    row = page.get_by_role("row", name=re.compile("Malik BENALI"))
    await expect(row).to_contain_text("retournée")
    await referrer.follow(row.get_by_role("link"))
    alert = page.get_by_role("region", name="Retour du partenaire")
    await expect(alert).to_contain_text("Merci de joindre le CV.")
    await referrer.open_action("Renvoyer avec les compléments")
    form = page.locator("form[action$='/actions/resubmit']")
    await referrer.follow(form.get_by_role("button", name="Renvoyer avec les compléments"))
    await expect(page).to_have_title(re.compile("^Erreur : "))
    form = page.locator("form[action$='/actions/resubmit']")
    await form.get_by_label("Réponse au partenaire").fill(REPLY)
    await referrer.follow(form.get_by_role("button", name="Renvoyer avec les compléments"))
    await expect(page.get_by_role("heading", level=1)).to_contain_text("transmise")
    await expect(page.locator("ol.timeline")).to_contain_text(REPLY)
    await referrer.capture("case-history")


async def _redirect_the_expired_one(referrer: Visitor) -> None:
    """Unanswered, Malik's referral expired: the referrer sends it to another offer."""
    page = referrer.page
    await referrer.menu("Mes orientations")
    row = page.get_by_role("row", name=re.compile("Malik BENALI"))
    await expect(row).to_contain_text("expirée")
    await referrer.follow(row.get_by_role("link"))
    await expect(page.get_by_role("heading", level=1)).to_contain_text("expirée")
    await referrer.follow(page.get_by_role("link", name="Réorienter vers une autre offre"))
    await page.get_by_label(re.compile(OTHER_OFFER)).check()
    await page.get_by_label(re.compile("J'atteste")).check()
    await referrer.follow(page.get_by_role("button", name="Réorienter"))
    await expect(page.get_by_role("heading", level=1)).to_contain_text("transmise")
    await expect(page.get_by_role("main")).to_contain_text(OTHER_OFFER)


@pytest.mark.parametrize("size", VIEWPORTS)
async def test_a_referral_written_accepted_returned_resubmitted_expired_and_redirected(
    size: str,
    browser: Browser,
    live_server: str,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    world: World,
    clock: FixedClock,
    axe_script: Path,
    screenshots: Path,
) -> None:
    await make_offer(session, world.outsider, clock.now(), title=OTHER_OFFER)
    emails = {
        "referrer": world.referrer.email,
        "receiver": world.receiver_member.email,
        "coordinator": world.coordinator.email,
    }
    await session.commit()
    await session.close()  # SQLite: no transaction of ours open while the pages write
    screen = Screen(size, axe_script, screenshots)

    async with signed_in(browser, live_server, emails["referrer"], screen) as referrer:
        await _write(referrer, "Zoé", "Quatremer", errors_first=True)
        await _write(referrer, "Malik", "Benali", errors_first=False)
        async with signed_in(browser, live_server, emails["receiver"], screen) as receiver:
            await _accept_one_return_the_other(receiver)
        await _resubmit_with_a_reply(referrer)
        # Twenty business days without an answer: the sweep lets it expire.
        clock.advance(timedelta(days=30))
        await sweep_due(sessionmaker, LIFECYCLES, clock.now())
        async with signed_in(browser, live_server, emails["coordinator"], screen) as coordinator:
            await expect(coordinator.page).to_have_url(re.compile(r"/dashboard$"))
            await expect(coordinator.page.get_by_role("heading", level=1)).to_have_text(
                "Tableau de bord"
            )
            late = coordinator.page.get_by_role("row", name=re.compile("Expirée"))
            await expect(late).to_contain_text("réorienter ou clôturer")
            await coordinator.capture("dashboard")
        await _redirect_the_expired_one(referrer)

    async with sessionmaker() as reading:
        states = list((await reading.scalars(select(Referral.state).order_by(Referral.id))).all())
    assert states == ["accepted", "closed", "submitted"]


@pytest.mark.parametrize("size", VIEWPORTS)
async def test_a_meeting_from_planning_to_published_minutes(
    size: str,
    browser: Browser,
    live_server: str,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    world: World,
    clock: FixedClock,
    axe_script: Path,
    screenshots: Path,
) -> None:
    now = clock.now()
    secretary = await make_user(session, world.coordination, now, role=Role.SECRETARY)
    committee = await make_committee(
        session, now, name="Comité technique du PPIE", members=(world.sender, world.receiver)
    )
    await make_decision(session, committee, world.referrer, now)  # proposed, waits a meeting
    email = secretary.email
    await session.commit()
    await session.close()
    screen = Screen(size, axe_script, screenshots)

    async with signed_in(browser, live_server, email, screen) as clerk:
        page = clerk.page
        await expect(page).to_have_url(re.compile(r"/secretariat$"))
        await expect(page.get_by_role("heading", name="Réunions à planifier (1)")).to_be_visible()
        await clerk.follow(page.get_by_role("link", name="Comité technique du PPIE"))
        await clerk.open_action("Planifier une réunion")
        form = page.locator("form[action$='/meetings']")
        await form.get_by_label("Date et heure").fill("2026-03-05T14:00")
        await form.get_by_label("Lieu").fill("Hôtel de Ville, salle des commissions")
        await form.get_by_label("Ordre du jour").fill("1. Forum de l'emploi\n2. Questions diverses")
        await clerk.follow(form.get_by_role("button", name="Planifier la réunion"))
        await expect(page.get_by_role("heading", level=1)).to_contain_text(
            "Réunion du jeudi 5 mars 2026"
        )

        await clerk.follow(
            page.locator(".breadcrumb").get_by_role("link", name="Comité technique du PPIE")
        )
        await clerk.follow(page.get_by_role("row", name=re.compile("proposée")).get_by_role("link"))
        await clerk.open_action("Inscrire à l'ordre du jour")
        form = page.locator("form[action$='/actions/schedule']")
        await form.get_by_label("Réunion").select_option(index=1)
        await clerk.follow(form.get_by_role("button", name="Inscrire à l'ordre du jour"))
        await expect(page.get_by_role("heading", level=1)).to_contain_text("inscrite")
        await expect(page.get_by_role("button", name="Adopter")).to_have_attribute(
            "aria-disabled", "true"
        )

        # The evening after the meeting: its decision to record, its minutes to write.
        clock.set(datetime(2026, 3, 5, 18, 0, tzinfo=PARIS))
        await clerk.menu(re.compile("^À faire"))
        await expect(
            page.get_by_role("heading", name="Décisions à enregistrer (1)")
        ).to_be_visible()
        await clerk.follow(page.locator("section[aria-labelledby='record-title'] a"))
        await clerk.open_action("Adopter")
        form = page.locator("form[action$='/actions/approve']")
        await form.get_by_label("Décision prise (quelques lignes)").fill("Adopté à l'unanimité.")
        await clerk.follow(form.get_by_role("button", name="Adopter"))
        await expect(page.get_by_role("heading", level=1)).to_contain_text("adoptée")

        await clerk.menu(re.compile("^À faire"))
        await expect(
            page.get_by_role("heading", name="Comptes rendus à rédiger (1)")
        ).to_be_visible()
        await clerk.follow(page.locator("section[aria-labelledby='minutes-title'] a"))
        await clerk.open_action("Compte rendu")
        form = page.locator("form.stack[action^='/meetings/']")
        await form.get_by_label("Compte rendu").fill(
            "Le forum de l'emploi est adopté à l'unanimité."
        )
        await clerk.follow(form.get_by_role("button", name="Enregistrer"))
        await clerk.follow(page.get_by_role("button", name="Publier le compte rendu"))
        await expect(page.get_by_text(re.compile("^Publié le"))).to_be_visible()
        await clerk.follow(page.get_by_role("link", name=re.compile("^Compte rendu complet")))
        await expect(page.get_by_role("main")).to_contain_text("Le forum de l'emploi est adopté")

    async with sessionmaker() as reading:
        assert await reading.scalar(select(Decision.state)) == "approved"
        published = await reading.scalar(select(Meeting.minutes_published_at))
    assert published is not None
