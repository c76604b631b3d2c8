"""Every kind of form, refused, answers the same way (issue 17, point 1): an error summary
first, titled with the count, each error a link to its field named by its French label, a
message saying what to type, « Erreur : » in the title, and nothing written."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import Role
from core.models import (
    Decision,
    Event,
    Handover,
    Meeting,
    Offer,
    Organisation,
    Referral,
    User,
)
from tests.factories import World, accompany_new_person, make_committee, make_user
from tests.web.http_pages import error_summary_of, sign_in, submitted_referral
from tests.web.pages import check_markup, visible_text
from web.form_messages import EMAIL, MISSING_TEXT, PHONE


@dataclass(frozen=True)
class Refusal:
    """A form posted with bad input: who posts, where, what, and what the summary links."""

    email: str
    path: str
    data: dict[str, str]
    links: dict[str, str]  # field id -> the French label its line starts with
    status: int = 422


async def _count(session: AsyncSession, model: type) -> int:
    count = await session.scalar(select(func.count()).select_from(model))
    await session.rollback()
    return count or 0


async def _refused(client: httpx.AsyncClient, session: AsyncSession, refusal: Refusal) -> str:
    """Post ``refusal``; check the answer and that nothing was written; the page's text."""
    before = {model: await _count(session, model) for model in WRITTEN}
    token = await sign_in(client, refusal.email) if refusal.email else ""
    if not token:
        token = (await client.get("/login")).text.split('name="csrf_token" value="')[1]
        token = token.split('"')[0]
    response = await client.post(refusal.path, data={"csrf_token": token, **refusal.data})
    assert response.status_code == refusal.status, visible_text(response.text)
    check_markup(response.text)
    links = error_summary_of(response.text)
    for target, label in refusal.links.items():
        assert target in links, (target, links)
        assert links[target].startswith(label), links[target]
    assert {model: await _count(session, model) for model in WRITTEN} == before
    return visible_text(response.text)


WRITTEN = (Referral, Event, Organisation, Offer, User, Meeting, Decision, Handover)
"""What a refused form must leave as it was."""


async def test_the_referral_form_sent_empty_links_every_field_to_fill(
    browser_client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    email, offer_id = world.referrer.email, world.offer.id
    await session.commit()
    text = await _refused(
        browser_client,
        session,
        Refusal(
            email,
            "/referrals/new",
            {},
            {
                f"offer-{offer_id}": "Offre choisie",
                "person_first_name": "Prénom",
                "person_last_name": "Nom",
                "motive": "Motif de l'orientation",
            },
        ),
    )
    assert f"Prénom — {MISSING_TEXT}" in text
    assert "person_first_name" not in text and "valeur invalide" not in text


async def test_the_referral_form_says_how_to_type_an_email_and_a_phone(
    browser_client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    email, offer_id = world.referrer.email, world.offer.id
    await session.commit()
    data = {
        "offer_id": str(offer_id),
        "person_first_name": "Zoé",
        "person_last_name": "Quatremer",
        "person_email": "zoe.quatremer",
        "person_phone": "12",
        "motive": "Premier emploi",
        "consent": "on",
    }
    text = await _refused(
        browser_client,
        session,
        Refusal(
            email,
            "/referrals/new",
            data,
            {"person_email": "Email de la personne", "person_phone": "Téléphone de la personne"},
        ),
    )
    assert "Il y a 2 erreurs dans le formulaire" in text
    assert f"Email de la personne — {EMAIL}" in text
    assert f"Téléphone de la personne — {PHONE}" in text
    assert EMAIL == "Saisissez une adresse électronique valide, par exemple nom@domaine.fr."


async def test_the_return_form_is_checked_by_the_server_not_the_browser(
    browser_client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    referral_id = await submitted_referral(session, world, clock)
    email = world.receiver_member.email
    await session.commit()
    token = await sign_in(browser_client, email)
    page = await browser_client.get(f"/referrals/{referral_id}")
    assert f'/referrals/{referral_id}/actions/return" class="stack" novalidate>' in page.text
    before = await _count(session, Event)
    answer = await browser_client.post(
        f"/referrals/{referral_id}/actions/return", data={"csrf_token": token}
    )
    assert answer.status_code == 422
    links = error_summary_of(answer.text)
    assert links == {
        "return-reason": "Motif — Choisissez une option dans la liste : ce champ est obligatoire.",
        "return-comment": f"Commentaire — {MISSING_TEXT}",
    }
    assert "Il y a 2 erreurs dans le formulaire" in visible_text(answer.text)
    assert await _count(session, Event) == before


Setup = Callable[[AsyncSession, World, FixedClock], Awaitable[Refusal]]


async def _organisation(session: AsyncSession, world: World, clock: FixedClock) -> Refusal:
    return Refusal(world.admin.email, "/organisations/new", {}, {"name": "Nom", "kind": "Nature"})


async def _offer(session: AsyncSession, world: World, clock: FixedClock) -> Refusal:
    return Refusal(
        world.admin.email,
        "/offers/new",
        {"reminder_days": "0"},
        {"organisation_id": "Structure", "title": "Intitulé", "reminder_days": "Relance"},
    )


async def _account(session: AsyncSession, world: World, clock: FixedClock) -> Refusal:
    return Refusal(
        world.admin.email,
        "/accounts/new",
        {"email": "pas-une-adresse", "role": "member", "organisation_id": str(world.sender.id)},
        {"email": "Adresse électronique"},
    )


async def _login(session: AsyncSession, world: World, clock: FixedClock) -> Refusal:
    return Refusal("", "/login", {}, {"email": "Adresse email", "password": "Mot de passe"})


async def _forgotten(session: AsyncSession, world: World, clock: FixedClock) -> Refusal:
    return Refusal("", "/forgot-password", {"email": "nom"}, {"email": "Adresse email"})


async def _password(session: AsyncSession, world: World, clock: FixedClock) -> Refusal:
    return Refusal(
        world.referrer.email,
        "/account/password",
        {"current_password": "x", "new_password": "un nouveau mot", "confirmation": "autre"},
        {"confirmation": "Le nouveau, une seconde fois"},
    )


async def _contact(session: AsyncSession, world: World, clock: FixedClock) -> Refusal:
    return Refusal(
        world.referrer.email,
        "/account/contact",
        {"full_name": "Suzanne L.", "work_phone": "44 52 10"},
        {"work_phone": "Téléphone professionnel"},
    )


async def _meeting(session: AsyncSession, world: World, clock: FixedClock) -> Refusal:
    committee = await make_committee(session, clock.now(), members=(world.sender,))
    secretary = await make_user(session, world.coordination, clock.now(), role=Role.SECRETARY)
    await session.commit()
    return Refusal(
        secretary.email,
        f"/committees/{committee.id}/meetings",
        {"planning-starts_at": "pas une date"},
        {"planning-starts_at": "Date et heure", "planning-place": "Lieu"},
    )


async def _decision(session: AsyncSession, world: World, clock: FixedClock) -> Refusal:
    committee = await make_committee(session, clock.now(), members=(world.sender,))
    await session.commit()
    return Refusal(
        world.referrer.email,
        "/decisions/new",
        {"committee_id": str(committee.id)},
        {"title": "Intitulé", "description": "Description", "kind": "Nature"},
    )


async def _handover(session: AsyncSession, world: World, clock: FixedClock) -> Refusal:
    await accompany_new_person(session, world.referrer, clock.now())
    await session.commit()
    return Refusal(
        world.referrer.email,
        "/handovers/new",
        {},
        {"person_id": "Personne accompagnée", "reason": "Motif"},
    )


async def _handover_consent(session: AsyncSession, world: World, clock: FixedClock) -> Refusal:
    person_id = await accompany_new_person(session, world.referrer, clock.now())
    await session.commit()
    return Refusal(
        world.referrer.email,
        "/handovers/new",
        {
            "person_id": str(person_id),
            "to_organisation_id": str(world.receiver.id),
            "reason": "Besoin d'un accompagnement global",
        },
        {"consent": "Accord de la personne"},
    )


@pytest.mark.parametrize(
    "setup",
    [
        _organisation,
        _offer,
        _account,
        _login,
        _forgotten,
        _password,
        _contact,
        _meeting,
        _decision,
        _handover,
        _handover_consent,
    ],
)
async def test_every_kind_of_form_refuses_with_the_same_summary(
    browser_client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    clock: FixedClock,
    setup: Setup,
) -> None:
    refusal = await setup(session, world, clock)
    await session.commit()
    await _refused(browser_client, session, refusal)


async def test_the_indicators_filter_links_its_wrong_dates(
    browser_client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    email = world.coordinator.email
    await session.commit()
    await sign_in(browser_client, email)
    answer = await browser_client.get("/indicators?start=2026-13-01")
    assert answer.status_code == 422
    links = error_summary_of(answer.text.replace('method="get"', 'method="post"', 0))
    assert links == {"f-start": "Période du : saisissez une date valide (jj/mm/aaaa)."}
