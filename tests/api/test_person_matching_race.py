"""Two referrals of one new person sent at the same moment make one record (PostgreSQL).

Two referrers describe the same person, unknown to relais, at once, through the whole HTTP
stack on the application's own connection pool (``asyncio.gather``). Each creation takes the
identity's advisory locks before looking the person up (``services.persons``): the second
waits, then finds the record the first created. Repeated, so that the race really happens;
without the locks both find nobody and two records are made.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.models import Person, Referral
from tests.factories import World, auth_headers, referral_json

pytestmark = pytest.mark.postgres

ROUNDS = 6
DESCRIPTIONS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "name and birth date": (
        {"first_name": "Éloïse", "last_name": "D'Arcy", "birth_date": "1990-05-17"},
        {"first_name": "ELOISE", "last_name": "d arcy", "birth_date": "1990-05-17"},
    ),
    "France Travail identifier": (
        {"first_name": "Éloïse", "last_name": "D'Arcy", "france_travail_id": "1234567a"},
        {"first_name": "Eloise", "last_name": "Darcy", "france_travail_id": "1234 567A"},
    ),
}


@pytest.mark.parametrize("round_number", range(ROUNDS))
@pytest.mark.parametrize("described_by", list(DESCRIPTIONS))
async def test_two_referrals_of_one_new_person_at_once_make_one_record(
    client: httpx.AsyncClient,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    described_by: str,
    round_number: int,
) -> None:
    senders = [await auth_headers(world.referrer), await auth_headers(world.coordinator)]
    if round_number % 2:
        senders.reverse()
    bodies = []
    for person in DESCRIPTIONS[described_by]:
        body = referral_json(world.offer)
        body["person"] = person
        # Both go to the same offer: the second is a duplicate unless confirmed, and this
        # test is about the person's one record, not about that warning.
        body["confirm_duplicate"] = True
        bodies.append(body)

    answers = await asyncio.gather(
        *(
            client.post("/api/referrals", json=body, headers=headers)
            for body, headers in zip(bodies, senders, strict=True)
        )
    )

    assert [answer.status_code for answer in answers] == [201, 201], [a.text for a in answers]
    async with sessionmaker() as reading:
        [record] = (await reading.scalars(select(Person))).all()
        persons = set(await reading.scalars(select(Referral.person_id)))
    assert persons == {record.id}
