"""Managing organisations through the API: admins change, deactivate and reactivate them; a
deactivated organisation keeps its cases, its accounts are deactivated and its offers stop
receiving referrals (issue 12, finding 5)."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import Role
from tests.factories import PASSWORD, World, auth_headers, make_user, referral_json


async def test_an_admin_changes_an_organisation(client: httpx.AsyncClient, world: World) -> None:
    admin = await auth_headers(world.admin)
    path = f"/api/organisations/{world.outsider.id}"
    changed = await client.patch(
        path, json={"name": "CAF de Paris (Belleville)", "territory": "75020"}, headers=admin
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() == {
        "id": world.outsider.id,
        "name": "CAF de Paris (Belleville)",
        "kind": "caf",
        "territory": "75020",
        "is_active": True,
    }
    # The same name in another case is the same name.
    taken = await client.patch(path, json={"name": "epi paris centre"}, headers=admin)
    assert taken.status_code == 409
    assert "existe déjà" in taken.json()["detail"]
    wrong = await client.patch(path, json={"kind": "banque"}, headers=admin)
    assert (wrong.status_code, wrong.json()["errors"][0]["field"]) == (422, "kind")
    assert (await client.patch("/api/organisations/99999", json={}, headers=admin)).status_code == (
        404
    )
    for user in (world.receiver_member, world.coordinator):
        refused = await client.patch(
            path, json={"name": "Autre nom"}, headers=await auth_headers(user)
        )
        assert refused.status_code == 403


async def test_a_deactivated_organisation_keeps_its_cases_but_receives_no_referral(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    admin = await auth_headers(world.admin)
    referrer = await auth_headers(world.referrer)
    sent = await client.post("/api/referrals", json=referral_json(world.offer), headers=referrer)
    assert sent.status_code == 201
    receiver_admin = await make_user(session, world.receiver, clock.now(), role=Role.ORG_ADMIN)
    path = f"/api/organisations/{world.receiver.id}"
    old_token = await auth_headers(receiver_admin)

    closed = await client.post(f"{path}/deactivate", headers=admin)
    assert (closed.status_code, closed.json()["is_active"]) == (200, False)
    # Its accounts are deactivated, its offers closed: no new referral reaches it.
    login = await client.post(
        "/auth/jwt/login", data={"username": world.receiver_member.email, "password": PASSWORD}
    )
    assert login.status_code == 400
    offer = await client.get(f"/api/offers/{world.offer.id}", headers=referrer)
    assert offer.json()["is_active"] is False
    again = await client.post("/api/referrals", json=referral_json(world.offer), headers=referrer)
    assert (again.status_code, again.json()["errors"][0]["field"]) == (422, "offer_id")
    # The referral already sent stays where it was.
    kept = await client.get(f"/api/referrals/{sent.json()['id']}", headers=referrer)
    assert kept.json()["receiver_organisation"]["id"] == world.receiver.id
    assert kept.json()["state"] == "submitted"
    # Nothing reopens while it is deactivated.
    new_account = {
        "email": "renfort@epi-test.fr",
        "password": "un-mot-de-passe-solide",
        "organisation_id": world.receiver.id,
        "role": "member",
    }
    refused = await client.post("/api/users", json=new_account, headers=admin)
    assert (refused.status_code, refused.json()["errors"][0]["field"]) == (422, "organisation_id")
    reopen = await client.patch(
        f"/api/offers/{world.offer.id}", json={"is_active": True}, headers=admin
    )
    assert reopen.status_code == 409
    user_back = await client.post(f"/api/users/{receiver_admin.id}/reactivate", headers=admin)
    assert user_back.status_code == 409
    twice = await client.post(f"{path}/deactivate", headers=admin)
    assert (twice.status_code, twice.json()["allowed_actions"]) == (409, ["reactivate"])

    back = await client.post(f"{path}/reactivate", headers=admin)
    assert (back.status_code, back.json()["is_active"]) == (200, True)
    user_back = await client.post(f"/api/users/{receiver_admin.id}/reactivate", headers=admin)
    assert user_back.status_code == 200
    # Deactivation ended the account's sessions: a token made now carries its new version.
    assert (await client.get("/users/me", headers=old_token)).status_code == 401
    await session.refresh(receiver_admin)
    await session.commit()  # ends the read: SQLite's lock is the whole database's
    reopened = await client.patch(
        f"/api/offers/{world.offer.id}",
        json={"is_active": True},
        headers=await auth_headers(receiver_admin),
    )
    assert (reopened.status_code, reopened.json()["is_active"]) == (200, True)


async def test_an_admin_never_deactivates_its_own_organisation(
    client: httpx.AsyncClient, world: World
) -> None:
    own = await client.post(
        f"/api/organisations/{world.coordination.id}/deactivate",
        headers=await auth_headers(world.admin),
    )
    assert own.status_code == 409
    assert "votre propre organisation" in own.json()["detail"]
    for user in (world.referrer, world.coordinator):
        refused = await client.post(
            f"/api/organisations/{world.outsider.id}/deactivate",
            headers=await auth_headers(user),
        )
        assert refused.status_code == 403
    missing = await client.post(
        "/api/organisations/99999/deactivate", headers=await auth_headers(world.admin)
    )
    assert missing.status_code == 404
