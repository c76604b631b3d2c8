"""The pages a public service owes everyone (issue 17, point 7): a footer on every page with
the accessibility status and the links to the accessibility statement, the legal notice,
« Données personnelles » and « Aide et contact », each readable without signing in; and a
login page that says why the person was sent there, never sending them to another site."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from core.clock import FixedClock
from core.settings import Settings
from relais.app import create_app
from tests.factories import PASSWORD, PASSWORDS, World
from tests.web.http_pages import csrf_of, page_client, sign_in
from tests.web.pages import check_markup, visible_text

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"
PUBLIC_PAGES = {
    "/accessibilite": "Déclaration d'accessibilité",
    "/mentions-legales": "Mentions légales",
    "/donnees-personnelles": "Données personnelles",
    "/aide": "Aide et contact",
}
FOOTER_LINKS = (
    '<a href="/accessibilite">Accessibilité : partiellement conforme</a>',
    '<a href="/mentions-legales">Mentions légales</a>',
    '<a href="/donnees-personnelles">Données personnelles</a>',
    '<a href="/aide">Aide et contact</a>',
)
EXPIRED = "Votre session a expiré"
LOGGED_OUT = "Vous êtes déconnecté·e."
REQUIRED = "Connectez-vous pour accéder à cette page."


def _footer(html: str) -> str:
    found = re.search(r'<footer class="site-footer">.*?</footer>', html, re.S)
    assert found, "no footer"
    return found.group(0)


def _assert_footer(html: str) -> None:
    footer = _footer(html)
    for link in FOOTER_LINKS:
        assert link in footer, link


def test_every_page_template_is_laid_out_by_the_base_one() -> None:
    """Every page, signed in or not, is drawn inside base.html, hence has its footer: only the
    partials (``_*.html``) and the printable information notice stand outside it."""
    parents = {
        path.name: re.search(r'{%\s*extends\s+"([^"]+)"', path.read_text(encoding="utf-8"))
        for path in TEMPLATES.glob("*.html")
    }
    outside = set()
    for name in parents:
        current = name
        while (found := parents.get(current)) is not None:
            current = found.group(1)
        if current != "base.html" and not name.startswith("_"):
            outside.add(name)
    assert outside == {"information_notice.html"}


async def test_the_public_pages_answer_without_sign_in_each_with_the_footer(app: FastAPI) -> None:
    async with page_client(app) as client:
        for path, heading in PUBLIC_PAGES.items():
            answer = await client.get(path)
            assert answer.status_code == 200, path
            if path != "/donnees-personnelles":  # the register entry's Markdown tables
                check_markup(answer.text)
            assert f"<h1>{heading}</h1>" in answer.text or heading in visible_text(answer.text)
            _assert_footer(answer.text)
        for path in ("/login", "/forgot-password", "/page-qui-n-existe-pas"):
            _assert_footer((await client.get(path)).text)


async def test_signed_in_pages_carry_the_same_footer(app: FastAPI, world: World) -> None:
    async with page_client(app) as client:
        await sign_in(client, world.coordinator.email)
        for path in ("/dashboard", "/committees", "/decisions", "/account", *PUBLIC_PAGES):
            answer = await client.get(path)
            assert answer.status_code == 200, path
            _assert_footer(answer.text)


async def test_the_accessibility_statement_says_what_rgaa_asks(app: FastAPI) -> None:
    async with page_client(app) as client:
        text = visible_text((await client.get("/accessibilite")).text)
    for part in (
        "État de conformité",
        "partiellement conforme",
        "RGAA",
        "axe-core",
        "360 pixels",
        "1 280 pixels",
        "clavier",
        "Pages vérifiées",
        "Non-conformités connues",
        "Dérogations pour charge disproportionnée",
        "Signaler un défaut d'accessibilité",
        "Voies de recours",
        "Défenseur des droits",
    ):
        assert part in text, part


async def test_contact_details_come_from_the_settings(
    settings: Settings, clock: FixedClock, db_engine: AsyncEngine
) -> None:
    configured = settings.model_copy(
        update={
            "help_contact": "coordination-ppie@paris.example, 01 00 00 00 00",
            "legal_publisher": "Ville de Paris, 75004 Paris",
            "legal_host": "Hébergeur Exemple, 75000 Paris",
        }
    )
    app = create_app(configured, clock=clock, engine=db_engine, password_helper=PASSWORDS)
    async with page_client(app) as client:
        help_text = visible_text((await client.get("/aide")).text)
        statement = visible_text((await client.get("/accessibilite")).text)
        legal = visible_text((await client.get("/mentions-legales")).text)
    assert "coordination-ppie@paris.example, 01 00 00 00 00" in help_text
    assert "Contact : coordination-ppie@paris.example" in statement
    assert "Ville de Paris, 75004 Paris" in legal and "Hébergeur Exemple" in legal
    async with page_client(
        create_app(settings, clock=clock, engine=db_engine, password_helper=PASSWORDS)
    ) as client:
        unset = visible_text((await client.get("/aide")).text)
    assert "n'ont pas encore été renseignées" in unset


async def test_a_protected_page_sends_to_the_login_page_saying_it_needs_one(
    app: FastAPI, world: World
) -> None:
    async with page_client(app) as client:
        answer = await client.get("/inbox")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login?next=%2Finbox&notice=required"
        login = visible_text((await client.get(answer.headers["location"])).text)
    assert REQUIRED in login and EXPIRED not in login and LOGGED_OUT not in login
    assert "Mot de passe oublié ?" in login


async def test_logging_out_says_so_on_the_login_page(app: FastAPI, world: World) -> None:
    async with page_client(app) as client:
        token = await sign_in(client, world.referrer.email)
        out = await client.post("/logout", data={"csrf_token": token})
        assert (out.status_code, out.headers["location"]) == (303, "/login?notice=logged_out")
        login = (await client.get(out.headers["location"])).text
    assert LOGGED_OUT in visible_text(login) and REQUIRED not in visible_text(login)
    assert 'href="/forgot-password">Mot de passe oublié ?</a>' in login


async def test_an_expired_session_says_it_expired(
    settings: Settings, clock: FixedClock, db_engine: AsyncEngine, world: World
) -> None:
    idle = settings.model_copy(update={"session_idle_seconds": 600})
    app = create_app(idle, clock=clock, engine=db_engine, password_helper=PASSWORDS)
    async with page_client(app) as client:
        await sign_in(client, world.referrer.email)
        clock.advance(timedelta(seconds=599))
        assert (await client.get("/inbox")).status_code == 200, "just before the timeout"
        clock.advance(timedelta(seconds=601))
        answer = await client.get("/inbox")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login?next=%2Finbox&notice=expired"
        login = visible_text((await client.get(answer.headers["location"])).text)
    assert EXPIRED in login and REQUIRED not in login


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "https://evil.example/", "/\\evil.example", "/\t/evil.example", "evil"],
)
async def test_next_never_leaves_the_site(app: FastAPI, world: World, target: str) -> None:
    async with page_client(app) as client:
        page = await client.get("/login", params={"next": target})
        assert "evil" not in page.text
        answer = await client.post(
            "/login",
            data={
                "csrf_token": csrf_of(page.text),
                "email": world.referrer.email,
                "password": PASSWORD,
                "next": target,
            },
        )
        assert answer.status_code in (303, 401), answer.text
        location = answer.headers.get("location", "")
        assert location.startswith("/") and not location.startswith("//"), location
        assert "evil" not in location
        signed_in = await client.get("/login", params={"next": target})
    assert signed_in.status_code == 303
    assert "evil" not in signed_in.headers["location"]


async def test_next_on_the_site_is_kept(app: FastAPI, world: World) -> None:
    async with page_client(app) as client:
        page = await client.get("/login", params={"next": "/decisions"})
        answer = await client.post(
            "/login",
            data={
                "csrf_token": csrf_of(page.text),
                "email": world.referrer.email,
                "password": PASSWORD,
                "next": "/decisions",
            },
        )
    assert (answer.status_code, answer.headers["location"]) == (303, "/decisions")
