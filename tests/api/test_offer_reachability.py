"""Nobody is referred into the void, through the API: the catalogue says which offers are
reachable, and a referral sent to one nobody can receive is refused (409) with nothing
written, whether created, resubmitted or reassigned there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.models import Event, OutboxMessage, Person, Referral, Timer
from tests.factories import World, auth_headers, make_offer, make_organisation, referral_json

Sessions = async_sessionmaker[AsyncSession]
COUNTED = (Person, Referral, Event, Timer, OutboxMessage)


@dataclass(frozen=True)
class Catalogue:
    """An association with no account: one offer with a contact address, one without."""

    unreachable: int
    by_email: int


@pytest.fixture
async def catalogue(world: World, session: AsyncSession, clock: FixedClock) -> Catalogue:
    now = clock.now()
    association = await make_organisation(session, now, name="Association du 19e")
    silent = await make_offer(session, association, now, title="Atelier numérique")
    by_email = await make_offer(
        session, association, now, title="Permanence emploi", contact_email="accueil@asso.fr"
    )
    found = Catalogue(silent.id, by_email.id)
    await session.close()  # SQLite: no transaction of ours open during the HTTP calls
    return found


def to_offer(world: World, offer_id: int, **overrides: Any) -> dict[str, Any]:
    """The body of a valid new referral to the offer ``offer_id``."""
    return {**referral_json(world.offer, **overrides), "offer_id": offer_id}


async def counts(sessionmaker: Sessions) -> dict[str, int]:
    """How many persons, referrals, events, timers and emails there are."""
    async with sessionmaker() as fresh:
        return {
            model.__tablename__: await fresh.scalar(select(func.count()).select_from(model)) or 0
            for model in COUNTED
        }


async def referral_row(sessionmaker: Sessions, referral_id: int) -> dict[str, Any]:
    """The referral's row as stored."""
    async with sessionmaker() as fresh:
        row = await fresh.execute(select(Referral.__table__).where(Referral.id == referral_id))
        return dict(row.one()._mapping)


def assert_refused(answer: httpx.Response, allowed: list[str]) -> None:
    """A 409 ``offer_unreachable`` that says why, whom to ask and what remains to do."""
    assert answer.status_code == 409, answer.text
    body = answer.json()
    assert body["code"] == "offer_unreachable"
    assert "« Association du 19e » n'a aucun compte actif" in body["detail"]
    assert "l'offre n'a pas d'adresse de contact" in body["detail"]
    assert "Contactez la coordination du plan" in body["detail"]
    assert body["allowed_actions"] == allowed


async def test_the_catalogue_says_which_offers_are_reachable(
    client: httpx.AsyncClient, world: World, catalogue: Catalogue
) -> None:
    headers = await auth_headers(world.referrer)
    listed = await client.get("/api/offers", headers=headers)
    assert listed.status_code == 200
    assert {item["id"]: item["reachable"] for item in listed.json()["items"]} == {
        world.offer.id: True,
        catalogue.unreachable: False,
        catalogue.by_email: True,
    }
    one = await client.get(f"/api/offers/{catalogue.unreachable}", headers=headers)
    assert one.json()["reachable"] is False

    # A platform admin gives the offer a contact address: it is reachable at once.
    admin = await auth_headers(world.admin)
    changed = await client.patch(
        f"/api/offers/{catalogue.unreachable}",
        json={"contact_email": "atelier@asso.fr"},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["reachable"] is True


async def test_a_referral_to_an_unreachable_offer_is_refused_and_nothing_is_created(
    client: httpx.AsyncClient, world: World, catalogue: Catalogue, sessionmaker: Sessions
) -> None:
    headers = await auth_headers(world.referrer)
    refused = await client.post(
        "/api/referrals", json=to_offer(world, catalogue.unreachable), headers=headers
    )
    assert_refused(refused, [])
    assert await counts(sessionmaker) == dict.fromkeys(
        (model.__tablename__ for model in COUNTED), 0
    )

    sent = await client.post(
        "/api/referrals", json=to_offer(world, catalogue.by_email), headers=headers
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["state"] == "submitted"


async def test_a_draft_is_saved_but_its_submission_is_refused(
    client: httpx.AsyncClient, world: World, catalogue: Catalogue, sessionmaker: Sessions
) -> None:
    headers = await auth_headers(world.referrer)
    draft = await client.post(
        "/api/referrals",
        json=to_offer(world, catalogue.unreachable, submit=False),
        headers=headers,
    )
    assert draft.status_code == 201, draft.text
    referral_id = draft.json()["id"]
    before = await counts(sessionmaker), await referral_row(sessionmaker, referral_id)
    refused = await client.post(f"/api/referrals/{referral_id}/submit", json={}, headers=headers)
    assert_refused(refused, ["cancel", "submit"])
    assert (await counts(sessionmaker), await referral_row(sessionmaker, referral_id)) == before


async def test_a_resubmission_is_refused_once_the_receiver_has_nobody_left(
    client: httpx.AsyncClient, world: World, catalogue: Catalogue, sessionmaker: Sessions
) -> None:
    """The receiving organisation's only member is deactivated after returning the referral:
    resubmitting it would notify nobody."""
    referrer = await auth_headers(world.referrer)
    receiver = await auth_headers(world.receiver_member)
    created = await client.post("/api/referrals", json=referral_json(world.offer), headers=referrer)
    referral_id = created.json()["id"]
    returned = await client.post(
        f"/api/referrals/{referral_id}/return",
        json={"reason": "no_capacity", "comment": "Plus de place ce trimestre."},
        headers=receiver,
    )
    assert returned.status_code == 200, returned.text
    gone = await client.post(
        f"/api/users/{world.receiver_member.id}/deactivate", headers=await auth_headers(world.admin)
    )
    assert gone.status_code == 200, gone.text
    before = await counts(sessionmaker), await referral_row(sessionmaker, referral_id)

    refused = await client.post(
        f"/api/referrals/{referral_id}/resubmit",
        json={"motive": "Motif complété"},
        headers=referrer,
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "offer_unreachable"
    assert "« EPI Paris Centre » n'a aucun compte actif" in refused.json()["detail"]
    assert refused.json()["allowed_actions"] == ["cancel", "close", "resubmit"]
    after = await counts(sessionmaker), await referral_row(sessionmaker, referral_id)
    assert after == before  # still returned, motive unchanged, no event, timer nor email


async def test_a_reassignment_to_an_unreachable_offer_is_refused(
    client: httpx.AsyncClient, world: World, catalogue: Catalogue, sessionmaker: Sessions
) -> None:
    referrer = await auth_headers(world.referrer)
    coordinator = await auth_headers(world.coordinator)
    created = await client.post("/api/referrals", json=referral_json(world.offer), headers=referrer)
    referral_id = created.json()["id"]
    before = await counts(sessionmaker), await referral_row(sessionmaker, referral_id)

    refused = await client.post(
        f"/api/referrals/{referral_id}/reassign",
        json={"offer_id": catalogue.unreachable},
        headers=coordinator,
    )
    assert_refused(refused, ["accept", "cancel", "reassign", "return"])
    after = await counts(sessionmaker), await referral_row(sessionmaker, referral_id)
    assert after == before  # still on its offer and receiver, no event, timer nor email

    moved = await client.post(
        f"/api/referrals/{referral_id}/reassign",
        json={"offer_id": catalogue.by_email},
        headers=coordinator,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["offer"]["id"] == catalogue.by_email
