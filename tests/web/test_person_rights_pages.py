"""The person's rights on the pages: the section of the person's page, the printable export,
the rectification form, the recording of a withdrawn consent, and the referral form that asks
for a renewed attestation afterwards (``tests/api/person_rights_cast``)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.models import Accompaniment, Person, Referral
from services.consent_withdrawal import REFUSED
from states.referral_fields import CONSENT_RENEWED_TITLE
from tests.api.person_rights_cast import BORN, make_history
from tests.factories import World
from tests.web.http_pages import page_client
from tests.web.pages import Browser, visible_text


async def test_the_dpo_exports_and_rectifies_from_the_persons_page(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    world: World,
) -> None:
    history = await make_history(world, session, sessionmaker, clock.now())
    await session.commit()
    async with page_client(app) as other:
        referent = Browser(other)
        await referent.log_in(world.receiver_member)
        page = await referent.read(f"/persons/{history.person_id}")
        assert "Droits de la personne" not in page

    browser = Browser(client)
    await browser.log_in(history.dpo)
    person = await browser.read(f"/persons/{history.person_id}")
    assert "Droits de la personne" in person
    assert "Exporter toutes ses données (droit d'accès)" in person

    export = await browser.read(f"/persons/{history.person_id}/export")
    async with sessionmaker() as reading:
        references = list(await reading.scalars(select(Referral.reference)))
        references += list(await reading.scalars(select(Accompaniment.reference)))
    for text in (
        *references,
        "Orientations (1)", "Accompagnements (1)", "Passages de relais (1)",
        "Recherche d'un premier emploi dans le numérique",
        "Numéro allocataire CAF 7654321",
        "Historique (3 étapes) Création",
        "Structures destinataires des informations",
    ):  # fmt: skip
        assert text in export, text
    download = await browser.get(f"/persons/{history.person_id}/export.json")
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment;")
    assert [item["reference"] for item in download.json()["referrals"]] == references[:1]
    stylesheet = await client.get("/static/relais.css")
    assert "@media print" in stylesheet.text and ".person-export" in stylesheet.text

    form = await browser.read(f"/persons/{history.person_id}/rectification")
    assert "Corrigez l'identité ou les coordonnées" in form
    fields = {
        "first_name": "Zoé", "last_name": "Quatremer", "birth_date": BORN.isoformat(),
        "email": "zoe.q@example.org", "caf_number": "7654321",
    }  # fmt: skip
    refused = await browser.post(
        f"/persons/{history.person_id}/rectification", {**fields, "email": "pas-un-email"}
    )
    assert refused.status_code == 422
    assert 'value="pas-un-email"' in refused.text
    done = await browser.post(
        f"/persons/{history.person_id}/rectification", {**fields, "phone": "06 11 22 33 44"}
    )
    assert done.status_code == 303, visible_text(done.text)
    assert "La fiche a été rectifiée" in await browser.read(done.headers["location"])
    async with sessionmaker() as reading:
        person_row = await reading.get_one(Person, history.person_id)
        assert (person_row.phone, person_row.email) == ("06 11 22 33 44", "zoe.q@example.org")


async def test_a_withdrawn_consent_then_a_renewed_attestation_on_the_referral_form(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    world: World,
) -> None:
    history = await make_history(world, session, sessionmaker, clock.now())
    await session.commit()
    coordination = Browser(client)
    await coordination.log_in(world.coordinator)
    path = f"/persons/{history.person_id}/consent-withdrawal"
    assert "aucune nouvelle orientation n'est acceptée" in await coordination.read(path)
    done = await coordination.post(path, {})
    assert done.status_code == 303, visible_text(done.text)
    page = await coordination.read(done.headers["location"])
    assert "Le retrait du consentement est enregistré" in page
    assert "La personne a retiré son consentement le" in page

    async with page_client(app) as other:
        referrer = Browser(other)
        await referrer.log_in(world.referrer)
        assert CONSENT_RENEWED_TITLE in await referrer.read("/referrals/new")
        form = {
            "offer_id": str(world.offer.id), "person_first_name": "Zoé",
            "person_last_name": "Quatremer", "person_birth_date": BORN.isoformat(),
            "motive": "Nouvelle demande", "consent": "on",
        }  # fmt: skip
        refused = await referrer.post("/referrals/new", form)
        assert refused.status_code == 422
        assert REFUSED in visible_text(refused.text)
        sent = await referrer.post("/referrals/new", {**form, "person_consent_renewed": "on"})
        assert sent.status_code == 303, visible_text(sent.text)
        async with sessionmaker() as reading:
            assert await reading.scalar(select(func.count()).select_from(Referral)) == 2
            person = await reading.get_one(Person, history.person_id)
            assert person.consent_withdrawn_at is None
