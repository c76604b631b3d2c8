"""Managing accounts in a real browser (issue 12, finding 5): an admin creates an
organisation and an account on the pages; the person chooses a password from the emailed
link, changes it on « Mon compte » (another signed-in browser stops working at its next
click), and once deactivated, their open page falls back to the login page."""

from __future__ import annotations

import mailbox
import re
from email.message import Message
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.settings import Settings
from notifications.transport import transport_factory
from tests.factories import SECRET, World
from tests.web.browser import check_accessible, sign_in
from workflows.delivery import deliver_due

EMAIL = "awa.diallo@epi-nord-paris.fr"
CHOSEN = "trois-pommes-sur-un-velo"
CHANGED = "quatre-poires-dans-un-bus"
LINK = re.compile(r"https?://[^/\s]+(/reset-password\?token=[\w-]+)")
LOGIN = re.compile(r"/login(\?.*)?$")


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Test settings whose emails go to a Maildir of the test's own."""
    return Settings(
        environment="test", secret_key=SECRET, database_url=database_url, var_dir=str(tmp_path)
    )


def _text_of(message: Message) -> str:
    parts = message.walk() if message.is_multipart() else [message]
    texts = []
    for part in parts:
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            texts.append(payload.decode(part.get_content_charset() or "utf-8"))
    return "\n".join(texts)


async def _emailed_link(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, clock: FixedClock
) -> str:
    """Deliver the outbox to the Maildir, then read the reset link sent to ``EMAIL``."""
    await deliver_due(
        sessionmaker,
        transport_factory(settings),
        clock.now(),
        base_url=settings.base_url,
        mail_from=settings.mail_from,
    )
    box = mailbox.Maildir(settings.mail_dir, create=False)
    links = [
        found.group(1)
        for message in box
        if EMAIL in str(message["To"])
        for found in [LINK.search(_text_of(message))]
        if found
    ]
    assert len(links) == 1, links
    return links[0]


async def _log_in(page: Page, password: str) -> None:
    await page.goto("/login")
    await page.get_by_label("Adresse email professionnelle").fill(EMAIL)
    await page.get_by_label("Mot de passe", exact=True).fill(password)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_load_state()
    await expect(page).not_to_have_url(LOGIN)


async def _admin_creates_organisation_and_account(page: Page, admin_email: str) -> None:
    await sign_in(page, admin_email)
    await page.get_by_role("link", name="Organisations").click()
    await page.get_by_role("link", name="Créer une organisation").click()
    await page.get_by_label("Nom").fill("EPI Paris Nord")
    await page.get_by_label("Nature").select_option(label="Espace parisien d'insertion")
    await page.get_by_role("button", name="Créer l'organisation").click()
    await expect(page.get_by_text("L'organisation est créée")).to_be_visible()
    await page.get_by_role("link", name="Comptes").click()
    await page.get_by_role("link", name="Créer un compte").click()
    await page.get_by_label("Adresse électronique").fill(EMAIL)
    await page.get_by_label("Nom et prénom").fill("Awa Diallo")
    await page.get_by_label("Structure").select_option(label="EPI Paris Nord")
    await page.get_by_label("Rôle").select_option(label="Conseiller·ère")
    await page.get_by_role("button", name="Créer le compte").click()
    await expect(page.get_by_text("Un email vient d'être envoyé")).to_be_visible()


async def _new_page(context_of: list[BrowserContext], browser: Browser, base: str) -> Page:
    context = await browser.new_context(base_url=base)
    context_of.append(context)
    return await context.new_page()


async def test_the_management_pages_are_accessible(
    page: Page, world: World, session: AsyncSession, axe_script: Path
) -> None:
    admin_email = world.admin.email
    await session.commit()
    await sign_in(page, admin_email)
    for path in ("/account", "/accounts", "/accounts/new", "/organisations", "/organisations/new"):
        await page.goto(path)
        await check_accessible(page, axe_script)


async def test_an_account_made_on_the_pages_lives_and_ends_in_the_browser(
    page: Page,
    browser: Browser,
    live_server: str,
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FixedClock,
) -> None:
    admin_email = world.admin.email
    await session.commit()
    await _admin_creates_organisation_and_account(page, admin_email)
    path = await _emailed_link(sessionmaker, settings, clock)
    contexts: list[BrowserContext] = []
    try:
        person = await _new_page(contexts, browser, live_server)
        await person.goto(path)
        await person.get_by_label("Nouveau mot de passe", exact=True).fill(CHOSEN)
        await person.get_by_label("Le même, une seconde fois").fill(CHOSEN)
        await person.get_by_role("button", name="Enregistrer le mot de passe").click()
        await expect(person.get_by_text("nouveau mot de passe est enregistré")).to_be_visible()
        await _log_in(person, CHOSEN)
        other_device = await _new_page(contexts, browser, live_server)
        await _log_in(other_device, CHOSEN)

        await person.get_by_role("link", name="Mon compte").click()
        await person.get_by_label("Mot de passe actuel").fill(CHOSEN)
        await person.get_by_label("Nouveau mot de passe", exact=True).fill(CHANGED)
        await person.get_by_label("Le nouveau, une seconde fois").fill(CHANGED)
        await person.get_by_role("button", name="Changer le mot de passe").click()
        await expect(person).to_have_url(re.compile(r"/login\?notice=changed$"))
        await expect(person.get_by_text("Votre mot de passe a été changé")).to_be_visible()
        await other_device.get_by_role("link", name="Mon compte").click()
        await expect(other_device).to_have_url(LOGIN)

        await _log_in(person, CHANGED)
        await page.goto("/accounts")
        await page.get_by_role("button", name=f"Désactiver {EMAIL}").click()
        await expect(page.get_by_text("Le compte est désactivé")).to_be_visible()
        await person.get_by_role("link", name="Mon compte").click()
        await expect(person).to_have_url(LOGIN)
    finally:
        for context in contexts:
            await context.close()
