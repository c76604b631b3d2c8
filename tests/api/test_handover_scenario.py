"""Acceptance scenario: a Mission locale adviser hands a young person over to an EPI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.models import Accompaniment
from tests.factories import World, auth_headers


@dataclass(frozen=True)
class Parties:
    """The tokens of the Mission locale, the EPI and an outsider, and their organisations."""

    mission_locale: dict[str, str]
    epi: dict[str, str]
    outsider: dict[str, str]
    sender_id: int
    receiver_id: int
    outsider_id: int


async def test_mission_locale_hands_a_young_person_over_to_an_epi(
    client: httpx.AsyncClient, world: World, clock: FixedClock, session: AsyncSession
) -> None:
    parties = Parties(
        await auth_headers(world.referrer),
        await auth_headers(world.receiver_member),
        await auth_headers(world.outsider_member),
        world.sender.id,
        world.receiver.id,
        world.outsider.id,
    )
    person_id = await _start_accompaniment(client, parties, await auth_headers(world.coordinator))
    handover_id = await _propose_to_the_epi(client, parties, person_id)
    await _accept_then_confirm_after_the_meeting(client, clock, parties, handover_id)
    await _check_the_referent_changed(client, session, clock, parties, person_id, handover_id)
    await _check_only_the_new_referent_hands_over(client, parties, person_id, handover_id)


async def _start_accompaniment(
    client: httpx.AsyncClient, parties: Parties, coordination: dict[str, str]
) -> int:
    """The coordination entrusts Yanis to the Mission locale, saying why; his person id.

    The Mission locale itself may not make itself his référent (issue 12, finding 9).
    """
    yanis = {"first_name": "Yanis", "last_name": "Moreau", "birth_date": "2006-05-01"}
    body = {"person": yanis, "consent": True}
    refused = await client.post("/api/accompaniments", json=body, headers=parties.mission_locale)
    assert refused.status_code == 403, refused.text
    reason = "Jeune sans solution repéré par la coordination du secteur."
    started = await client.post(
        "/api/accompaniments",
        json={**body, "organisation_id": parties.sender_id, "reason": reason},
        headers=coordination,
    )
    assert started.status_code == 201, started.text
    person_id: int = started.json()["person_id"]
    assert started.json()["organisation_id"] == parties.sender_id
    assert started.json()["reason"] == reason
    return person_id


async def _propose_to_the_epi(client: httpx.AsyncClient, parties: Parties, person_id: int) -> int:
    """The Mission locale proposes Yanis to the EPI, which alone of the others sees it."""
    proposed = await client.post(
        "/api/handovers",
        json={
            "person_id": person_id,
            "to_organisation_id": parties.receiver_id,
            "reason": "Passage vers un accompagnement global RSA",
            "consent": True,
        },
        headers=parties.mission_locale,
    )
    assert proposed.status_code == 201, proposed.text
    handover = proposed.json()
    assert handover["state"] == "proposed"
    assert handover["reference"].startswith("PR-2026-")
    assert handover["allowed_actions"] == ["withdraw"]
    handover_id: int = handover["id"]

    outsider, epi = parties.outsider, parties.epi
    assert (await client.get(f"/api/handovers/{handover_id}", headers=outsider)).status_code == 404
    seen_by_epi = await client.get(f"/api/handovers/{handover_id}", headers=epi)
    assert seen_by_epi.json()["allowed_actions"] == ["accept", "decline"]
    return handover_id


async def _accept_then_confirm_after_the_meeting(
    client: httpx.AsyncClient, clock: FixedClock, parties: Parties, handover_id: int
) -> None:
    """The EPI accepts with a meeting in three days, and confirms once it has taken place."""
    epi = parties.epi
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


async def _check_the_referent_changed(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    parties: Parties,
    person_id: int,
    handover_id: int,
) -> None:
    """The EPI's accompaniment began when the Mission locale's ended, as both parties see."""
    sender_id, receiver_id = parties.sender_id, parties.receiver_id
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

    for headers in (parties.mission_locale, parties.epi):
        history = await client.get(f"/api/persons/{person_id}/accompaniments", headers=headers)
        assert [item["organisation_id"] for item in history.json()] == [
            sender_id,
            receiver_id,
        ]
        timeline = await client.get(f"/api/handovers/{handover_id}", headers=headers)
        assert len(timeline.json()["events"]) == 3
    assert (
        await client.get(f"/api/persons/{person_id}/accompaniments", headers=parties.outsider)
    ).status_code == 404


async def _check_only_the_new_referent_hands_over(
    client: httpx.AsyncClient, parties: Parties, person_id: int, handover_id: int
) -> None:
    """The Mission locale may no longer propose Yanis, nor act on the done handover."""
    again = await client.post(
        "/api/handovers",
        json={
            "person_id": person_id,
            "to_organisation_id": parties.outsider_id,
            "reason": "Nouvelle tentative",
            "consent": True,
        },
        headers=parties.mission_locale,
    )
    assert again.status_code == 403
    assert "accompagne actuellement" in again.json()["detail"]
    seen_after = await client.get(f"/api/handovers/{handover_id}", headers=parties.mission_locale)
    assert seen_after.json()["allowed_actions"] == []
