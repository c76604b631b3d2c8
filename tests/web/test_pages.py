"""The pages' guarantees over HTTP: sign-in, CSRF, isolation between organisations,
refusals that say what is wrong and change nothing, never a 500."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.models import Event, Referral
from core.settings import Settings
from relais.app import create_app
from tests.factories import PASSWORD, PASSWORDS, SECRET, World
from tests.web.http_pages import csrf_of, sign_in, submitted_referral
from web.csrf import require_csrf
from web.pages import PAGE_ROUTERS

HTML = {"Accept": "text/html"}


@dataclass(frozen=True)
class ReferralAtReceiver:
    """A submitted referral, and the receiving partner signed in to answer it."""

    referral_id: int
    token: str


@pytest.fixture
async def receiver(
    browser_client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> ReferralAtReceiver:
    """The receiving partner signed in, with a submitted referral waiting on them."""
    referral_id = await submitted_referral(session, world, clock)
    email = world.receiver_member.email
    await session.commit()
    return ReferralAtReceiver(referral_id, await sign_in(browser_client, email))


async def _state_and_events(session: AsyncSession, referral_id: int) -> tuple[str, int]:
    state = await session.scalar(select(Referral.state).where(Referral.id == referral_id))
    events = await session.scalar(
        select(func.count()).select_from(Event).where(Event.case_id == referral_id)
    )
    await session.rollback()
    assert state is not None and events is not None
    return state, events


async def test_pages_send_strangers_to_the_login_page_and_back(
    browser_client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    email = world.receiver_member.email
    await session.commit()
    response = await browser_client.get("/inbox?tri=echeance")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Finbox%3Ftri%3Decheance&notice=required"
    token = csrf_of((await browser_client.get(response.headers["location"])).text)
    signed_in = await browser_client.post(
        "/login",
        data={"csrf_token": token, "email": email, "password": PASSWORD, "next": "/inbox"},
    )
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/inbox"
    inbox = await browser_client.get("/inbox")
    assert inbox.status_code == 200
    assert "EPI Paris Centre" in inbox.text


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil"])
async def test_login_never_redirects_to_another_site(
    browser_client: httpx.AsyncClient, world: World, session: AsyncSession, target: str
) -> None:
    email = world.referrer.email
    await session.commit()
    token = csrf_of((await browser_client.get("/login")).text)
    response = await browser_client.post(
        "/login", data={"csrf_token": token, "email": email, "password": PASSWORD, "next": target}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_a_wrong_password_is_refused_in_french_without_saying_which_part(
    browser_client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    email = world.referrer.email
    await session.commit()
    token = csrf_of((await browser_client.get("/login")).text)
    response = await browser_client.post(
        "/login", data={"csrf_token": token, "email": email, "password": "pas-le-bon-mot"}
    )
    assert response.status_code == 401
    assert "Adresse email ou mot de passe incorrect." in response.text
    assert "relais_session" not in response.cookies


async def test_the_session_cookie_is_httponly_samesite_and_secure_over_https(
    world: World, session: AsyncSession, db_engine, clock: FixedClock, database_url: str
) -> None:
    email = world.referrer.email
    await session.commit()
    settings = Settings(
        environment="production",
        secret_key=SECRET,
        database_url=database_url,
        base_url="https://relais.paris.fr",
    )
    app = create_app(settings, clock=clock, engine=db_engine, password_helper=PASSWORDS)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://relais.paris.fr"
    ) as client:
        page = await client.get("/login")
        csrf_cookie = page.headers["set-cookie"].lower()
        assert "httponly" in csrf_cookie and "secure" in csrf_cookie
        response = await client.post(
            "/login",
            data={"csrf_token": csrf_of(page.text), "email": email, "password": PASSWORD},
        )
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("__host-relais_session=")
    assert "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie


@pytest.mark.parametrize(
    "token", [None, "", "0" * 64, "forged"], ids=["absent", "empty", "zeros", "forged"]
)
async def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    browser_client: httpx.AsyncClient,
    receiver: ReferralAtReceiver,
    session: AsyncSession,
    token: str | None,
) -> None:
    referral_id = receiver.referral_id
    before = await _state_and_events(session, referral_id)
    data = {} if token is None else {"csrf_token": token}
    response = await browser_client.post(f"/referrals/{referral_id}/actions/accept", data=data)
    assert response.status_code == 403
    assert "Formulaire expiré" in response.text
    assert await _state_and_events(session, referral_id) == before


async def test_another_browsers_token_is_refused(
    app: FastAPI, browser_client: httpx.AsyncClient, receiver: ReferralAtReceiver, world: World,
    session: AsyncSession,
) -> None:  # fmt: skip
    referral_id, outsider = receiver.referral_id, world.outsider_member.email
    await session.commit()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://relais.test"
    ) as attacker:
        stolen = await sign_in(attacker, outsider)
    response = await browser_client.post(
        f"/referrals/{referral_id}/actions/accept", data={"csrf_token": stolen}
    )
    assert response.status_code == 403
    assert (await _state_and_events(session, referral_id))[0] == "submitted"


async def test_another_organisation_gets_the_same_404_page_as_for_a_missing_case(
    browser_client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    referral_id = await submitted_referral(session, world, clock)
    email = world.outsider_member.email
    await session.commit()
    token = await sign_in(browser_client, email)
    theirs = await browser_client.get(f"/referrals/{referral_id}")
    missing = await browser_client.get(f"/referrals/{referral_id + 1000}")
    assert theirs.status_code == missing.status_code == 404
    assert "Page introuvable" in theirs.text
    assert "Quatremer" not in theirs.text
    assert theirs.text == missing.text.replace(str(referral_id + 1000), str(referral_id))
    before = await _state_and_events(session, referral_id)
    acted = await browser_client.post(
        f"/referrals/{referral_id}/actions/accept", data={"csrf_token": token}
    )
    assert acted.status_code == 404
    assert await _state_and_events(session, referral_id) == before


@pytest.mark.parametrize(
    "path", ["/referrals/abc", "/referrals/0", "/referrals/99999999999", "/nulle-part"]
)
async def test_odd_addresses_answer_a_404_page(
    browser_client: httpx.AsyncClient, world: World, session: AsyncSession, path: str
) -> None:
    email = world.referrer.email
    await session.commit()
    await sign_in(browser_client, email)
    response = await browser_client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Page introuvable" in response.text


async def test_the_api_keeps_answering_json(browser_client: httpx.AsyncClient) -> None:
    response = await browser_client.get("/api/nulle-part")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_a_system_trigger_has_no_form(
    browser_client: httpx.AsyncClient, receiver: ReferralAtReceiver, session: AsyncSession
) -> None:
    referral_id, token = receiver.referral_id, receiver.token
    response = await browser_client.post(
        f"/referrals/{referral_id}/actions/expire", data={"csrf_token": token}
    )
    assert response.status_code == 404
    assert (await _state_and_events(session, referral_id))[0] == "submitted"


async def test_a_return_without_reason_comes_back_with_the_field_to_correct(
    browser_client: httpx.AsyncClient, receiver: ReferralAtReceiver, session: AsyncSession
) -> None:
    referral_id, token = receiver.referral_id, receiver.token
    before = await _state_and_events(session, referral_id)
    response = await browser_client.post(
        f"/referrals/{referral_id}/actions/return",
        data={"csrf_token": token, "return-comment": "Il manque le CV."},
    )
    assert response.status_code == 422
    assert (
        "Motif — Choisissez une option dans la liste : ce champ est obligatoire." in response.text
    )
    assert "Il manque le CV." in response.text  # what was typed is kept
    assert '<details class="action" open>' in response.text
    assert await _state_and_events(session, referral_id) == before


async def test_an_action_already_taken_elsewhere_answers_409_with_what_remains(
    browser_client: httpx.AsyncClient, receiver: ReferralAtReceiver, session: AsyncSession
) -> None:
    referral_id, token = receiver.referral_id, receiver.token
    first = await browser_client.post(
        f"/referrals/{referral_id}/actions/accept", data={"csrf_token": token}
    )
    assert first.status_code == 303
    again = await browser_client.post(
        f"/referrals/{referral_id}/actions/accept", data={"csrf_token": token}
    )
    assert again.status_code == 409
    assert f"/referrals/{referral_id}/actions/start" in again.text  # what remains to do
    assert (await _state_and_events(session, referral_id)) == ("accepted", 3)


@pytest.mark.parametrize(
    "field, value",
    [
        ("offer_id", "-1"),
        ("offer_id", "abc"),
        ("person_birth_date", "1800-01-01"),
        ("person_email", "pas-une-adresse"),
        ("situation", "inconnue"),
        ("barriers", "\x00"),
        ("motive", "x" * 6000),
    ],
)
async def test_a_creation_form_with_bad_values_is_refused_and_creates_nothing(
    browser_client: httpx.AsyncClient, world: World, session: AsyncSession, field: str,
    value: str,
) -> None:  # fmt: skip
    email, offer_id = world.referrer.email, world.offer.id
    await session.commit()
    token = await sign_in(browser_client, email)
    data = {
        "csrf_token": token,
        "offer_id": str(offer_id),
        "person_first_name": "Zoé",
        "person_last_name": "Quatremer",
        "motive": "Premier emploi",
        "consent": "on",
        field: value,
    }
    response = await browser_client.post("/referrals/new", data=data)
    assert response.status_code == 422
    assert "dans le formulaire" in response.text
    assert await session.scalar(select(func.count()).select_from(Referral)) == 0


def test_every_form_of_every_page_is_protected_by_its_csrf_token() -> None:
    posts = [
        route
        for router in PAGE_ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute) and "POST" in (route.methods or set())
    ]
    assert posts, "no page form found"
    for route in posts:
        dependencies = [dependency.call for dependency in route.dependant.dependencies]
        assert require_csrf in dependencies, route.path


async def test_pages_are_neither_cached_nor_framed_nor_fed_foreign_scripts(
    browser_client: httpx.AsyncClient,
) -> None:
    response = await browser_client.get("/login")
    assert response.headers["cache-control"] == "no-store"
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
