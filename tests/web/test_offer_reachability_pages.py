"""Offers nobody can receive, on the pages: marked « non joignable » in the offer list and on
the referral form (where they cannot be chosen), refused when posted anyway, and listed on
the coordinators' dashboard within their scope."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import ReturnReason, Role, Territory
from core.models import Event, Referral
from services import referral_service
from states.referral_fields import ReturnFields
from tests.factories import World, actor_of, make_offer, make_organisation, make_user
from tests.web.dashboard_helpers import post_form, signed_in
from tests.web.http_pages import submitted_referral

Sessions = async_sessionmaker[AsyncSession]
BADGE = '<span class="badge badge-unreachable">Non joignable</span>'


@dataclass(frozen=True)
class Cast:
    """An association of the 19th with no account and its offer, and who looks at them."""

    offer_id: int
    reachable_offer_id: int
    referrer: str
    admin: str
    org_admin: str
    paris_coordinator: str
    coordinator_19: str
    coordinator_11: str


@pytest.fixture
async def cast(world: World, session: AsyncSession, clock: FixedClock) -> Cast:
    now = clock.now()
    association = await make_organisation(
        session, now, name="Association du 19e", territory=Territory.ARR_19
    )
    offer = await make_offer(session, association, now, title="Atelier numérique")
    await make_offer(session, association, now, title="Ancien atelier", is_active=False)
    org_admin = await make_user(session, world.receiver, now, role=Role.ORG_ADMIN)
    scoped = {
        territory: await make_user(
            session, world.coordination, now, role=Role.COORDINATOR, scope_territory=territory
        )
        for territory in (Territory.ARR_19, Territory.ARR_11)
    }
    found = Cast(
        offer_id=offer.id,
        reachable_offer_id=world.offer.id,
        referrer=world.referrer.email,
        admin=world.admin.email,
        org_admin=org_admin.email,
        paris_coordinator=world.coordinator.email,
        coordinator_19=scoped[Territory.ARR_19].email,
        coordinator_11=scoped[Territory.ARR_11].email,
    )
    await session.close()  # SQLite: no transaction of ours open during the HTTP calls
    return found


def row_of(html: str, title: str) -> str:
    """The table row naming ``title``."""
    found = re.search(rf"<tr>\s*<td[^>]*>(?:(?!</tr>).)*{re.escape(title)}.*?</tr>", html, re.S)
    assert found is not None, f"no row for {title}"
    return found.group(0)


async def test_the_offer_list_marks_the_unreachable_open_offer(app: FastAPI, cast: Cast) -> None:
    async with signed_in(app, cast.admin) as client:
        page = await client.get("/offers")
        assert page.status_code == 200
        assert BADGE in row_of(page.text, "Atelier numérique")
        assert "aucun compte actif de conseiller·ère ou de responsable" in page.text
        assert BADGE not in row_of(page.text, "Accompagnement en EPI")
        assert BADGE not in row_of(page.text, "Ancien atelier")  # closed: nothing to receive
        edit = await client.get(f"/offers/{cast.offer_id}")
        assert "Offre non joignable." in edit.text
        assert "Renseignez une adresse de contact" in edit.text
        reachable = await client.get(f"/offers/{cast.reachable_offer_id}")
        assert "Offre non joignable." not in reachable.text
    async with signed_in(app, cast.org_admin) as client:
        assert BADGE not in (await client.get("/offers")).text  # an admin there receives


async def test_the_referral_form_does_not_let_one_choose_an_unreachable_offer(
    app: FastAPI, cast: Cast, sessionmaker: Sessions
) -> None:
    async with signed_in(app, cast.referrer) as client:
        form = await client.get("/referrals/new")
        assert form.status_code == 200
        assert (
            f'<input type="radio" id="offer-{cast.offer_id}" name="offer_id" '
            f'value="{cast.offer_id}" disabled>'
        ) in form.text
        assert f'value="{cast.reachable_offer_id}">' in form.text  # the others can be chosen
        assert BADGE in form.text
        assert "Contactez la coordination du plan." in form.text

        posted = await post_form(
            client, "/referrals/new", "/referrals/new",
            {"offer_id": str(cast.offer_id), "person_first_name": "Zoé",
             "person_last_name": "Quatremer", "motive": "Premier emploi", "consent": "on"},
        )  # fmt: skip
        assert posted.status_code == 409
        assert "Personne ne peut recevoir d&#39;orientation" in posted.text
        assert "Zoé" in posted.text  # the form comes back as it was filled
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Referral)) == 0


async def test_a_referral_is_neither_redirected_nor_reassigned_there(
    app: FastAPI, cast: Cast, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    referral_id = await submitted_referral(session, world, clock)
    await session.close()
    async with signed_in(app, cast.paris_coordinator) as client:
        page = await client.get(f"/referrals/{referral_id}")
        assert f"/referrals/{referral_id}/actions/reassign" in page.text
        assert "Accompagnement en EPI" in page.text
        assert "Atelier numérique" not in page.text  # not among the offers to choose
        refused = await post_form(
            client, f"/referrals/{referral_id}", f"/referrals/{referral_id}/actions/reassign",
            {"reassign-offer_id": str(cast.offer_id)},
        )  # fmt: skip
        assert refused.status_code == 409
        assert "Personne ne peut recevoir d&#39;orientation" in refused.text
    events = await session.scalar(select(func.count()).select_from(Event))
    referral = await session.get_one(Referral, referral_id)
    assert (referral.offer_id, events) == (cast.reachable_offer_id, 2)


async def test_a_returned_referral_is_not_redirected_there(
    app: FastAPI, cast: Cast, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    referral_id = await submitted_referral(session, world, clock)
    await referral_service.fire_referral(
        session, actor_of(world.receiver_member), referral_id, "return",
        ReturnFields(reason=ReturnReason.NO_CAPACITY, comment="Plus de place ce trimestre."),
        clock.now(),
    )  # fmt: skip
    await session.close()
    path = f"/referrals/{referral_id}/redirect"
    async with signed_in(app, cast.referrer) as client:
        refused = await post_form(
            client, path, path, {"offer_id": str(cast.offer_id), "consent": "on"}
        )
        assert refused.status_code == 409
        assert "Personne ne peut recevoir d&#39;orientation" in refused.text
        assert "Réorienter l&#39;orientation" in refused.text  # the form, to choose another
    states = (await session.execute(select(Referral.state))).scalars().all()
    assert states == ["returned"]  # not closed, and no new referral


def unreachable_section(html: str) -> str:
    """The dashboard's section of unreachable offers."""
    found = re.search(r'<section aria-labelledby="injoignables-titre">.*?</section>', html, re.S)
    assert found is not None, "no section of unreachable offers"
    return found.group(0)


async def test_the_dashboard_lists_the_unreachable_offers_in_scope(
    app: FastAPI, cast: Cast
) -> None:
    for email in (cast.paris_coordinator, cast.coordinator_19, cast.admin):
        async with signed_in(app, email) as client:
            section = unreachable_section((await client.get("/dashboard")).text)
            row = row_of(section, "Atelier numérique")
            assert '<td data-label="Structure">Association du 19e</td>' in row
            assert "La structure « Association du 19e » n&#39;a aucun compte actif" in row
            assert "Ancien atelier" not in section
            assert "Accompagnement en EPI" not in section
    async with signed_in(app, cast.paris_coordinator) as client:
        filtered = unreachable_section((await client.get("/dashboard?territory=75011")).text)
        assert "Atelier numérique" not in filtered
        assert "Aucune offre non joignable sur ce territoire" in filtered
    async with signed_in(app, cast.coordinator_11) as client:
        section = unreachable_section((await client.get("/dashboard")).text)
        assert "Atelier numérique" not in section
        assert "Aucune offre non joignable : chaque offre ouverte" in section
    async with signed_in(app, cast.org_admin) as client:
        page = await client.get("/dashboard")
        assert page.status_code == 200
        assert "Offres non joignables" not in page.text
