"""Acceptance point 3: the rules of referral authorization, one scenario at a time.

The order of checks (401, then 404 for a case the caller may not see, then 403 for the wrong
side, then 409 for the wrong state), what each side may do, and the callers who see no
referral at all: a coordinator scoped elsewhere, a secretary, a platform admin, a departed
member or a bad token. The matrices of every endpoint: ``test_authorization_matrix.py``.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import Role, Territory
from tests.api.authorization_helpers import headers_of, referral_in, state_and_version, trigger_body
from tests.factories import World, auth_headers, make_offer, make_user, referral_json


async def test_order_of_checks(
    client: httpx.AsyncClient,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    """On a completed referral, where nobody may accept: 404, then 403, then 409."""
    referral_id = await referral_in(sessionmaker, world, clock, "completed")
    url = f"/api/referrals/{referral_id}/accept"
    outsider = await client.post(url, json={}, headers=await headers_of(world, "outsider"))
    referrer = await client.post(url, json={}, headers=await headers_of(world, "referrer"))
    receiver = await client.post(url, json={}, headers=await headers_of(world, "receiver"))
    anonymous = await client.post(url, json={})
    assert [outsider.status_code, referrer.status_code, receiver.status_code] == [404, 403, 409]
    assert anonymous.status_code == 401
    assert receiver.json()["code"] == "transition_not_allowed"
    assert receiver.json()["allowed_actions"] == []
    # A hidden case answers exactly like one that does not exist.
    missing = await client.post(
        "/api/referrals/999999/accept", json={}, headers=await headers_of(world, "outsider")
    )
    assert missing.status_code == 404
    assert outsider.json()["code"] == missing.json()["code"] == "not_found"
    assert outsider.json()["detail"].replace(str(referral_id), "N") == missing.json()[
        "detail"
    ].replace("999999", "N")


async def test_allowed_actions_follow_the_side(
    client: httpx.AsyncClient,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    referral_id = await referral_in(sessionmaker, world, clock, "submitted")
    expected = {
        "referrer": ["cancel"],
        "receiver": ["accept", "return"],
        "coordinator": ["accept", "return", "cancel", "reassign"],
    }
    for caller, actions in expected.items():
        answer = await client.get(
            f"/api/referrals/{referral_id}", headers=await headers_of(world, caller)
        )
        assert sorted(answer.json()["allowed_actions"]) == sorted(actions), caller


async def test_coordinator_scoped_elsewhere_sees_nothing(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    """A coordinator of the 11th arrondissement neither sees nor acts on a Paris-wide case."""
    scoped = await make_user(
        session,
        world.coordination,
        clock.now(),
        role=Role.COORDINATOR,
        scope_territory=Territory.ARR_11,
    )
    headers = await auth_headers(scoped)
    referral_id = await referral_in(sessionmaker, world, clock, "submitted")
    assert (await client.get(f"/api/referrals/{referral_id}", headers=headers)).status_code == 404
    listing = await client.get("/api/referrals", headers=headers)
    assert listing.json()["items"] == []
    for trigger in ("accept", "cancel"):
        answer = await client.post(
            f"/api/referrals/{referral_id}/{trigger}",
            json=trigger_body(trigger, world.offer),
            headers=headers,
        )
        assert answer.status_code == 404
    assert await state_and_version(sessionmaker, referral_id) == ("submitted", 2)

    # The same coordinator acts on a case of their arrondissement.
    local_offer = await make_offer(session, world.receiver, clock.now(), territory=Territory.ARR_11)
    local_id = await referral_in(sessionmaker, world, clock, "submitted", offer=local_offer)
    assert (await client.get(f"/api/referrals/{local_id}", headers=headers)).status_code == 200
    accepted = await client.post(f"/api/referrals/{local_id}/accept", json={}, headers=headers)
    assert accepted.status_code == 200
    assert accepted.json()["state"] == "accepted"


@pytest.mark.parametrize("role", [Role.SECRETARY, Role.ADMIN])
async def test_secretary_and_admin_see_no_referral(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    role: Role,
) -> None:
    user = await make_user(session, world.receiver, clock.now(), role=role)
    headers = await auth_headers(user)
    referral_id = await referral_in(sessionmaker, world, clock, "submitted")
    assert (await client.get(f"/api/referrals/{referral_id}", headers=headers)).status_code == 404
    for box in (None, "sent", "received"):
        listing = await client.get(
            "/api/referrals", params={} if box is None else {"box": box}, headers=headers
        )
        assert listing.status_code == 200
        assert listing.json()["items"] == []
    accept = await client.post(f"/api/referrals/{referral_id}/accept", json={}, headers=headers)
    assert accept.status_code == 404
    created = await client.post("/api/referrals", json=referral_json(world.offer), headers=headers)
    assert created.status_code == 403
    assert await state_and_version(sessionmaker, referral_id) == ("submitted", 2)


async def test_org_admin_acts_for_its_side(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    manager = await make_user(session, world.receiver, clock.now(), role=Role.ORG_ADMIN)
    headers = await auth_headers(manager)
    referral_id = await referral_in(sessionmaker, world, clock, "submitted")
    cancel = await client.post(
        f"/api/referrals/{referral_id}/cancel", json={"reason": "Erreur"}, headers=headers
    )
    assert cancel.status_code == 403
    accept = await client.post(f"/api/referrals/{referral_id}/accept", json={}, headers=headers)
    assert accept.status_code == 200


async def test_bad_or_inactive_token_is_anonymous(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    referral_id = await referral_in(sessionmaker, world, clock, "submitted")
    departed = await make_user(session, world.receiver, clock.now(), is_active=False)
    for headers in ({"Authorization": "Bearer not-a-token"}, await auth_headers(departed)):
        answer = await client.post(f"/api/referrals/{referral_id}/accept", json={}, headers=headers)
        assert answer.status_code == 401
        assert (await client.get("/api/referrals", headers=headers)).status_code == 401
    assert await state_and_version(sessionmaker, referral_id) == ("submitted", 2)
