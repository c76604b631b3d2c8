"""An offer's capacity: its places left in the API, and ``accept`` beyond it only on an
explicit override with a comment (``states.capacity``)."""

from __future__ import annotations

import asyncio
from unittest.mock import ANY

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.models import Event, Offer, Referral
from states.texts import resolve_payloads
from tests.factories import World, auth_headers, referral_json


async def _submitted(client: httpx.AsyncClient, world: World, count: int) -> list[int]:
    """``count`` referrals submitted to the world's offer."""
    headers = await auth_headers(world.referrer)
    ids = []
    for _ in range(count):
        created = await client.post(
            "/api/referrals", json=referral_json(world.offer), headers=headers
        )
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    return ids


async def _set_capacity(session: AsyncSession, world: World, capacity: int | None) -> None:
    offer = await session.get_one(Offer, world.offer.id)
    offer.capacity = capacity
    await session.commit()


async def _accept(
    client: httpx.AsyncClient, world: World, referral_id: int, **payload: object
) -> httpx.Response:
    return await client.post(
        f"/api/referrals/{referral_id}/accept",
        json=payload,
        headers=await auth_headers(world.receiver_member),
    )


async def _places_left(client: httpx.AsyncClient, world: World) -> int | None:
    answer = await client.get(
        f"/api/offers/{world.offer.id}", headers=await auth_headers(world.referrer)
    )
    assert answer.status_code == 200
    listed = await client.get("/api/offers", headers=await auth_headers(world.referrer))
    [item] = [item for item in listed.json()["items"] if item["id"] == world.offer.id]
    assert item["places_left"] == answer.json()["places_left"]
    places: int | None = answer.json()["places_left"]
    return places


async def test_capacity_two_with_one_taken_accepts_the_second(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    await _set_capacity(session, world, 2)
    first, second = await _submitted(client, world, 2)
    assert await _places_left(client, world) == 2
    assert (await _accept(client, world, first)).status_code == 200
    assert await _places_left(client, world) == 1

    accepted = await _accept(client, world, second)

    assert accepted.status_code == 200, accepted.text
    assert await _places_left(client, world) == 0


async def test_capacity_two_with_two_taken_refuses_the_third_with_409(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    await _set_capacity(session, world, 2)
    first, second, third = await _submitted(client, world, 3)
    assert (await _accept(client, world, first)).status_code == 200
    assert (await _accept(client, world, second)).status_code == 200
    # A referral under way still takes its place.
    started = await client.post(
        f"/api/referrals/{first}/start", json={}, headers=await auth_headers(world.receiver_member)
    )
    assert started.status_code == 200

    refused = await _accept(client, world, third)

    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "offer_full"
    assert "est complète : 2 places occupées sur 2 places" in body["detail"]
    assert "Accepter au-delà de la capacité" in body["detail"]
    assert body["allowed_actions"] == ["accept", "return"]
    referral = await session.get_one(Referral, third, populate_existing=True)
    assert referral.state == "submitted"


async def test_override_with_a_comment_accepts_and_the_history_keeps_it(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    await _set_capacity(session, world, 1)
    first, second = await _submitted(client, world, 2)
    assert (await _accept(client, world, first)).status_code == 200

    without_comment = await _accept(client, world, second, capacity_override=True)
    assert without_comment.status_code == 422
    assert without_comment.json()["errors"][0]["field"] == "capacity_comment"

    comment = "Place libérée la semaine prochaine, accord de la responsable."
    accepted = await _accept(
        client, world, second, capacity_override=True, capacity_comment=comment
    )

    assert accepted.status_code == 200, accepted.text
    assert await _places_left(client, world) == 0  # never below 0, even beyond capacity
    [event] = (
        await session.execute(
            select(Event).where(
                Event.case_id == second, Event.case_kind == "referral", Event.trigger == "accept"
            )
        )
    ).scalars()
    # The comment is in the erasable text store; the event keeps its reference.
    assert event.payload == {"capacity_override": True, "capacity_comment": {"text_id": ANY}}
    assert await resolve_payloads(session, [event.payload]) == [
        {"capacity_override": True, "capacity_comment": comment}
    ]


async def test_an_offer_without_capacity_has_no_places_left_and_always_accepts(
    client: httpx.AsyncClient, world: World
) -> None:
    [referral_id] = await _submitted(client, world, 1)
    assert await _places_left(client, world) is None
    assert (await _accept(client, world, referral_id)).status_code == 200


async def test_capacity_zero_is_full_from_the_start(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    await _set_capacity(session, world, 0)
    [referral_id] = await _submitted(client, world, 1)
    assert await _places_left(client, world) == 0
    assert (await _accept(client, world, referral_id)).status_code == 409


@pytest.mark.postgres
async def test_two_accepts_at_once_for_the_last_place_let_one_through(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await _set_capacity(session, world, 3)
    ids = await _submitted(client, world, 6)
    for referral_id in ids[:2]:
        assert (await _accept(client, world, referral_id)).status_code == 200

    answers = await asyncio.gather(*(_accept(client, world, rid) for rid in ids[2:]))

    assert sorted(answer.status_code for answer in answers) == [200, 409, 409, 409]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"offer_full"}
    async with sessionmaker() as fresh:
        states = (
            await fresh.execute(select(Referral.state).where(Referral.offer_id == world.offer.id))
        ).scalars()
        assert sorted(states).count("accepted") == 3
