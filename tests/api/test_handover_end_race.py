"""On PostgreSQL: ending an accompaniment while handovers of it are being proposed.

The Mission locale accompanies a person; at the same moment it proposes the person to two
organisations and ends the accompaniment. Both run under the person's lock, one after the
other: either the end comes first (the proposals are refused, 403: nobody accompanies the
person any more) or a proposal does (the end is refused, 409: withdraw it first). Never does a
handover stay under way on an ended accompaniment, reminding its successor for nothing.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.models import Accompaniment, Handover
from states.accompaniments import current_accompaniment
from tests.factories import World, accompany_new_person, auth_headers, handover_json

pytestmark = pytest.mark.postgres

ROUNDS = 8
END = {"outcome": "lasting_employment", "comment": "CDI signé."}


@pytest.mark.parametrize("round_number", range(ROUNDS))
async def test_no_handover_outlives_the_accompaniment_it_hands_over(
    client: httpx.AsyncClient,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    round_number: int,
) -> None:
    async with sessionmaker() as session:
        person_id = await accompany_new_person(session, world.referrer, clock.now())
        current = await current_accompaniment(session, person_id)
        assert current is not None
        accompaniment_id = current.id
    referent = await auth_headers(world.referrer)
    proposals = [
        client.post("/api/handovers", json=handover_json(person_id, successor), headers=referent)
        for successor in (world.receiver, world.outsider)
    ]
    end = client.post(f"/api/accompaniments/{accompaniment_id}/end", json=END, headers=referent)
    calls = [end, *proposals] if round_number % 2 else [*proposals, end]
    answers = await asyncio.gather(*calls)

    statuses = [answer.status_code for answer in answers]
    assert set(statuses) <= {200, 201, 403, 409}, [answer.text for answer in answers]
    async with sessionmaker() as session:
        ended = await session.scalar(
            select(Accompaniment.ended_at).where(Accompaniment.id == accompaniment_id)
        )
        under_way = (
            await session.execute(
                select(Handover.id).where(
                    Handover.accompaniment_id == accompaniment_id,
                    Handover.state.in_(("proposed", "accepted")),
                )
            )
        ).all()
    if ended is not None:
        assert under_way == [], "a handover is still under way on an ended accompaniment"
    else:
        assert under_way, "the end was refused although no handover was under way"
