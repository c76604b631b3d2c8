"""The offer pages: organisation admins list, create and edit their offers; refusals are
pages in French and change nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import Role
from core.models import Offer, OfferSubAxis
from tests.factories import World, make_offer, make_user
from tests.web.dashboard_helpers import post_form, signed_in
from web.form_messages import EMAIL, MISSING_TEXT, WHOLE_NUMBER

Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class Cast:
    """Who tries what on which offer (ids and emails captured before the HTTP calls)."""

    offer_id: int
    closed_offer_id: int
    receiver_id: int
    outsider_id: int
    outsider_offer_id: int
    org_admin: str
    member: str
    admin: str
    outsider_admin: str


@pytest.fixture
async def cast(world: World, session: AsyncSession, clock: FixedClock) -> Cast:
    """An organisation admin of the receiving organisation, and the other people."""
    now = clock.now()
    org_admin = await make_user(session, world.receiver, now, role=Role.ORG_ADMIN)
    outsider_admin = await make_user(session, world.outsider, now, role=Role.ORG_ADMIN)
    closed = await make_offer(session, world.receiver, now, title="Ancien atelier", is_active=False)
    outsider_offer = await make_offer(session, world.outsider, now, title="Aide aux droits")
    found = Cast(
        offer_id=world.offer.id,
        closed_offer_id=closed.id,
        receiver_id=world.receiver.id,
        outsider_id=world.outsider.id,
        outsider_offer_id=outsider_offer.id,
        org_admin=org_admin.email,
        member=world.receiver_member.email,
        admin=world.admin.email,
        outsider_admin=outsider_admin.email,
    )
    await session.close()  # SQLite: no transaction of ours open during the HTTP calls
    return found


def offer_form(**overrides: Any) -> dict[str, Any]:
    """The posted fields of a complete offer form."""
    return {
        "title": "Accompagnement en EPI",
        "description": "Accompagnement vers l'emploi",
        "category": "trouver-un-emploi",
        "territory": "paris",
        "contact_email": "accueil@epi-test.fr",
        "capacity": "",
        "is_active": "on",
        "reminder_days": "3",
        "escalation_days": "5",
        "expiry_days": "20",
        **overrides,
    }


async def deadlines(sessionmaker: Sessions, offer_id: int) -> tuple[int | None, ...]:
    """The offer's own deadlines as stored."""
    async with sessionmaker() as session:
        offer = await session.get_one(Offer, offer_id)
        return (offer.reminder_days, offer.escalation_days, offer.expiry_days)


async def test_an_org_admin_lists_their_offers_only_closed_ones_included(
    app: FastAPI, cast: Cast
) -> None:
    async with signed_in(app, cast.org_admin) as client:
        page = await client.get("/offers")
        assert page.status_code == 200
        assert f'<a href="/offers/{cast.offer_id}">Accompagnement en EPI</a>' in page.text
        assert "Ancien atelier" in page.text and "Fermée" in page.text
        assert "Aide aux droits" not in page.text
        assert "relance 3, alerte 5, expiration 20" in page.text
    async with signed_in(app, cast.admin) as client:
        page = await client.get("/offers")
        assert "Aide aux droits" in page.text and "Accompagnement en EPI" in page.text


async def test_an_org_admin_changes_an_offers_deadlines(
    app: FastAPI, cast: Cast, sessionmaker: Sessions
) -> None:
    path = f"/offers/{cast.offer_id}"
    async with signed_in(app, cast.org_admin) as client:
        form = await client.get(path)
        assert form.status_code == 200
        for text in (
            '<label for="reminder_days">Relance de la structure après (jours ouvrés)',
            'id="escalation_days" name="escalation_days" value="5"',
            'id="is_active" name="is_active" checked',
        ):
            assert text in form.text
        # Saving the defaults as shown keeps the offer on the defaults.
        same = await post_form(client, path, path, offer_form())
        assert same.status_code == 303
        assert await deadlines(sessionmaker, cast.offer_id) == (None, None, None)

        saved = await post_form(
            client,
            path,
            path,
            offer_form(reminder_days="2", escalation_days="4", expiry_days="10"),
        )
        assert saved.status_code == 303
        assert saved.headers["location"] == f"{path}?fait=enregistre"
        again = await client.get(saved.headers["location"])
        assert "Les modifications de l&#39;offre sont enregistrées." in again.text
        assert 'name="expiry_days" value="10"' in again.text
    assert await deadlines(sessionmaker, cast.offer_id) == (2, 4, 10)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"escalation_days": "12", "expiry_days": "8"},
            "escalation_days",
            "Les délais doivent se suivre",
        ),
        ({"reminder_days": "-2"}, "reminder_days", "Saisissez un nombre supérieur ou égal à 1."),
        ({"expiry_days": "0"}, "expiry_days", "Saisissez un nombre supérieur ou égal à 1."),
        ({"escalation_days": "cinq"}, "escalation_days", WHOLE_NUMBER),
        ({"contact_email": "pas-une-adresse"}, "contact_email", EMAIL),
    ],
)
async def test_bad_input_comes_back_with_errors_and_changes_nothing(
    app: FastAPI,
    cast: Cast,
    sessionmaker: Sessions,
    fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    path = f"/offers/{cast.offer_id}"
    async with signed_in(app, cast.org_admin) as client:
        refused = await post_form(client, path, path, offer_form(title="Nouveau titre", **fields))
        assert refused.status_code == 422
        html = refused.text
        assert 'class="error-summary"' in html and f'<a href="#{field}">' in html
        assert f'<p class="error-text" id="{field}-erreur">' in html
        assert f'aria-describedby="{field}-erreur"' in html
        assert message in html
        # The form comes back with what was typed.
        assert 'value="Nouveau titre"' in html
    async with sessionmaker() as session:
        offer = await session.get_one(Offer, cast.offer_id)
        assert offer.title == "Accompagnement en EPI"
        assert (offer.reminder_days, offer.escalation_days, offer.expiry_days) == (None,) * 3


async def test_an_org_admin_creates_an_offer_for_their_organisation(
    app: FastAPI, cast: Cast, sessionmaker: Sessions
) -> None:
    async with signed_in(app, cast.org_admin) as client:
        form = await client.get("/offers/new")
        assert form.status_code == 200
        assert f'<input type="hidden" name="organisation_id" value="{cast.receiver_id}">' in (
            form.text
        )
        created = await post_form(
            client,
            "/offers/new",
            "/offers/new",
            offer_form(
                organisation_id=str(cast.receiver_id),
                title="Atelier numérique",
                category="numerique",
                eligible_publics=["rsa", "jeunes"],
                is_accompaniment="on",
                reminder_days="2",
                escalation_days="4",
                expiry_days="15",
            ),
        )
        assert created.status_code == 303
        assert created.headers["location"].startswith("/offers?cree=")
        listed = await client.get(created.headers["location"])
        assert "L&#39;offre est créée" in listed.text and "Atelier numérique" in listed.text
    async with sessionmaker() as session:
        offer = (
            await session.execute(select(Offer).where(Offer.title == "Atelier numérique"))
        ).scalar_one()
        assert offer.organisation_id == cast.receiver_id
        assert (offer.reminder_days, offer.escalation_days, offer.expiry_days) == (2, 4, 15)
        assert offer.eligible_publics == ["rsa", "jeunes"]
        assert offer.is_accompaniment and offer.is_active


async def test_a_new_offer_without_title_comes_back_with_errors(
    app: FastAPI, cast: Cast, sessionmaker: Sessions
) -> None:
    async with signed_in(app, cast.org_admin) as client:
        refused = await post_form(
            client,
            "/offers/new",
            "/offers/new",
            offer_form(organisation_id=str(cast.receiver_id), title="", category=""),
        )
        assert refused.status_code == 422
        assert f'<p class="error-text" id="title-erreur">{MISSING_TEXT}' in refused.text
        assert '<p class="error-text" id="category-erreur">' in refused.text
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Offer)) == 3


async def test_members_and_other_organisations_are_refused(
    app: FastAPI, cast: Cast, sessionmaker: Sessions
) -> None:
    async with signed_in(app, cast.member) as client:
        for path in (
            "/offers",
            "/offers/new",
            f"/offers/new?organisation={cast.outsider_id}",
            f"/offers/{cast.offer_id}",
        ):
            refused = await client.get(path)
            assert refused.status_code == 403, path
            assert "Action refusée" in refused.text
        assert (await client.get("/offers/999999")).status_code == 404
    async with signed_in(app, cast.org_admin) as client:
        other = f"/offers/new?organisation={cast.outsider_id}"
        assert (await client.get(other)).status_code == 403
        assert (await client.get(f"/offers/{cast.outsider_offer_id}")).status_code == 403
        forged = await post_form(
            client,
            "/offers/new",
            "/offers/new",
            offer_form(organisation_id=str(cast.outsider_id), title="Offre pirate"),
        )
        assert forged.status_code == 403
        changed = await post_form(
            client,
            "/offers/new",
            f"/offers/{cast.outsider_offer_id}",
            offer_form(title="Offre détournée"),
        )
        assert changed.status_code == 403
    async with sessionmaker() as session:
        titles = set((await session.execute(select(Offer.title))).scalars())
        assert titles == {"Accompagnement en EPI", "Ancien atelier", "Aide aux droits"}


async def test_an_admin_chooses_the_organisation_of_a_new_offer(
    app: FastAPI, cast: Cast, sessionmaker: Sessions
) -> None:
    async with signed_in(app, cast.admin) as client:
        form = await client.get("/offers/new")
        assert '<select id="organisation_id" name="organisation_id" required>' in form.text
        created = await post_form(
            client,
            "/offers/new",
            "/offers/new",
            offer_form(organisation_id=str(cast.outsider_id), title="Permanence CAF"),
        )
        assert created.status_code == 303
    async with sessionmaker() as session:
        offer = (
            await session.execute(select(Offer).where(Offer.title == "Permanence CAF"))
        ).scalar_one()
        assert offer.organisation_id == cast.outsider_id


async def test_an_org_admin_chooses_the_sub_axes_an_offer_serves(
    app: FastAPI, cast: Cast, sessionmaker: Sessions
) -> None:
    path = f"/offers/{cast.offer_id}"
    async with signed_in(app, cast.org_admin) as client:
        form = await client.get(path)
        assert "Sous-axes du plan servis" in form.text
        assert "3.3 — Articuler les accompagnements pour un parcours vers" in form.text
        saved = await post_form(client, path, path, offer_form(sub_axes=["3.3", "2.1"]))
        assert saved.status_code == 303
        again = await client.get(path)
        checked = [
            code for code in ("1.1", "2.1", "3.3") if f'value="{code}" checked' in again.text
        ]
        assert checked == ["2.1", "3.3"], again.text
        # Unticking every box leaves the offer on no sub-axis.
        assert (await post_form(client, path, path, offer_form())).status_code == 303
    async with sessionmaker() as session:
        stored = await session.scalars(
            select(OfferSubAxis.sub_axis).where(OfferSubAxis.offer_id == cast.offer_id)
        )
        assert list(stored) == []
