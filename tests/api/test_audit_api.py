"""The trail over the API (``GET /api/audit``, admins and the DPO), and minutes frozen at
publication: after it, editing them is refused (409, amend) and an amendment is published
with its date beside the unchanged original, in the API and the minutes document."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import Role
from tests.factories import World, auth_headers, make_committee, make_meeting, make_user


async def test_admins_and_the_dpo_read_the_trail_others_do_not(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    dpo = await make_user(session, world.coordination, clock.now(), role=Role.DPO)
    admin = await auth_headers(world.admin)
    path = f"/api/organisations/{world.outsider.id}"
    changed = await client.patch(path, json={"territory": "75020"}, headers=admin)
    assert changed.status_code == 200
    refused = await client.patch(path, json={"name": "EPI Paris Centre"}, headers=admin)
    assert refused.status_code == 409
    made = await client.post(
        "/api/users",
        json={"email": "nouvelle@caf-test.fr", "password": "trois-pommes-sur-un-velo",
              "organisation_id": world.outsider.id, "role": "member"},
        headers=admin,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    role = await client.patch(
        f"/api/users/{world.outsider_member.id}", json={"role": "org_admin"}, headers=admin
    )
    assert role.status_code == 200

    for reader in (admin, await auth_headers(dpo)):
        page = await client.get(
            "/api/audit", params={"kind": "organisation", "entity_id": world.outsider.id},
            headers=reader,
        )  # fmt: skip
        assert page.status_code == 200, page.text
        body = page.json()
        assert (body["page"], body["next_page"]) == (1, None)
        (entry,) = body["items"]  # the refused change wrote nothing
        assert entry["action"] == "updated"
        assert entry["changes"] == {"territory": {"from": "paris", "to": "75020"}}
        assert (entry["actor_email"], entry["actor_organisation"]) == ("admin@test.fr", "EPEC")
    everything = (await client.get("/api/audit", headers=admin)).json()["items"]
    assert [(item["entity_kind"], item["action"]) for item in everything] == [
        ("user", "updated"), ("user", "created"), ("organisation", "updated"),
    ]  # newest first  # fmt: skip
    assert everything[0]["changes"] == {"role": {"from": "member", "to": "org_admin"}}
    created = everything[1]["changes"]
    assert created["email"] == {"from": None, "to": "nouvelle@caf-test.fr"}
    assert "password" not in created and "hashed_password" not in created

    for user in (world.coordinator, world.referrer):
        assert (await client.get("/api/audit", headers=await auth_headers(user))).status_code == 403
    assert (
        await client.get("/api/audit", params={"kind": "person"}, headers=admin)
    ).status_code == (422)
    assert (await client.get("/api/audit", params={"page": 0}, headers=admin)).status_code == 422
    assert (await client.get("/api/audit")).status_code == 401


async def test_published_minutes_are_frozen_and_amended_beside_the_original(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    secretary = await make_user(session, world.coordination, clock.now(), role=Role.SECRETARY)
    committee = await make_committee(session, clock.now(), members=(world.sender,))
    meeting = await make_meeting(
        session, committee, clock.now() - timedelta(days=2), minutes="Présents : 8 partenaires."
    )
    headers = await auth_headers(secretary)
    path = f"/api/meetings/{meeting.id}"

    early = await client.post(f"{path}/amendments", json={"text": "Trop tôt."}, headers=headers)
    assert (early.status_code, early.json()["allowed_actions"]) == (409, ["edit", "publish"])
    edited = await client.patch(
        path, json={"minutes": "Présents : 9 partenaires."}, headers=headers
    )
    assert edited.status_code == 200  # just before publication, the minutes still change
    published = await client.post(f"{path}/minutes/publish", headers=headers)
    assert published.status_code == 200, published.text
    assert published.json()["minutes_published_at"] is not None
    again = await client.post(f"{path}/minutes/publish", headers=headers)
    assert (again.status_code, again.json()["allowed_actions"]) == (409, ["amend"])

    frozen = await client.patch(path, json={"minutes": "Autre texte."}, headers=headers)
    assert frozen.status_code == 409
    assert frozen.json()["allowed_actions"] == ["amend"]
    assert "rectificatif" in frozen.json()["detail"]
    member = await auth_headers(world.referrer)
    forbidden = await client.post(f"{path}/amendments", json={"text": "Non."}, headers=member)
    assert forbidden.status_code == 403

    clock.advance(timedelta(days=1))
    amended = await client.post(
        f"{path}/amendments", json={"text": "Lire : 10 partenaires."}, headers=headers
    )
    assert amended.status_code == 201, amended.text
    body = (await client.get(path, headers=member)).json()
    assert body["minutes"] == "Présents : 9 partenaires."  # the original, unchanged
    (amendment,) = body["amendments"]
    assert amendment["text"] == "Lire : 10 partenaires."
    assert amendment["published_at"].startswith(clock.now().date().isoformat())
    document = await client.get(f"{path}/minutes.html", headers=member)
    assert "Présents : 9 partenaires." in document.text
    assert "Rectificatif du" in document.text and "Lire : 10 partenaires." in document.text

    trail = (
        await client.get(
            "/api/audit", params={"kind": "meeting", "entity_id": meeting.id},
            headers=await auth_headers(world.admin),
        )
    ).json()["items"]  # fmt: skip
    assert [item["action"] for item in trail] == ["amended", "minutes_published", "updated"]
    assert trail[2]["changes"]["minutes"] == {
        "from": "Présents : 8 partenaires.", "to": "Présents : 9 partenaires."
    }  # fmt: skip
