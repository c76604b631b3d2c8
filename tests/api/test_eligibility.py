"""Sending a person to an offer whose publics they do not match needs a justification.

The clock reads Monday 2 March 2026: someone born on 3 March 2000 is 25 years and 364 days
old (jeunes), someone born on 2 March 2000 is 26 (no longer).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from tests.factories import World, auth_headers, make_offer, referral_json
from tests.web.http_pages import page_client, sign_in
from tests.web.pages import visible_text

JUSTIFIED = "Sortie de l'ASS le mois dernier : la structure l'accepte à titre dérogatoire."


def _person(**fields: Any) -> dict[str, Any]:
    return {"first_name": "Zoé", "last_name": "Quatremer", **fields}


async def _send(
    client: httpx.AsyncClient, world: World, offer_id: int, **body: Any
) -> httpx.Response:
    payload = referral_json(world.offer) | {"offer_id": offer_id, **body}
    return await client.post(
        "/api/referrals", json=payload, headers=await auth_headers(world.referrer)
    )


@pytest.fixture
async def rsa_offer(world: World, session: AsyncSession, clock: FixedClock) -> int:
    offer = await make_offer(
        session, world.receiver, clock.now(), title="Parcours RSA", eligible_publics=["rsa"]
    )
    return offer.id


async def test_one_matching_public_is_enough(
    client: httpx.AsyncClient, world: World, rsa_offer: int
) -> None:
    sent = await _send(client, world, rsa_offer, person=_person(publics=["femmes", "rsa"]))
    assert sent.status_code == 201, sent.text
    body = sent.json()
    assert body["person"]["publics"] == ["femmes", "rsa"]
    assert "beneficiaires-des-minimas-sociaux" in body["publics"]
    assert body["situation"] == "rsa"


async def test_no_matching_public_is_refused_naming_both_sides(
    client: httpx.AsyncClient, world: World, rsa_offer: int
) -> None:
    refused = await _send(client, world, rsa_offer, person=_person(publics=["ass"]))
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["code"] == "not_eligible"
    assert "Allocataires du RSA" in body["detail"]  # the offer's
    assert "Allocataires de l'ASS" in body["detail"]  # the person's
    assert body["errors"][0]["field"] == "eligibility_justification"
    listed = await client.get("/api/referrals", headers=await auth_headers(world.referrer))
    assert listed.json()["items"] == []  # nothing written


async def test_a_justification_sends_it_and_the_history_keeps_it(
    client: httpx.AsyncClient, app: FastAPI, world: World, rsa_offer: int
) -> None:
    sent = await _send(
        client, world, rsa_offer, person=_person(publics=["ass"]),
        eligibility_justification=JUSTIFIED,
    )  # fmt: skip
    assert sent.status_code == 201, sent.text
    submit = [event for event in sent.json()["events"] if event["trigger"] == "submit"]
    assert submit[0]["payload"] == {"eligibility_justification": JUSTIFIED}
    async with page_client(app) as browser:
        await sign_in(browser, world.receiver_member.email)
        page = await browser.get(f"/referrals/{sent.json()['id']}")
    assert page.status_code == 200
    assert f"Orientation hors des publics de l'offre, justifiée : « {JUSTIFIED} »" in (
        visible_text(page.text)
    )


@pytest.mark.parametrize(
    ("birth_date", "status"),
    [("2000-03-03", 201), ("2000-03-02", 422)],
    ids=["25-years-364-days", "26-exactly"],
)
async def test_jeunes_is_derived_from_the_birth_date(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    clock: FixedClock,
    birth_date: str,
    status: int,
) -> None:
    offer = await make_offer(session, world.receiver, clock.now(), eligible_publics=["jeunes"])
    sent = await _send(client, world, offer.id, person=_person(birth_date=birth_date))
    assert sent.status_code == status, sent.text


@pytest.mark.parametrize("eligible", [[], ["tous-publics"]], ids=["none-named", "tous-publics"])
async def test_an_offer_naming_no_public_or_everyone_takes_anyone(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    clock: FixedClock,
    eligible: list[str],
) -> None:
    offer = await make_offer(session, world.receiver, clock.now(), eligible_publics=eligible)
    assert (await _send(client, world, offer.id)).status_code == 201


async def test_residents_qpv_comes_from_the_box(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    offer = await make_offer(
        session, world.receiver, clock.now(), eligible_publics=["residents-qpv-frr"]
    )
    sent = await _send(
        client, world, offer.id, person=_person(lives_in_qpv=True, residence="75018")
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["person"]["residence"] == "75018"


@pytest.mark.parametrize(
    ("person", "field", "words"),
    [
        (_person(publics=["jeunes"]), "person.publics", "date de naissance"),
        (_person(publics=["residents-qpv-frr"]), "person.publics", "quartier prioritaire"),
        (_person(residence="paris"), "person.residence", "n'est pas un lieu de résidence"),
    ],
    ids=["jeunes-typed", "qpv-typed", "all-paris"],
)
async def test_what_relais_derives_is_never_typed(
    client: httpx.AsyncClient, world: World, person: dict[str, Any], field: str, words: str
) -> None:
    refused = await _send(client, world, world.offer.id, person=person)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == field
    assert words in refused.json()["detail"]


async def test_old_clients_still_send_a_situation_and_old_codes(
    client: httpx.AsyncClient, world: World
) -> None:
    sent = await _send(
        client,
        world,
        world.offer.id,
        person=_person(residence="75003"),
        situation="demandeur_emploi",
    )
    assert sent.status_code == 201, sent.text
    body = sent.json()
    assert body["person"]["residence"] == "paris_centre"
    assert body["person"]["publics"] == ["demandeurs-emploi"]
    assert body["situation"] == "demandeur_emploi"
    jeune = await _send(client, world, world.offer.id, situation="jeune")
    assert jeune.json()["person"]["publics"] == []  # derived from a birth date, never typed


async def test_resubmitting_and_reassigning_check_the_new_offer_too(
    client: httpx.AsyncClient, world: World, rsa_offer: int
) -> None:
    referrer = await auth_headers(world.referrer)
    receiver = await auth_headers(world.receiver_member)
    coordinator = await auth_headers(world.coordinator)
    sent = await _send(client, world, rsa_offer, person=_person(publics=["rsa"]))
    referral = sent.json()["id"]
    returned = await client.post(
        f"/api/referrals/{referral}/return",
        json={"reason": "missing_information", "comment": "Précisez."},
        headers=receiver,
    )
    assert returned.status_code == 200
    # The referrer corrects the publics: no longer RSA, so the offer needs a justification.
    amended = {"publics": ["ass"]}
    resubmit = f"/api/referrals/{referral}/resubmit"
    refused = await client.post(resubmit, json=amended, headers=referrer)
    assert refused.status_code == 422 and refused.json()["code"] == "not_eligible"
    again = await client.post(
        resubmit, json={**amended, "eligibility_justification": JUSTIFIED}, headers=referrer
    )
    assert again.status_code == 200, again.text
    assert again.json()["person"]["publics"] == ["ass"]
    reassign = f"/api/referrals/{referral}/reassign"
    other = world.offer.id  # names no public: takes anyone
    assert (
        await client.post(reassign, json={"offer_id": other}, headers=coordinator)
    ).status_code == 200
