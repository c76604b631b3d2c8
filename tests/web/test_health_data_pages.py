"""Health data and identities on the pages, the CSV, the digest and the overdue API.

The acceptance test loads the demo, puts the health barrier and the publics AAH and RQTH on
every case, then reads every aggregate. It searches what says a *person's* health: the
barrier's code and label in a person's context (« Santé » next to « Freins », the code
``sante`` as a barrier) and the codes and labels of AAH and RQTH. The thématique « santé »
of an offer (data·inclusion's category) may legitimately appear in catalogue outputs, so the
bare word « santé » is not searched in lower case; nothing that these outputs show of a
case uses it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import Role
from core.models import OutboxMessage, Person, Referral, User
from core.settings import Settings
from notifications.render import render
from relais.demo import ACCOUNTS, seed_demo
from services.auth import DEMO_PASSWORD
from states.policy import DASHBOARD_ROLES
from states.registry import LIFECYCLES
from tests.factories import PASSWORDS, World, auth_headers
from tests.web.http_pages import csrf_of, page_client, sign_in
from tests.web.pages import visible_text
from workflows.digest import send_digests

HEALTH_WORDS = re.compile(
    r"\b(aah|rqth|AAH|RQTH)\b|Allocataires? de l'AAH|RQTH|travailleur handicapé"
    r"|\bsante\b|Santé|situation-de-handicap"
)
"""A person's health data as codes and labels (see the module's docstring)."""

NAMES = ("Belkacem", "Camara", "Lambert")
"""Demo persons whose names are nobody else's in the demo (no account, no organisation)."""


@asynccontextmanager
async def demo_client(app: FastAPI, email: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client signed in as the demo account ``email`` through the login form."""
    async with page_client(app) as client:
        token = csrf_of((await client.get("/login")).text)
        response = await client.post(
            "/login", data={"csrf_token": token, "email": email, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 303, response.text
        yield client


async def _health_everywhere(session: AsyncSession) -> None:
    """The health barrier on every referral, AAH and RQTH on every person."""
    for referral in (await session.execute(select(Referral))).scalars():
        referral.barriers = sorted({*referral.barriers, "sante"})
    for person in (await session.execute(select(Person))).scalars():
        person.publics = sorted({*person.publics, "aah", "rqth"})
    await session.commit()


async def _digest_bodies(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FixedClock
) -> list[str]:
    report = await send_digests(sessionmaker, LIFECYCLES, clock.now())
    assert report.sent, "the demo has overdue cases: someone gets a digest"
    async with sessionmaker() as session:
        rows = (
            await session.execute(select(OutboxMessage).where(OutboxMessage.message == "digest"))
        ).scalars()
        emails = [render(row.message, row.context, "https://relais.test") for row in rows]
    return [f"{email.subject}\n{email.text}\n{email.html}" for email in emails]


async def test_no_health_data_in_the_aggregates_and_no_name_in_a_coordinator_s_lists(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FixedClock,
) -> None:
    assert await seed_demo(session, settings, clock, password_helper=PASSWORDS)
    await _health_everywhere(session)
    outputs: dict[str, str] = {}
    for account in (item for item in ACCOUNTS if item.role in DASHBOARD_ROLES):
        async with demo_client(app, account.email) as pages:
            for path in ("/dashboard", "/dashboard.csv", "/action-plan.csv"):
                response = await pages.get(path)
                if response.status_code == 200:
                    outputs[f"{account.email} {path}"] = response.text
        user = await session.scalar(select(User).filter_by(email=account.email))
        assert user is not None
        await session.commit()  # SQLite: no reader's transaction left open under a write
        overdue = await client.get("/api/overdue", headers=await auth_headers(user))
        if overdue.status_code == 200:
            outputs[f"{account.email} /api/overdue"] = overdue.text
    assert "coordination@relais-demo.paris /api/overdue" in outputs
    assert "coordination@relais-demo.paris /dashboard.csv" in outputs
    for number, body in enumerate(await _digest_bodies(sessionmaker, clock)):
        outputs[f"digest {number}"] = body
    for where, text in outputs.items():
        found = HEALTH_WORDS.search(text)
        assert found is None, f"{where}: « {found.group(0) if found else ''} »"
        assert not any(name in text for name in NAMES), where
    await _check_the_coordinator_s_lists(app, session)


async def _check_the_coordinator_s_lists(app: FastAPI, session: AsyncSession) -> None:
    """A coordinator's lists and dashboard name no one; the case's own page does; the
    organisation that sent the case still reads the name in its list."""
    samir = await session.scalar(
        select(Referral.id).join(Person).where(Person.last_name == "Belkacem")
    )
    await session.commit()
    coordination = next(item for item in ACCOUNTS if item.role is Role.COORDINATOR)
    async with demo_client(app, coordination.email) as pages:
        for path in ("/referrals", "/accompaniments", "/handovers", "/inbox", "/dashboard"):
            response = await pages.get(path)
            assert response.status_code == 200, path
            assert not any(name in response.text for name in NAMES), path
        listed = visible_text((await pages.get("/referrals")).text)
        assert "Personne du dossier (identité sur sa page)" in listed
        assert "BELKACEM" in (await pages.get(f"/referrals/{samir}")).text
    sender = next(item for item in ACCOUNTS if item.email.startswith("france-travail"))
    async with demo_client(app, sender.email) as pages:
        assert "BELKACEM" in (await pages.get("/referrals?box=sent")).text


async def test_the_form_asks_for_the_health_attestation_and_keeps_what_was_typed(
    app: FastAPI, world: World
) -> None:
    form = {
        "offer_id": str(world.offer.id),
        "person_first_name": "Zoé",
        "person_last_name": "Quatremer",
        "person_publics": "rqth",
        "motive": "Reprise d'activité après un long arrêt",
        "barriers": "sante",
        "consent": "on",
    }
    async with page_client(app) as pages:
        await sign_in(pages, world.referrer.email)
        page = await pages.get("/referrals/new")
        assert 'id="health_data_attested"' in page.text
        refused = await pages.post(
            "/referrals/new", data={"csrf_token": csrf_of(page.text), **form}
        )
        assert refused.status_code == 422
        text = visible_text(refused.text)
        assert "Cochez l'attestation de consentement exprès pour les données de santé" in text
        assert 'aria-describedby="health_data_attested-aide health_data_attested-erreur"' in (
            refused.text
        )
        assert "Reprise d'activité après un long arrêt" in text
        assert 'value="sante" checked' in refused.text and 'value="rqth" checked' in refused.text
        sent = await pages.post(
            "/referrals/new",
            data={"csrf_token": csrf_of(refused.text), **form, "health_data_attested": "on"},
        )
        assert sent.status_code == 303, sent.text
        case_path = sent.headers["location"].split("?")[0]
        sender_view = visible_text((await pages.get(case_path)).text)
    assert "Freins Aucun signalé" in sender_view and "RQTH" not in sender_view
    for reader, shows in ((world.receiver_member, True), (world.coordinator, False)):
        async with page_client(app) as pages:
            await sign_in(pages, reader.email)
            text = visible_text((await pages.get(case_path)).text)
        assert ("Freins Santé" in text) is shows, reader.email
        assert ("Bénéficiaires de la RQTH" in text) is shows, reader.email
        assert "QUATREMER" in text
