"""The professional contacts of a case through the API (issue 14, point 6).

A person keeps their own name and work phone (``PATCH /api/users/me``; a French number,
normalised), an admin may change them (``PATCH /api/users/{id}``), ``GET /users/me`` shows
them; the referral shows the referrer's counsellor and the offer's contact, the handover who
proposed it, only to whom sees the case.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from tests.factories import (
    World,
    accompany_new_person,
    auth_headers,
    handover_json,
    make_offer,
    referral_json,
)

SUZANNE = {"full_name": "Suzanne Lenglen", "work_phone": "+33 (0)1 44 52 10 20"}


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("01 44 52 10 20", "01 44 52 10 20"),
        ("0144521020", "01 44 52 10 20"),
        ("01.44.52.10.20", "01 44 52 10 20"),
        ("+33 6 12 34 56 78", "06 12 34 56 78"),
        ("0033 7 12 34 56 78", "07 12 34 56 78"),
        ("  09-70-12-34-56 ", "09 70 12 34 56"),
    ],
)
async def test_a_person_keeps_their_work_phone_normalised(
    client: httpx.AsyncClient, world: World, typed: str, stored: str
) -> None:
    headers = await auth_headers(world.referrer)
    changed = await client.patch("/api/users/me", json={"work_phone": typed}, headers=headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["work_phone"] == stored
    for path in ("/users/me", "/api/users/me"):
        me = await client.get(path, headers=headers)
        assert (me.json()["email"], me.json()["work_phone"]) == (world.referrer.email, stored)


@pytest.mark.parametrize(
    "typed", ["01 44 52 10 2", "01 44 52 10 200", "00 44 52 10 20", "+44 20 7946 0958", "ab"]
)
async def test_a_number_that_is_not_french_is_refused_in_french(
    client: httpx.AsyncClient, world: World, typed: str
) -> None:
    headers = await auth_headers(world.referrer)
    refused = await client.patch("/api/users/me", json={"work_phone": typed}, headers=headers)
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert error["field"] == "work_phone"
    assert error["message"].startswith("numéro de téléphone français attendu")
    assert (await client.get("/users/me", headers=headers)).json()["work_phone"] is None


async def test_a_field_left_out_stays_and_null_clears(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = await auth_headers(world.referrer)
    await client.patch("/api/users/me", json=SUZANNE, headers=headers)
    renamed = await client.patch(
        "/api/users/me", json={"full_name": "Suzanne Lenglen-Martin"}, headers=headers
    )
    assert (renamed.json()["full_name"], renamed.json()["work_phone"]) == (
        "Suzanne Lenglen-Martin",
        "01 44 52 10 20",
    )
    cleared = await client.patch("/api/users/me", json={"work_phone": None}, headers=headers)
    assert cleared.json()["work_phone"] is None
    assert (await client.patch("/api/users/me", json=SUZANNE)).status_code == 401
    # Nothing else of the account through this door.
    sneaky = await client.patch("/api/users/me", json={"role": "admin"}, headers=headers)
    assert sneaky.status_code == 422


async def test_an_admin_sets_a_work_phone_a_member_cannot_set_another_s(
    client: httpx.AsyncClient, world: World
) -> None:
    path = f"/api/users/{world.referrer.id}"
    admin = await auth_headers(world.admin)
    set_ = await client.patch(path, json={"work_phone": "0144521020"}, headers=admin)
    assert set_.status_code == 200, set_.text
    assert set_.json()["work_phone"] == "01 44 52 10 20"
    bad = await client.patch(path, json={"work_phone": "01 44"}, headers=admin)
    assert bad.status_code == 422
    other = await auth_headers(world.receiver_member)
    # Another organisation's account does not exist for a member.
    assert (await client.patch(path, json={"work_phone": None}, headers=other)).status_code == 404
    assert (await client.get(path, headers=admin)).json()["work_phone"] == "01 44 52 10 20"


async def test_the_referral_names_the_counsellor_and_the_offer_s_contact(
    client: httpx.AsyncClient, session: AsyncSession, world: World, clock: FixedClock
) -> None:
    offer = await make_offer(
        session, world.receiver, clock.now(), contact_email="accueil@epi-centre.fr"
    )
    referrer = await auth_headers(world.referrer)
    await client.patch("/api/users/me", json=SUZANNE, headers=referrer)
    sent = await client.post("/api/referrals", json=referral_json(offer), headers=referrer)
    assert sent.status_code == 201, sent.text
    path = f"/api/referrals/{sent.json()['id']}"
    for user in (world.referrer, world.receiver_member, world.coordinator):
        seen = await client.get(path, headers=await auth_headers(user))
        assert seen.status_code == 200, seen.text
        assert seen.json()["created_by"] == {
            "full_name": "Suzanne Lenglen",
            "email": world.referrer.email,
            "work_phone": "01 44 52 10 20",
            "is_active": True,
        }
        assert seen.json()["offer"]["contact_email"] == "accueil@epi-centre.fr"
        assert seen.json()["receiver_organisation"]["name"] == "EPI Paris Centre"
    # A trigger's answer carries them too.
    accepted = await client.post(
        f"{path}/accept", json={}, headers=await auth_headers(world.receiver_member)
    )
    assert accepted.json()["created_by"]["full_name"] == "Suzanne Lenglen"
    hidden = await client.get(path, headers=await auth_headers(world.outsider_member))
    assert hidden.status_code == 404
    assert "Lenglen" not in hidden.text


async def test_the_handover_names_who_proposed_it(
    client: httpx.AsyncClient, session: AsyncSession, world: World, clock: FixedClock
) -> None:
    person_id = await accompany_new_person(session, world.receiver_member, clock.now())
    proposer = await auth_headers(world.receiver_member)
    await client.patch(
        "/api/users/me", json={"full_name": "Karim Benali", "work_phone": "0153000000"},
        headers=proposer,
    )  # fmt: skip
    proposed = await client.post(
        "/api/handovers", json=handover_json(person_id, world.outsider), headers=proposer
    )
    assert proposed.status_code == 201, proposed.text
    seen = await client.get(
        f"/api/handovers/{proposed.json()['id']}", headers=await auth_headers(world.outsider_member)
    )
    assert seen.status_code == 200, seen.text
    assert seen.json()["created_by"] == {
        "full_name": "Karim Benali",
        "email": world.receiver_member.email,
        "work_phone": "01 53 00 00 00",
        "is_active": True,
    }


async def test_an_account_is_created_with_its_work_phone(
    client: httpx.AsyncClient, world: World
) -> None:
    body = {
        "email": "nouvelle@ml-test.fr",
        "password": "trois-pommes-sur-un-velo",
        "organisation_id": world.sender.id,
        "role": "member",
        "full_name": "Inès Robert",
        "work_phone": "0033 1 40 00 00 00",
    }
    admin = await auth_headers(world.admin)
    created = await client.post("/api/users", json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["work_phone"] == "01 40 00 00 00"
    refused = await client.post(
        "/api/users", json={**body, "email": "autre@ml-test.fr", "work_phone": "123"}, headers=admin
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "work_phone"
