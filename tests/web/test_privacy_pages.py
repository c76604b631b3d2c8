"""Privacy pages over HTTP: the information notice beside the referral form's consent and
its printable page, the operator's own notice (Markdown, raw HTML escaped), the register
entry behind « Données personnelles », and the « Journal des modifications »."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.clock import FixedClock
from core.enums import Role
from core.settings import Settings
from relais.app import create_app
from tests.factories import PASSWORDS, World, make_committee, make_meeting, make_user
from tests.web.http_pages import csrf_of, page_client, sign_in
from web.notice import REGISTER_ENTRY

RETENTION = re.compile(r"(\d+) mois")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


async def test_the_notice_sits_beside_the_consent_and_prints_without_login(
    app: FastAPI, world: World
) -> None:
    async with page_client(app) as client:
        await sign_in(client, world.referrer.email)
        form = (await client.get("/referrals/new")).text
        consent = form.index('id="consent"')
        details = form.index('<details class="information-notice">')
        assert consent < details < form.rindex('<button type="submit" class="button">')
        assert '<a href="/information-notice"' in form and "Version imprimable" in form
        assert 'href="/donnees-personnelles">Données personnelles</a>' in form  # every footer

    async with page_client(app) as anonymous:
        printable = await anonymous.get("/information-notice")
    assert printable.status_code == 200
    assert "@media print" in printable.text
    assert "style-src 'unsafe-inline'" in printable.headers["content-security-policy"]
    text = _text(printable.text)
    for expected in (
        "Plan parisien de l'insertion par l'emploi",  # purposes
        "Ville de Paris",  # the controller
        "la structure vers laquelle vous êtes orienté·e",  # recipients
        "vous n'êtes pas nommé·e",  # the coordination, without identity in lists
        "conservées 24 mois après la dernière activité",  # retention
        "rectification",
        "retirer à tout moment votre accord",
        "délégué à la protection des données",
        "CNIL",
    ):
        assert expected in text, expected


async def test_the_operator_replaces_the_notice_and_settings_follow(
    settings: Settings, clock: FixedClock, db_engine: AsyncEngine, tmp_path: Path
) -> None:
    own = tmp_path / "notice.md"
    own.write_text(
        "# Notice de l'opérateur\n\nÉcrire à **dpo@paris.fr**.\n\n<script>alert(1)</script>\n",
        encoding="utf-8",
    )
    custom = settings.model_copy(update={"information_notice_file": own})
    async with page_client(
        create_app(custom, clock=clock, engine=db_engine, password_helper=PASSWORDS)
    ) as client:
        page = (await client.get("/information-notice")).text
    assert "<h1>Notice de l'opérateur</h1>" in page
    assert "<strong>dpo@paris.fr</strong>" in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "conservées 24 mois" not in page

    longer = settings.model_copy(update={"retention_months": 36, "privacy_contact": "dpo@x.fr"})
    async with page_client(
        create_app(longer, clock=clock, engine=db_engine, password_helper=PASSWORDS)
    ) as client:
        text = _text((await client.get("/information-notice")).text)
    assert "conservées 36 mois" in text and "dpo@x.fr" in text


async def test_the_register_entry_is_public_and_says_the_notice_s_retention(app: FastAPI) -> None:
    async with page_client(app) as client:
        page = await client.get("/privacy")
        notice = _text((await client.get("/information-notice")).text)
    assert page.status_code == 200
    assert "<h1>Données personnelles : fiche du registre des traitements</h1>" in page.text
    assert '<table class="stacked">' in page.text  # the retention table, rendered
    for right in ("/api/persons/{id}/export", "/api/persons/{id}/erase"):
        assert right in page.text
    # The notice's retention is the register's first one (the persons' data).
    register = REGISTER_ENTRY.read_text(encoding="utf-8")
    table = register[register.index("## Durées de conservation") :]
    assert RETENTION.findall(notice)[0] == RETENTION.findall(table)[0] == "24"


async def test_the_trail_page_for_admins_and_the_dpo_only(
    app: FastAPI, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    secretary = await make_user(session, world.coordination, clock.now(), role=Role.SECRETARY)
    dpo = await make_user(session, world.coordination, clock.now(), role=Role.DPO)
    committee = await make_committee(session, clock.now())
    meeting = await make_meeting(session, committee, clock.now() - timedelta(days=1), minutes="CR")
    async with page_client(app) as client:
        token = await sign_in(client, secretary.email)
        path = f"/meetings/{meeting.id}"
        published = await client.post(f"{path}/minutes/publish", data={"csrf_token": token})
        assert published.status_code == 303
        page = (await client.get(path)).text
        assert "Publier un rectificatif" in page and "Publié le" in page
        token = csrf_of(page)
        amended = await client.post(
            f"{path}/amendments", data={"csrf_token": token, "edit-text": "Correction."}
        )
        assert amended.status_code == 303, amended.text
        page = (await client.get(path)).text
        assert "Rectificatif du" in page and "Correction." in page and ">CR<" in page
        assert (await client.get("/audit")).status_code == 403
    async with page_client(app) as client:
        await sign_in(client, dpo.email)
        trail = await client.get("/audit", params={"kind": "meeting"})
        assert trail.status_code == 200
        assert 'href="/audit" aria-current="page">Journal des modifications' in trail.text
        text = _text(trail.text)
        assert "rectificatif publié" in text and "publication du compte rendu" in text
        assert secretary.email in text
