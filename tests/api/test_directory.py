"""The directory of the frozen interface: login, organisations, accounts and offers."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import OfferCategory, Role, Territory
from core.models import Organisation, User
from tests.factories import (
    PASSWORD,
    World,
    auth_headers,
    make_offer,
    make_organisation,
    make_user,
)

NEW_PASSWORD = "un-mot-de-passe-solide"


async def _login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/auth/jwt/login", data={"username": email, "password": password})


# Login and the caller's account


async def test_login_then_me(client: httpx.AsyncClient, world: World) -> None:
    answer = await _login(client, "conseillere@ml-test.fr", PASSWORD)
    assert answer.status_code == 200, answer.text
    assert set(answer.json()) == {"access_token", "token_type"}
    assert answer.json()["token_type"] == "bearer"
    me = await client.get(
        "/users/me", headers={"Authorization": f"Bearer {answer.json()['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["email"] == "conseillere@ml-test.fr"
    assert me.json()["organisation_id"] == world.sender.id
    assert me.json()["role"] == "member"
    assert "hashed_password" not in me.json()


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("conseillere@ml-test.fr", "pas-le-bon-mot-de-passe"),
        ("personne@ml-test.fr", PASSWORD),
        ("conseillere@ml-test.fr\x00", PASSWORD),
    ],
    ids=["wrong_password", "unknown_email", "nul_character"],
)
async def test_login_refused(
    client: httpx.AsyncClient, world: World, email: str, password: str
) -> None:
    answer = await _login(client, email, password)
    assert answer.status_code == 400
    assert answer.json() == {
        "code": "login_bad_credentials",
        "detail": "Email ou mot de passe incorrect.",
    }


async def test_inactive_account_cannot_log_in(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    await make_user(session, world.sender, clock.now(), email="partie@ml-test.fr", is_active=False)
    answer = await _login(client, "partie@ml-test.fr", PASSWORD)
    assert answer.status_code == 400


async def test_no_self_registration(client: httpx.AsyncClient, world: World) -> None:
    body = {"email": "nouveau@exemple.fr", "password": NEW_PASSWORD}
    for path in ("/auth/register", "/auth/jwt/register", "/register"):
        assert (await client.post(path, json=body)).status_code in {404, 405}
    assert not [
        path for path in (await client.get("/openapi.json")).json()["paths"] if "regist" in path
    ]
    assert (await client.get("/users/me")).status_code == 401


# Organisations


async def test_admin_creates_organisation(client: httpx.AsyncClient, world: World) -> None:
    headers = await auth_headers(world.admin)
    answer = await client.post(
        "/api/organisations",
        json={"name": "France Travail Paris", "kind": "france_travail", "territory": "75019"},
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert isinstance(created["id"], int)
    assert (created["name"], created["kind"], created["territory"]) == (
        "France Travail Paris",
        "france_travail",
        "75019",
    )
    fetched = await client.get(f"/api/organisations/{created['id']}", headers=headers)
    assert fetched.json() == created
    default = await client.post(
        "/api/organisations", json={"name": "Cap emploi 75", "kind": "cap_emploi"}, headers=headers
    )
    assert default.json()["territory"] == "paris"


async def test_organisation_refusals(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    org_admin = await make_user(session, world.sender, clock.now(), role=Role.ORG_ADMIN)
    admin = await auth_headers(world.admin)
    body = {"name": "Région Île-de-France", "kind": "region"}
    expectations = [
        (await auth_headers(world.referrer), body, 403, "forbidden"),
        (await auth_headers(org_admin), body, 403, "forbidden"),
        (await auth_headers(world.coordinator), body, 403, "forbidden"),
        ({}, body, 401, "not_authenticated"),
        (admin, {"name": "caf DE paris", "kind": "caf"}, 409, "already_exists"),
        (admin, {"name": "Banque", "kind": "bank"}, 422, "invalid_input"),
        (admin, {"name": "Banque", "kind": "other", "territory": "75021"}, 422, "invalid_input"),
        (admin, {"name": "   ", "kind": "other"}, 422, "invalid_input"),
    ]
    for headers, payload, status, code in expectations:
        answer = await client.post("/api/organisations", json=payload, headers=headers)
        assert (answer.status_code, answer.json()["code"]) == (status, code), payload
    count = (await session.execute(select(func.count()).select_from(Organisation))).scalar_one()
    await session.rollback()
    assert count == 4


# Accounts


def _account(organisation_id: int, role: str = "member", **extra: str) -> dict[str, object]:
    return {
        "email": "nouvelle.recrue@epi-test.fr",
        "password": NEW_PASSWORD,
        "organisation_id": organisation_id,
        "role": role,
        **extra,
    }


async def test_admin_creates_account_that_can_log_in(
    client: httpx.AsyncClient, world: World
) -> None:
    answer = await client.post(
        "/api/users",
        json=_account(world.receiver.id, "coordinator", scope_territory="75011"),
        headers=await auth_headers(world.admin),
    )
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert isinstance(created["id"], int)
    assert created["organisation_id"] == world.receiver.id
    assert (created["role"], created["scope_territory"]) == ("coordinator", "75011")
    assert "hashed_password" not in created and "password" not in created
    login = await _login(client, "nouvelle.recrue@epi-test.fr", NEW_PASSWORD)
    assert login.status_code == 200


@pytest.mark.parametrize("role", ["member", "org_admin"])
async def test_org_admin_creates_accounts_of_its_organisation(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock, role: str
) -> None:
    manager = await make_user(session, world.receiver, clock.now(), role=Role.ORG_ADMIN)
    answer = await client.post(
        "/api/users", json=_account(world.receiver.id, role), headers=await auth_headers(manager)
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["role"] == role


async def test_account_refusals(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    manager = await auth_headers(
        await make_user(session, world.receiver, clock.now(), role=Role.ORG_ADMIN)
    )
    admin = await auth_headers(world.admin)
    own = world.receiver.id
    expectations = [
        # (caller, body, status, field blamed or None)
        (manager, _account(world.sender.id), 403, None),
        (manager, _account(own, "coordinator"), 403, None),
        (manager, _account(own, "secretary"), 403, None),
        (manager, _account(own, "admin"), 403, None),
        (await auth_headers(world.receiver_member), _account(own), 403, None),
        (await auth_headers(world.coordinator), _account(own), 403, None),
        ({}, _account(own), 401, None),
        (admin, {**_account(own), "email": "Accueil@EPI-test.fr"}, 409, None),
        (admin, {**_account(own), "password": "court"}, 422, "password"),
        (admin, {**_account(own), "password": "nouvelle.recrue-2026"}, 422, "password"),
        (admin, _account(999_999), 422, "organisation_id"),
        (admin, _account(own, scope_territory="75011"), 422, "scope_territory"),
        (admin, {**_account(own), "email": "pas-une-adresse"}, 422, "email"),
        (admin, _account(own, "superuser"), 422, "role"),
    ]
    for headers, body, status, field in expectations:
        answer = await client.post("/api/users", json=body, headers=headers)
        assert answer.status_code == status, (body, answer.text)
        if field is not None:
            assert field in [error["field"] for error in answer.json()["errors"]]
    count = (await session.execute(select(func.count()).select_from(User))).scalar_one()
    await session.rollback()
    assert count == 6


async def test_an_org_admin_never_learns_where_an_address_is_used(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    manager = await make_user(session, world.receiver, clock.now(), role=Role.ORG_ADMIN)
    taken = {**_account(world.receiver.id), "email": world.outsider_member.email}
    answer = await client.post("/api/users", json=taken, headers=await auth_headers(manager))
    assert answer.status_code == 409
    detail = answer.json()["detail"]
    assert world.outsider_member.email not in detail
    assert world.outsider.name not in detail and "existe" not in detail
    # The same words for an address of their own organisation: nothing tells the two apart.
    own = {**_account(world.receiver.id), "email": world.receiver_member.email}
    again = await client.post("/api/users", json=own, headers=await auth_headers(manager))
    assert (again.status_code, again.json()["detail"]) == (409, detail)
    # The platform's admin is told which address is taken.
    by_admin = await client.post("/api/users", json=taken, headers=await auth_headers(world.admin))
    assert world.outsider_member.email in by_admin.json()["detail"]


# Offers


async def test_offer_creation(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    north = await make_organisation(session, clock.now(), name="EPI 19", territory=Territory.ARR_19)
    manager = await make_user(session, north, clock.now(), role=Role.ORG_ADMIN)
    body = {"organisation_id": north.id, "title": "ParisCode", "category": "numerique"}
    answer = await client.post("/api/offers", json=body, headers=await auth_headers(manager))
    assert answer.status_code == 201, answer.text
    assert isinstance(answer.json()["id"], int)
    assert answer.json()["territory"] == "75019"
    assert answer.json()["is_active"] is True
    by_admin = await client.post(
        "/api/offers",
        json={**body, "title": "ParisFabrik", "territory": "paris", "expiry_days": 30},
        headers=await auth_headers(world.admin),
    )
    assert by_admin.status_code == 201
    assert (by_admin.json()["territory"], by_admin.json()["expiry_days"]) == ("paris", 30)


async def test_offer_creation_refusals(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    sender_admin = await make_user(session, world.sender, clock.now(), role=Role.ORG_ADMIN)
    receiver_admin = await auth_headers(
        await make_user(session, world.receiver, clock.now(), role=Role.ORG_ADMIN)
    )
    body = {"organisation_id": world.receiver.id, "title": "Premières Heures", "category": "sport"}
    expectations = [
        (await auth_headers(world.receiver_member), body, 403, None),
        (await auth_headers(sender_admin), body, 403, None),
        ({}, body, 401, None),
        (
            receiver_admin,
            {**body, "reminder_days": 5, "escalation_days": 3},
            422,
            "escalation_days",
        ),
        (receiver_admin, {**body, "escalation_days": 25}, 422, "escalation_days"),
        (receiver_admin, {**body, "expiry_days": 4}, 422, "escalation_days"),
        (receiver_admin, {**body, "category": "astrologie"}, 422, "category"),
        (receiver_admin, {**body, "organisation_id": 999_999}, 422, "organisation_id"),
        (receiver_admin, {**body, "title": ""}, 422, "title"),
    ]
    for headers, payload, status, field in expectations:
        answer = await client.post("/api/offers", json=payload, headers=headers)
        assert answer.status_code == status, (payload, answer.text)
        if field is not None:
            assert field in [error["field"] for error in answer.json()["errors"]]
    listing = await client.get("/api/offers", headers=receiver_admin)
    assert [item["id"] for item in listing.json()["items"]] == [world.offer.id]


async def test_offer_filters(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    now = clock.now()
    code = await make_offer(
        session,
        world.receiver,
        now,
        title="ParisCode",
        description="Formation aux métiers du numérique",
        category=OfferCategory("numerique"),
        territory=Territory.ARR_19,
    )
    youth = await make_offer(
        session,
        world.sender,
        now,
        title="Quartier jeunes",
        category=OfferCategory("remobilisation"),
        territory=Territory.ARR_11,
    )
    await make_offer(session, world.sender, now, title="Convergence", is_active=False)
    headers = await auth_headers(world.referrer)

    async def ids(**params: str) -> list[int]:
        answer = await client.get("/api/offers", params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]

    assert await ids() == [world.offer.id, code.id, youth.id]
    assert await ids(category="numerique") == [code.id]
    # An arrondissement also gets the offers open to all of Paris.
    assert await ids(territory="75019") == [world.offer.id, code.id]
    assert await ids(territory="75011") == [world.offer.id, youth.id]
    assert await ids(q="MÉTIERS") == [code.id]
    assert await ids(q="jeunes") == [youth.id]
    assert await ids(q="convergence") == []
    assert await ids(organisation_id=str(world.sender.id)) == [youth.id]
    first = await client.get("/api/offers", params={"limit": "2"}, headers=headers)
    assert [item["id"] for item in first.json()["items"]] == [world.offer.id, code.id]
    cursor = str(first.json()["next_cursor"])
    assert await ids(limit="2", cursor=cursor) == [youth.id]
    assert (await client.get("/api/offers")).status_code == 401
    unknown = await client.get("/api/offers", params={"category": "astrologie"}, headers=headers)
    assert unknown.status_code == 422


async def test_offer_update(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    manager = await auth_headers(
        await make_user(session, world.receiver, clock.now(), role=Role.ORG_ADMIN)
    )
    url = f"/api/offers/{world.offer.id}"
    changed = await client.patch(
        url, json={"title": "Accompagnement renforcé", "reminder_days": 2}, headers=manager
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["title"], changed.json()["reminder_days"]) == (
        "Accompagnement renforcé",
        2,
    )
    assert changed.json()["category"] == "trouver-un-emploi"

    refusals = [
        (await auth_headers(world.receiver_member), {"title": "X"}, 403),
        (await auth_headers(world.referrer), {"title": "X"}, 403),
        ({}, {"title": "X"}, 401),
        (manager, {"escalation_days": 2}, 422),
        (manager, {"owner": "moi"}, 422),
    ]
    for headers, body, status in refusals:
        assert (await client.patch(url, json=body, headers=headers)).status_code == status, body
    missing = await client.patch("/api/offers/999999", json={"title": "X"}, headers=manager)
    assert missing.status_code == 404

    closed = await client.patch(url, json={"is_active": False}, headers=manager)
    assert closed.json()["is_active"] is False
    assert (await client.get("/api/offers", headers=manager)).json()["items"] == []
    fetched = await client.get(url, headers=manager)
    assert (fetched.status_code, fetched.json()["title"]) == (200, "Accompagnement renforcé")
    assert fetched.json()["reminder_days"] == 2


@pytest.mark.parametrize("field", ["capacity", "reminder_days", "escalation_days", "expiry_days"])
async def test_an_offer_number_is_a_json_integer_not_a_boolean(
    client: httpx.AsyncClient, world: World, field: str
) -> None:
    numbers = {"capacity": 3, "reminder_days": 2, "escalation_days": 4, "expiry_days": 10}
    body = {"organisation_id": world.receiver.id, "title": "Atelier", "category": "sante"}
    headers = await auth_headers(world.admin)
    refused = await client.post(
        "/api/offers", json={**body, **numbers, field: True}, headers=headers
    )
    assert refused.status_code == 422, refused.text
    assert field in [error["field"] for error in refused.json()["errors"]]
    accepted = await client.post("/api/offers", json={**body, **numbers}, headers=headers)
    assert (accepted.status_code, accepted.json()[field]) == (201, numbers[field])
