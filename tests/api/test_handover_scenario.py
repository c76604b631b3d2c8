"""Acceptance scenario: a Mission locale adviser hands a young person over to an EPI."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.models import Accompaniment
from tests.factories import World, auth_headers


async def test_mission_locale_hands_a_young_person_over_to_an_epi(
    client: httpx.AsyncClient, world: World, clock: FixedClock, session: AsyncSession
) -> None:
    mission_locale = await auth_headers(world.referrer)
    epi = await auth_headers(world.receiver_member)
    outsider = await auth_headers(world.outsider_member)
    sender_id, receiver_id, outsider_id = world.sender.id, world.receiver.id, world.outsider.id

    started = await client.post(
        "/api/accompaniments",
        json={
            "person": {"first_name": "Yanis", "last_name": "Moreau", "birth_date": "2006-05-01"},
            "consent": True,
        },
        headers=mission_locale,
    )
    assert started.status_code == 201, started.text
    person_id = started.json()["person_id"]
    assert started.json()["organisation_id"] == sender_id

    proposed = await client.post(
        "/api/handovers",
        json={
            "person_id": person_id,
            "to_organisation_id": receiver_id,
            "reason": "Passage vers un accompagnement global RSA",
            "consent": True,
        },
        headers=mission_locale,
    )
    assert proposed.status_code == 201, proposed.text
    handover = proposed.json()
    assert handover["state"] == "proposed"
    assert handover["reference"].startswith("PR-2026-")
    assert handover["allowed_actions"] == ["withdraw"]
    handover_id = handover["id"]

    assert (await client.get(f"/api/handovers/{handover_id}", headers=outsider)).status_code == 404
    seen_by_epi = await client.get(f"/api/handovers/{handover_id}", headers=epi)
    assert seen_by_epi.json()["allowed_actions"] == ["accept", "decline"]

    meeting = clock.now() + timedelta(days=3)
    accepted = await client.post(
        f"/api/handovers/{handover_id}/accept",
        json={"first_meeting_at": meeting.isoformat()},
        headers=epi,
    )
    assert accepted.status_code == 200, accepted.text
    early = await client.post(f"/api/handovers/{handover_id}/confirm", json={}, headers=epi)
    assert early.status_code == 409
    assert "première rencontre" in early.json()["detail"]

    clock.set(meeting + timedelta(hours=2))
    confirmed = await client.post(f"/api/handovers/{handover_id}/confirm", json={}, headers=epi)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["state"] == "completed"
    assert [event["trigger"] for event in confirmed.json()["events"]] == [
        "propose",
        "accept",
        "confirm",
    ]

    rows = (
        (
            await session.execute(
                select(Accompaniment)
                .where(Accompaniment.person_id == person_id)
                .order_by(Accompaniment.id)
            )
        )
        .scalars()
        .all()
    )
    assert [(row.organisation_id, row.ended_at is None) for row in rows] == [
        (sender_id, False),
        (receiver_id, True),
    ]
    assert rows[0].ended_at == rows[1].started_at == clock.now()
    await session.rollback()  # release SQLite's write lock before the next requests

    for headers in (mission_locale, epi):
        history = await client.get(f"/api/persons/{person_id}/accompaniments", headers=headers)
        assert [item["organisation_id"] for item in history.json()] == [
            sender_id,
            receiver_id,
        ]
        timeline = await client.get(f"/api/handovers/{handover_id}", headers=headers)
        assert len(timeline.json()["events"]) == 3
    assert (
        await client.get(f"/api/persons/{person_id}/accompaniments", headers=outsider)
    ).status_code == 404

    again = await client.post(
        "/api/handovers",
        json={
            "person_id": person_id,
            "to_organisation_id": outsider_id,
            "reason": "Nouvelle tentative",
            "consent": True,
        },
        headers=mission_locale,
    )
    assert again.status_code == 403
    assert "accompagne actuellement" in again.json()["detail"]
    seen_after = await client.get(f"/api/handovers/{handover_id}", headers=mission_locale)
    assert seen_after.json()["allowed_actions"] == []
