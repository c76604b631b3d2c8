"""Issue 12, finding 8 on PostgreSQL: many confirms of a person's handovers at once.

The Mission locale (A) accompanies a person and proposed them to three organisations, who
all accepted; the first meetings took place. Then fifteen confirms arrive at the same moment
(five for each handover), through the whole HTTP stack. Exactly one handover completes, and
in that same transaction every other one is withdrawn, with no timer left pending: none may
stay ``accepted`` with a confirm answering 409 forever. No answer is a 500.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import TimerStatus
from core.models import Accompaniment, Handover, Timer
from tests.factories import (
    World,
    accompany_new_person,
    auth_headers,
    handover_json,
    make_organisation,
    make_user,
)

pytestmark = pytest.mark.postgres

ROUNDS = 4
CONFIRMS_EACH = 5


async def _three_accepted_handovers(
    client: httpx.AsyncClient,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> tuple[int, dict[int, tuple[int, dict[str, str]]]]:
    """The person, and per successor organisation: its accepted handover and a member's token."""
    async with sessionmaker() as session:
        person_id = await accompany_new_person(session, world.referrer, clock.now())
        third = await make_organisation(session, clock.now())
        third_member = await make_user(session, third, clock.now())
    referent = await auth_headers(world.referrer)
    successors = (
        (world.receiver, world.receiver_member),
        (world.outsider, world.outsider_member),
        (third, third_member),
    )
    handovers: dict[int, tuple[int, dict[str, str]]] = {}
    for organisation, member in successors:
        proposed = await client.post(
            "/api/handovers", json=handover_json(person_id, organisation), headers=referent
        )
        assert proposed.status_code == 201, proposed.text
        headers = await auth_headers(member)
        accepted = await client.post(
            f"/api/handovers/{proposed.json()['id']}/accept",
            json={"first_meeting_at": clock.now().isoformat()},
            headers=headers,
        )
        assert accepted.status_code == 200, accepted.text
        handovers[organisation.id] = (proposed.json()["id"], headers)
    return person_id, handovers


@pytest.mark.parametrize("round_number", range(ROUNDS))
async def test_a_confirm_storm_completes_one_handover_and_withdraws_every_other(
    client: httpx.AsyncClient,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    round_number: int,
) -> None:
    person_id, handovers = await _three_accepted_handovers(client, world, sessionmaker, clock)
    clock.advance(timedelta(hours=2))  # the first meetings took place
    calls = [
        (handover_id, headers)
        for _ in range(CONFIRMS_EACH)
        for handover_id, headers in handovers.values()
    ]
    if round_number % 2:
        calls.reverse()

    answers = await asyncio.gather(
        *(
            client.post(f"/api/handovers/{handover_id}/confirm", json={}, headers=headers)
            for handover_id, headers in calls
        )
    )

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] + [409] * (len(calls) - 1), [answer.text for answer in answers]
    [winner] = [answer.json()["id"] for answer in answers if answer.status_code == 200]
    ids = [handover_id for handover_id, _ in handovers.values()]
    async with sessionmaker() as session:
        states = dict(
            (await session.execute(select(Handover.id, Handover.state).where(Handover.id.in_(ids))))
            .tuples()
            .all()
        )
        pending = (
            await session.execute(
                select(Timer.case_id).where(
                    Timer.case_kind == "handover",
                    Timer.case_id.in_(ids),
                    Timer.status == TimerStatus.PENDING,
                )
            )
        ).all()
        current = (
            await session.execute(
                select(Accompaniment.source_id).where(
                    Accompaniment.person_id == person_id, Accompaniment.ended_at.is_(None)
                )
            )
        ).scalar_one()
    assert states == {
        handover_id: "completed" if handover_id == winner else "withdrawn" for handover_id in ids
    }
    assert pending == []
    assert current == winner
