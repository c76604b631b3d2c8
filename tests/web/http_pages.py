"""Driving the pages over HTTP without a browser: sign in, read a form's CSRF token."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from services import referral_service
from tests.factories import PASSWORD, World, actor_of, referral_create

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def page_client(app: Any) -> httpx.AsyncClient:
    """An in-process client on ``app`` that keeps its cookies and asks for pages, like a
    browser of its own."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://relais.test",
        headers={"Accept": "text/html"},
    )


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    found = TOKEN.search(html)
    assert found, "the page has no form token"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, email: str) -> str:
    """Sign in through the login form; returns a CSRF token valid for the session's forms
    (read on the page the login leads to: a token is bound to the session it was shown in)."""
    token = csrf_of((await client.get("/login")).text)
    response = await client.post(
        "/login", data={"csrf_token": token, "email": email, "password": PASSWORD}
    )
    assert response.status_code == 303, response.text
    landing = await client.get(response.headers["location"], follow_redirects=True)
    return csrf_of(landing.text)


async def submitted_referral(session: AsyncSession, world: World, clock: FixedClock) -> int:
    """A referral the world's referrer sent to its offer, committed; its id."""
    view = await referral_service.create_referral(
        session, actor_of(world.referrer), referral_create(world.offer), clock.now()
    )
    referral_id: int = view.case.id
    await session.commit()
    return referral_id


SUMMARY = re.compile(r'<section class="error-summary"([^>]*)>(.*?)</section>', re.S)
SUMMARY_LINK = re.compile(r'<li><a href="#([^"]+)">([^<]+)</a></li>')
SUMMARY_LINE = re.compile(r"<li>(.*?)</li>", re.S)
TITLE = re.compile(r"<title>(.*?)</title>", re.S)


def error_summary_of(html: str) -> dict[str, str]:
    """A refused form's error summary, checked: ``{field id: line}`` of its links.

    The title starts with « Erreur : », the summary takes the focus and counts its lines
    in French, each link leads to a field of the page marked invalid and described by its
    message, and no line names a field by its technical name."""
    title = TITLE.search(html)
    assert title and unescape(title.group(1)).startswith("Erreur : "), title
    found = SUMMARY.search(html)
    assert found, "no error summary"
    attributes, body = found.groups()
    assert 'tabindex="-1"' in attributes and "autofocus" in attributes
    assert html.index("<main") < found.start()
    lines = SUMMARY_LINE.findall(body)
    count = len(lines)
    assert f"Il y a {count} erreur{'s' if count > 1 else ''} dans le formulaire" in body
    links = {target: unescape(text) for target, text in SUMMARY_LINK.findall(body)}
    for target, text in links.items():
        field = re.search(
            rf'<(?:input|select|textarea)\b[^>]*\sid="{re.escape(target)}"[^>]*>', html
        )
        assert field, f"no field {target}"
        assert 'aria-invalid="true"' in field.group(0), field.group(0)
        assert "_" not in text.split(" — ")[0], text
    for line in lines:
        read = unescape(re.sub(r"<[^>]+>", "", line))
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", read), read
    return links
