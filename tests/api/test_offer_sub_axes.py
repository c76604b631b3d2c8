"""Offers serve sub-axes of the plan (issue 16): chosen by the organisation admin, read back in
the plan's order, replaced as a whole, traced in the audit trail; only the plan's codes."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import Role
from core.models import AuditEntry, OfferSubAxis
from tests.factories import World, auth_headers, make_user


async def test_an_offer_serves_the_sub_axes_its_admin_chose(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    manager = await auth_headers(
        await make_user(session, world.receiver, clock.now(), role=Role.ORG_ADMIN)
    )
    body = {"organisation_id": world.receiver.id, "title": "Atelier CV", "category": "numerique"}
    created = await client.post(
        "/api/offers", json={**body, "sub_axes": ["3.3", "2.1", "3.3"]}, headers=manager
    )
    assert created.status_code == 201, created.text
    offer_id = created.json()["id"]
    assert created.json()["sub_axes"] == ["2.1", "3.3"]
    listed = await client.get(f"/api/offers?organisation_id={world.receiver.id}", headers=manager)
    assert {item["id"]: item["sub_axes"] for item in listed.json()["items"]}[offer_id] == [
        "2.1",
        "3.3",
    ]

    untouched = await client.patch(
        f"/api/offers/{offer_id}", json={"title": "Atelier CV et lettre"}, headers=manager
    )
    assert untouched.json()["sub_axes"] == ["2.1", "3.3"]
    replaced = await client.patch(
        f"/api/offers/{offer_id}", json={"sub_axes": ["4.2"]}, headers=manager
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["sub_axes"] == ["4.2"]
    stored = await session.scalars(
        select(OfferSubAxis.sub_axis).where(OfferSubAxis.offer_id == offer_id)
    )
    assert list(stored) == ["4.2"]
    trail = await session.scalars(
        select(AuditEntry).where(AuditEntry.entity_id == offer_id).order_by(AuditEntry.id)
    )
    changes = [entry.changes for entry in trail]
    assert changes[0]["sub_axes"] == {"from": None, "to": ["2.1", "3.3"]}
    assert "sub_axes" not in changes[1]
    assert changes[2]["sub_axes"] == {"from": ["2.1", "3.3"], "to": ["4.2"]}
    await session.commit()  # SQLite: end the read before the next request writes

    cleared = await client.patch(f"/api/offers/{offer_id}", json={"sub_axes": []}, headers=manager)
    assert cleared.json()["sub_axes"] == []


async def test_only_the_plans_sub_axes_are_accepted(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    manager = await auth_headers(
        await make_user(session, world.receiver, clock.now(), role=Role.ORG_ADMIN)
    )
    for wrong in (["5.1"], ["1.1", "1-1"], "3.3", [3.3]):
        answer = await client.patch(
            f"/api/offers/{world.offer.id}", json={"sub_axes": wrong}, headers=manager
        )
        assert answer.status_code == 422, (wrong, answer.text)
        fields = [error["field"].split(".")[0] for error in answer.json()["errors"]]
        assert fields == ["sub_axes"], answer.text
    assert list(await session.scalars(select(OfferSubAxis))) == []
    await session.commit()
    member = await client.patch(
        f"/api/offers/{world.offer.id}",
        json={"sub_axes": ["1.1"]},
        headers=await auth_headers(world.receiver_member),
    )
    assert member.status_code == 403
    assert list(await session.scalars(select(OfferSubAxis))) == []
