"""A second open referral of one person to one offer through ``POST /api/referrals``
(issue 17, point 2): refused with 409 ``duplicate_referral`` naming the other one's state,
sent when ``confirm_duplicate`` says it is meant."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.models import Referral
from tests.factories import World, auth_headers, referral_json

PERSON = {"first_name": "Éloïse", "last_name": "Darcy", "birth_date": date(1990, 5, 17).isoformat()}


async def _refer(client: httpx.AsyncClient, world: World, **overrides: Any) -> httpx.Response:
    body = {**referral_json(world.offer, **overrides), "person": PERSON}
    return await client.post(
        "/api/referrals", json=body, headers=await auth_headers(world.referrer)
    )


async def _count(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as reading:
        return int(await reading.scalar(select(func.count()).select_from(Referral)) or 0)


async def test_a_second_open_referral_needs_confirm_duplicate(
    client: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    first = await _refer(client, world)
    assert first.status_code == 201, first.text

    refused = await _refer(client, world)
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["code"] == "duplicate_referral"
    assert f"l'orientation {first.json()['reference']} ouverte" in body["detail"]
    assert "à l'état « transmise »" in body["detail"]
    assert await _count(sessionmaker) == 1

    confirmed = await _refer(client, world, confirm_duplicate=True)
    assert confirmed.status_code == 201, confirmed.text
    assert await _count(sessionmaker) == 2


async def test_the_schema_documents_the_flag_and_the_conflict(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    create = schema["components"]["schemas"]["ReferralCreate"]["properties"]
    assert create["confirm_duplicate"]["default"] is False
    assert "duplicate_referral" in create["confirm_duplicate"]["description"]
    assert "409" in schema["paths"]["/api/referrals"]["post"]["responses"]
