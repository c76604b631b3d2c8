"""A referral's happy path through the HTTP API."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import OutboxStatus, TimerStatus
from core.models import Event, OutboxMessage, Timer
from tests.factories import World, auth_headers, referral_json


async def test_create_accept_start_complete(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    referrer = await auth_headers(world.referrer)
    receiver = await auth_headers(world.receiver_member)

    created = await client.post("/api/referrals", json=referral_json(world.offer), headers=referrer)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["state"] == "submitted"
    assert body["reference"].startswith("OR-2026-")
    assert [event["trigger"] for event in body["events"]] == ["create", "submit"]
    referral_id = body["id"]

    inbox = await client.get("/api/referrals", params={"box": "received"}, headers=receiver)
    assert [item["id"] for item in inbox.json()["items"]] == [referral_id]
    seen = await client.get(f"/api/referrals/{referral_id}", headers=receiver)
    assert set(seen.json()["allowed_actions"]) == {"accept", "return"}

    for trigger, payload in [
        ("accept", {"first_appointment_at": "2026-03-05T10:00:00+01:00"}),
        ("start", {}),
        ("complete", {"outcome": "qualifying_training"}),
    ]:
        answer = await client.post(
            f"/api/referrals/{referral_id}/{trigger}", json=payload, headers=receiver
        )
        assert answer.status_code == 200, answer.text
    assert answer.json()["state"] == "completed"
    assert answer.json()["allowed_actions"] == []

    events = (await session.execute(select(func.count()).select_from(Event))).scalar_one()
    assert events == 5
    open_timers = (
        await session.execute(
            select(func.count()).select_from(Timer).where(Timer.status == TimerStatus.PENDING)
        )
    ).scalar_one()
    assert open_timers == 0
    messages = (await session.execute(select(OutboxMessage))).scalars().all()
    assert {m.message for m in messages} == {
        "referral.submitted",
        "referral.accepted",
        "referral.completed",
    }
    assert all(m.status is OutboxStatus.PENDING for m in messages)
