"""Coordinators merge two records of one person (issue 14, point 1).

The Mission locale referred « Éloïse D'Arcy-Núñez » twice before relais matched persons: once
with her birth date and once without, so relais holds two records. A coordinator finds the
second among the first's possible duplicates, and merges it in: its cases move, it is
deleted, and the merge is recorded. Two current référents, or two different identifiers of
one kind, refuse the merge (409); only coordinators of the persons' scope may merge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import Role, Territory
from core.models import Accompaniment, Person, PersonEvent, Referral
from tests.factories import (
    ACCOMPANIMENT_REASON,
    World,
    auth_headers,
    make_offer,
    make_user,
    referral_json,
)

BORN = date(1990, 5, 17)


@dataclass(frozen=True)
class Duplicates:
    """Two records of one human, and a referral to each."""

    kept: int
    merged: int
    referrals: tuple[int, int]


async def _refer(client: httpx.AsyncClient, world: World, **person: Any) -> int:
    body = referral_json(world.offer)
    body["person"] = {"first_name": "Éloïse", "last_name": "D'Arcy-Núñez", **person}
    answer = await client.post(
        "/api/referrals", json=body, headers=await auth_headers(world.referrer)
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


async def _person_of(sessionmaker: async_sessionmaker[AsyncSession], referral_id: int) -> int:
    async with sessionmaker() as reading:
        return int(
            await reading.scalar(select(Referral.person_id).where(Referral.id == referral_id))
        )


@pytest.fixture
async def duplicates(
    client: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> Duplicates:
    """The record with the birth date, and the one without (it has the CAF number)."""
    first = await _refer(client, world, birth_date=BORN.isoformat())
    second = await _refer(client, world, last_name="D'ARCY NUNEZ", caf_number="1234567")
    kept, merged = await _person_of(sessionmaker, first), await _person_of(sessionmaker, second)
    assert kept != merged
    return Duplicates(kept, merged, (first, second))


async def _accompany(
    client: httpx.AsyncClient, world: World, person_id: int, organisation_id: int
) -> None:
    body = {
        "person_id": person_id,
        "organisation_id": organisation_id,
        "reason": ACCOMPANIMENT_REASON,
        "consent": True,
    }
    started = await client.post(
        "/api/accompaniments", json=body, headers=await auth_headers(world.coordinator)
    )
    assert started.status_code == 201, started.text


async def test_the_coordinator_sees_the_duplicate_and_merges_it(
    client: httpx.AsyncClient,
    world: World,
    duplicates: Duplicates,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    coordinator = await auth_headers(world.coordinator)
    await _accompany(client, world, duplicates.merged, world.receiver.id)
    card = await client.get(f"/api/persons/{duplicates.kept}", headers=coordinator)
    assert card.status_code == 200, card.text
    assert [item["id"] for item in card.json()["merge_candidates"]] == [duplicates.merged]

    merged = await client.post(
        f"/api/persons/{duplicates.kept}/merge",
        json={"other_id": duplicates.merged},
        headers=coordinator,
    )

    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert (body["id"], body["birth_date"], body["caf_number"]) == (
        duplicates.kept,
        BORN.isoformat(),
        "1234567",
    )
    assert (body["referent"], body["cases"], body["merge_candidates"]) == (
        "EPI Paris Centre",
        3,
        [],
    )
    async with sessionmaker() as reading:
        assert await reading.get(Person, duplicates.merged) is None
        persons = await reading.scalars(
            select(Referral.person_id).where(Referral.id.in_(duplicates.referrals))
        )
        assert set(persons) == {duplicates.kept}
        accompaniment = await reading.scalar(select(Accompaniment))
        assert accompaniment is not None and accompaniment.person_id == duplicates.kept
        [event] = (await reading.scalars(select(PersonEvent))).all()
    assert (event.person_id, event.kind, event.actor_id, event.occurred_at) == (
        duplicates.kept,
        "merge",
        world.coordinator.id,
        clock.now(),
    )
    assert event.payload == {
        "merged_person_id": duplicates.merged,
        "moved": {"referrals": 1, "accompaniments": 1},
        "fields_taken": ["caf_number"],
    }
    gone = await client.get(f"/api/persons/{duplicates.merged}", headers=coordinator)
    assert gone.status_code == 404


async def test_two_current_referents_refuse_the_merge(
    client: httpx.AsyncClient,
    world: World,
    duplicates: Duplicates,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await _accompany(client, world, duplicates.kept, world.receiver.id)
    await _accompany(client, world, duplicates.merged, world.outsider.id)

    refused = await client.post(
        f"/api/persons/{duplicates.kept}/merge",
        json={"other_id": duplicates.merged},
        headers=await auth_headers(world.coordinator),
    )

    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "conflict"
    assert (
        "chacune un référent en cours (EPI Paris Centre et CAF de Paris)"
        in (refused.json()["detail"])
    )
    async with sessionmaker() as reading:
        assert await reading.get(Person, duplicates.merged) is not None
        assert await reading.scalar(select(PersonEvent.id)) is None


async def test_two_different_identifiers_refuse_the_merge(
    client: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    kept = await _person_of(sessionmaker, await _refer(client, world, caf_number="1111111"))
    other = await _person_of(sessionmaker, await _refer(client, world, caf_number="2222222"))

    refused = await client.post(
        f"/api/persons/{kept}/merge",
        json={"other_id": other},
        headers=await auth_headers(world.coordinator),
    )

    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "identity_conflict"
    assert refused.json()["detail"].startswith(
        "Ces deux fiches portent chacune un numéro allocataire CAF différent"
    )


async def test_only_coordinators_of_the_scope_merge(
    client: httpx.AsyncClient,
    world: World,
    duplicates: Duplicates,
    session: AsyncSession,
    clock: FixedClock,
) -> None:
    scoped = await make_user(
        session, world.coordination, clock.now(), role=Role.COORDINATOR,
        scope_territory=Territory.ARR_20,
    )  # fmt: skip
    body = {"other_id": duplicates.merged}
    path = f"/api/persons/{duplicates.kept}"
    for user, status in (
        (world.referrer, 403),
        (world.receiver_member, 403),
        (world.admin, 403),
        (scoped, 404),  # their scope holds neither record
    ):
        headers = await auth_headers(user)
        assert (await client.post(f"{path}/merge", json=body, headers=headers)).status_code == (
            status
        )
        assert (await client.get(path, headers=headers)).status_code == status
    assert (await client.post(f"{path}/merge", json=body)).status_code == 401


@pytest.mark.parametrize(("other", "status"), [("self", 422), (999_999, 404), (0, 422)])
async def test_a_merge_with_no_other_record_is_refused(
    client: httpx.AsyncClient, world: World, duplicates: Duplicates, other: Any, status: int
) -> None:
    other_id = duplicates.kept if other == "self" else other
    refused = await client.post(
        f"/api/persons/{duplicates.kept}/merge",
        json={"other_id": other_id},
        headers=await auth_headers(world.coordinator),
    )
    assert refused.status_code == status, refused.text


async def test_a_person_of_another_territory_is_no_candidate(
    client: httpx.AsyncClient,
    world: World,
    duplicates: Duplicates,
    session: AsyncSession,
    clock: FixedClock,
) -> None:
    """A coordinator of Paris 20 sees, among the duplicates, only the records of Paris 20."""
    organisation = world.receiver
    offer = await make_offer(session, organisation, clock.now(), territory=Territory.ARR_20)
    body = referral_json(offer)
    body["person"] = {
        "first_name": "Eloise",
        "last_name": "Darcy Nunez",
        "birth_date": "1990-05-17",
    }
    sent = await client.post(
        "/api/referrals", json=body, headers=await auth_headers(world.referrer)
    )
    assert sent.status_code == 201, sent.text
    scoped = await make_user(
        session, world.coordination, clock.now(), role=Role.COORDINATOR,
        scope_territory=Territory.ARR_20,
    )  # fmt: skip
    async with session.begin():
        person_id = await session.scalar(
            select(Referral.person_id).where(Referral.id == sent.json()["id"])
        )

    card = await client.get(f"/api/persons/{person_id}", headers=await auth_headers(scoped))

    assert card.status_code == 200, card.text
    assert card.json()["merge_candidates"] == []  # the Paris-wide records are not theirs
    everywhere = await client.get(
        f"/api/persons/{person_id}", headers=await auth_headers(world.coordinator)
    )
    assert [item["id"] for item in everywhere.json()["merge_candidates"]] == [duplicates.kept]
