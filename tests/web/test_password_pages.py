"""The « Mot de passe oublié » pages over HTTP: the same answer for any address, a link that
works once and for an hour, French refusals, CSRF like every form (issue 12, finding 5)."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.models import OutboxMessage
from notifications.render import render
from tests.factories import World
from tests.web.http_pages import csrf_of

NEW_PASSWORD = "trois-pommes-sur-un-velo"
LINK = re.compile(r"https?://\S+/reset-password\?token=[\w-]+")


async def _ask(client: httpx.AsyncClient, email: str) -> httpx.Response:
    token = csrf_of((await client.get("/forgot-password")).text)
    return await client.post("/forgot-password", data={"csrf_token": token, "email": email})


async def _emailed_links(session: AsyncSession) -> list[str]:
    """The links of the reset emails in the outbox, rendered as the person reads them."""
    rows = await session.execute(
        select(OutboxMessage.context)
        .where(OutboxMessage.message == "account.reset")
        .order_by(OutboxMessage.id)
    )
    contexts = list(rows.scalars())
    await session.rollback()
    links = []
    for context in contexts:
        email = render("account.reset", context, "http://relais.test")
        found = LINK.search(email.text)
        assert found and found.group(0) in email.html
        links.append(found.group(0).removeprefix("http://relais.test"))
    return links


async def _choose(
    client: httpx.AsyncClient, path: str, password: str, confirmation: str | None = None
) -> httpx.Response:
    page = await client.get(path)
    token = re.search(r'name="token" value="([^"]*)"', page.text)
    return await client.post(
        "/reset-password",
        data={
            "csrf_token": csrf_of(page.text),
            "token": token.group(1) if token else "",
            "password": password,
            "confirmation": password if confirmation is None else confirmation,
        },
    )


async def _signs_in(client: httpx.AsyncClient, email: str, password: str) -> bool:
    """Whether the login form accepts ``password`` (from a signed-out browser)."""
    client.cookies.delete("relais_session")
    token = csrf_of((await client.get("/login")).text)
    answer = await client.post(
        "/login", data={"csrf_token": token, "email": email, "password": password}
    )
    return answer.status_code == 303


async def test_the_login_page_leads_to_the_forgotten_password_form(
    browser_client: httpx.AsyncClient,
) -> None:
    assert 'href="/forgot-password"' in (await browser_client.get("/login")).text
    form = await browser_client.get("/forgot-password")
    assert form.status_code == 200
    assert "Mot de passe oublié" in form.text and 'name="csrf_token"' in form.text
    forged = await browser_client.post("/forgot-password", data={"email": "agent@caf-test.fr"})
    assert forged.status_code == 403


async def test_the_same_answer_for_an_unknown_address_which_gets_no_email(
    browser_client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    email = world.referrer.email
    await session.commit()
    unknown = await _ask(browser_client, "personne@ml-test.fr")
    assert unknown.status_code == 200
    assert "Si un compte actif correspond à cette adresse" in unescape(unknown.text)
    assert await _emailed_links(session) == []
    known = await _ask(browser_client, email)
    assert known.status_code == 200
    assert known.text == unknown.text
    assert len(await _emailed_links(session)) == 1
    wrong = await _ask(browser_client, "pas-une-adresse")
    assert wrong.status_code == 422 and "adresse email complète" in unescape(wrong.text)


async def test_the_emailed_link_sets_a_new_password_once(
    browser_client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    email = world.referrer.email
    await session.commit()
    await _ask(browser_client, email)
    [path] = await _emailed_links(session)
    form = await browser_client.get(path)
    assert form.status_code == 200 and "Nouveau mot de passe" in form.text
    different = await _choose(browser_client, path, NEW_PASSWORD, "autre-chose-encore")
    assert different.status_code == 422
    assert "ne sont pas identiques" in unescape(different.text)
    short = await _choose(browser_client, path, "onze-signes")
    assert short.status_code == 422 and "au moins 12 caractères" in unescape(short.text)
    done = await _choose(browser_client, path, NEW_PASSWORD)
    assert done.status_code == 200, done.text
    assert "nouveau mot de passe est enregistré" in unescape(done.text)
    assert await _signs_in(browser_client, email, NEW_PASSWORD)
    # A second use: refused, and the password stays the one chosen.
    again = await browser_client.get(path)
    assert again.status_code == 422 and "n'est plus valable" in unescape(again.text)
    replay = await browser_client.post(
        "/reset-password",
        data={
            "csrf_token": csrf_of((await browser_client.get("/forgot-password")).text),
            "token": path.split("token=")[1],
            "password": "une-autre-phrase-secrete",
            "confirmation": "une-autre-phrase-secrete",
        },
    )
    assert replay.status_code == 422 and "n'est plus valable" in unescape(replay.text)
    assert await _signs_in(browser_client, email, NEW_PASSWORD)


async def test_the_emailed_link_dies_after_an_hour(
    browser_client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    email = world.referrer.email
    await session.commit()
    await _ask(browser_client, email)
    [path] = await _emailed_links(session)
    clock.advance(timedelta(minutes=59))
    assert (await browser_client.get(path)).status_code == 200
    clock.advance(timedelta(minutes=1))
    late = await browser_client.get(path)
    assert late.status_code == 422 and "il a expiré" in unescape(late.text)
    assert 'href="/forgot-password"' in late.text
    assert (await browser_client.get("/reset-password?token=")).status_code == 422
