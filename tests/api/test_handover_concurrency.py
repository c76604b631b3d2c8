"""Issue 4, acceptance 2 on PostgreSQL: two handovers of one person confirmed at once.

The Mission locale (A) accompanies a person and proposed them both to an EPI (B) and to the
CAF (C); both accepted, and the first meeting took place. B and C confirm at the same moment,
through the whole HTTP stack on the application's own connection pool (``asyncio.gather``).
Each confirm locks the person first (``SELECT ... FOR UPDATE``), then its own handover: the
second one waits, then finds its handover withdrawn by the first and answers 409. Exactly
one référent remains, and A's accompaniment ended once. Repeated, in both orders, so that the
race really happens.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.models import Accompaniment, Event, Handover, OutboxMessage
from tests.factories import World, accompany_new_person, auth_headers, handover_json

pytestmark = pytest.mark.postgres

ROUNDS = 8


@dataclass
class Race:
    """One person, their two accepted handovers and the tokens of the two successors."""

    person_id: int
    handovers: dict[int, int]  # successor organisation -> its handover
    successors: dict[int, dict[str, str]]  # successor organisation -> its member's token


@pytest.mark.parametrize("round_number", range(ROUNDS))
async def test_two_concurrent_confirms_leave_one_referent(
    client: httpx.AsyncClient,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    round_number: int,
) -> None:
    race = await _two_accepted_handovers(client, world, sessionmaker, clock)
    clock.advance(timedelta(hours=2))  # the first meetings took place
    order = list(race.handovers) if round_number % 2 == 0 else list(reversed(race.handovers))

    answers = await _confirm_at_once(client, race, order)

    statuses = sorted(answer.status_code for answer in answers.values())
    assert statuses == [200, 409], [answer.text for answer in answers.values()]
    [winner] = [organisation for organisation, answer in answers.items() if answer.is_success]
    [loser] = [organisation for organisation in answers if organisation != winner]
    assert answers[winner].json()["state"] == "completed"
    # The winner's confirm withdrew the loser's handover in its own transaction (a completed
    # handover withdraws the others), whichever confirm came first.
    refusal = answers[loser].json()
    assert refusal["code"] == "transition_not_allowed"
    assert "retiré" in refusal["detail"]

    await _check_one_referent(sessionmaker, world, race, clock.now(), winner, loser)


async def _two_accepted_handovers(
    client: httpx.AsyncClient,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> Race:
    """A accompanies a new person and proposes them to B and to C, who both accept."""
    referent = await auth_headers(world.referrer)
    async with sessionmaker() as session:
        person_id = await accompany_new_person(session, world.referrer, clock.now())
    successors = {
        world.receiver.id: await auth_headers(world.receiver_member),
        world.outsider.id: await auth_headers(world.outsider_member),
    }
    handovers: dict[int, int] = {}  # successor organisation -> its handover
    for organisation in (world.receiver, world.outsider):
        proposed = await client.post(
            "/api/handovers", json=handover_json(person_id, organisation), headers=referent
        )
        assert proposed.status_code == 201, proposed.text
        handover_id = proposed.json()["id"]
        accepted = await client.post(
            f"/api/handovers/{handover_id}/accept",
            json={"first_meeting_at": clock.now().isoformat()},
            headers=successors[organisation.id],
        )
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["version"] == 2
        handovers[organisation.id] = handover_id
    return Race(person_id, handovers, successors)


async def _confirm_at_once(
    client: httpx.AsyncClient, race: Race, order: list[int]
) -> dict[int, httpx.Response]:
    """B and C confirm at the same moment, in ``order``; each one's answer."""
    return dict(
        zip(
            order,
            await asyncio.gather(
                *(
                    client.post(
                        f"/api/handovers/{race.handovers[organisation]}/confirm",
                        json={},
                        headers=race.successors[organisation],
                    )
                    for organisation in order
                )
            ),
            strict=True,
        )
    )


async def _check_one_referent(
    sessionmaker: async_sessionmaker[AsyncSession],
    world: World,
    race: Race,
    now: datetime,
    winner: int,
    loser: int,
) -> None:
    """What the database holds after the race: the accompaniments, handovers, events, emails."""
    handovers = race.handovers
    async with sessionmaker() as session:
        accompaniments = (
            await session.execute(
                select(
                    Accompaniment.organisation_id,
                    Accompaniment.started_at,
                    Accompaniment.ended_at,
                    Accompaniment.source_id,
                )
                .where(Accompaniment.person_id == race.person_id)
                .order_by(Accompaniment.id)
            )
        ).all()
        states = {
            row.id: (row.state, row.version)
            for row in await session.execute(select(Handover.id, Handover.state, Handover.version))
        }
        confirms = (
            (await session.execute(select(Event.case_id).where(Event.trigger == "confirm")))
            .scalars()
            .all()
        )
        completed_mails = (
            (
                await session.execute(
                    select(OutboxMessage.case_id).where(
                        OutboxMessage.message == "handover.completed"
                    )
                )
            )
            .scalars()
            .all()
        )
    # A's accompaniment ended once, when the winner's began; one current référent.
    assert [tuple(row) for row in accompaniments] == [
        (world.sender.id, accompaniments[0].started_at, now, None),
        (winner, now, None, handovers[winner]),
    ]
    assert states == {
        handovers[winner]: ("completed", 3),
        handovers[loser]: ("withdrawn", 3),
    }
    assert confirms == [handovers[winner]]
    assert completed_mails == [handovers[winner]]
