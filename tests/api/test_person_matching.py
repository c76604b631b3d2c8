"""One person, one record (issue 14, point 1) through ``POST /api/referrals``.

A referral looks for its person before creating one: by a strong identifier (France Travail
identifier, CAF allocataire number), else by normalised name and birth date. On a match the
referral links to the existing record, and its referrer learns only whether the person has a
current référent, and which organisation.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.models import Person, Referral
from tests.factories import World, auth_headers, make_offer, referral_json
from tests.factories import person_fields as person

BORN = date(1990, 5, 17)


async def _refer(
    client: httpx.AsyncClient, world: World, expected: int = 201, **person_values: Any
) -> dict[str, Any]:
    # The same person again to the same offer: sent on purpose (``confirm_duplicate``).
    body = referral_json(world.offer, confirm_duplicate=True)
    body["person"] = {"first_name": "Éloïse", "last_name": "D'Arcy-Núñez", **person_values}
    answer = await client.post(
        "/api/referrals", json=body, headers=await auth_headers(world.referrer)
    )
    assert answer.status_code == expected, answer.text
    return dict(answer.json())


async def _persons(sessionmaker: async_sessionmaker[AsyncSession]) -> list[Person]:
    async with sessionmaker() as reading:
        return list((await reading.execute(select(Person).order_by(Person.id))).scalars())


async def _person_of(sessionmaker: async_sessionmaker[AsyncSession], referral_id: int) -> int:
    async with sessionmaker() as reading:
        return int(
            await reading.scalar(select(Referral.person_id).where(Referral.id == referral_id))
        )


async def test_a_france_travail_identifier_finds_the_record_whatever_the_name_typed(
    client: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    first = await _refer(client, world, france_travail_id=" 1234 567a ")
    second = await _refer(
        client, world, first_name="Eloise", last_name="Darcy", france_travail_id="1234567A"
    )

    [record] = await _persons(sessionmaker)
    assert record.france_travail_id == "1234567A"  # stored compact, in upper case
    assert (record.first_name, record.last_name) == ("Éloïse", "D'Arcy-Núñez")  # unchanged
    assert await _person_of(sessionmaker, first["id"]) == record.id
    assert await _person_of(sessionmaker, second["id"]) == record.id
    assert second["person"]["france_travail_id"] == "1234567A"


async def test_a_caf_number_finds_the_record_and_a_new_identifier_is_added_to_it(
    client: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _refer(client, world, caf_number="123 45 67")
    await _refer(
        client, world, last_name="Autre", caf_number="1234567", france_travail_id="7654321B"
    )

    [record] = await _persons(sessionmaker)
    assert (record.caf_number, record.france_travail_id) == ("1234567", "7654321B")


async def test_the_same_name_spelt_otherwise_with_the_same_birth_date_is_one_record(
    client: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _refer(client, world, birth_date=BORN.isoformat())
    await _refer(
        client,
        world,
        first_name="ELOISE",
        last_name="d  arcy nunez ",
        birth_date=BORN.isoformat(),
        phone="06 11 22 33 44",
    )

    [record] = await _persons(sessionmaker)
    assert record.name_key == "d arcy nunez|eloise"
    assert record.phone == "06 11 22 33 44"  # a contact the record lacked is taken


async def test_without_a_birth_date_the_name_alone_never_matches(
    client: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _refer(client, world, birth_date=BORN.isoformat())
    await _refer(client, world)
    await _refer(client, world)

    assert len(await _persons(sessionmaker)) == 3


@pytest.mark.parametrize("other_birth_date", [date(1990, 5, 16), date(1990, 5, 18)])
async def test_another_birth_date_is_another_person(
    client: httpx.AsyncClient,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    other_birth_date: date,
) -> None:
    await _refer(client, world, birth_date=BORN.isoformat())
    await _refer(client, world, birth_date=other_birth_date.isoformat())

    assert [item.birth_date for item in await _persons(sessionmaker)] == [BORN, other_birth_date]


async def test_an_identifier_contradicting_the_record_found_is_refused(
    client: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _refer(client, world, birth_date=BORN.isoformat(), france_travail_id="1234567A")

    refused = await _refer(
        client, world, expected=409, birth_date=BORN.isoformat(), france_travail_id="1234567B"
    )

    assert refused["code"] == "identity_conflict"
    assert "autre identifiant France Travail" in refused["detail"]
    assert "1234567A" not in refused["detail"]  # the record's identifier is not told
    async with sessionmaker() as reading:
        assert await reading.scalar(select(func.count()).select_from(Referral)) == 1


async def test_two_identifiers_of_two_records_are_refused(
    client: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _refer(client, world, france_travail_id="1234567A")
    await _refer(client, world, last_name="Martin", caf_number="7654321")

    refused = await _refer(
        client, world, expected=409, france_travail_id="1234567A", caf_number="7654321"
    )

    assert refused["code"] == "identity_conflict"
    assert len(await _persons(sessionmaker)) == 2


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("1234567A", "1234567A"),  # 8: 7 digits and a letter
        ("12345678", "12345678"),  # 8: 7 digits and a digit
        ("1234 567 a", "1234567A"),  # spaces and lower case
        ("12345678901", "12345678901"),  # the newer 11 digits
        ("1234567", None),  # 7
        ("1234567AB", None),  # 9
        ("123456789", None),  # 9 digits
        ("1234567890", None),  # 10
        ("123456789012", None),  # 12
        ("A1234567", None),  # the letter first
        ("123456-A", None),
    ],
)
async def test_the_france_travail_identifier_format(
    client: httpx.AsyncClient, world: World, typed: str, stored: str | None
) -> None:
    if stored is not None:
        answer = await _refer(client, world, france_travail_id=typed)
        assert answer["person"]["france_travail_id"] == stored
        return
    refused = await _refer(client, world, expected=422, france_travail_id=typed)
    [error] = refused["errors"]
    assert error["field"] == "person.france_travail_id"
    assert "7 chiffres suivis d'un chiffre ou d'une lettre" in error["message"]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("1234567", "1234567"), (" 12 34 567 ", "1234567"), ("123456", None), ("12345678", None),
     ("123456A", None)],
)  # fmt: skip
async def test_the_caf_number_format(
    client: httpx.AsyncClient, world: World, typed: str, stored: str | None
) -> None:
    if stored is not None:
        answer = await _refer(client, world, caf_number=typed)
        assert answer["person"]["caf_number"] == stored
        return
    refused = await _refer(client, world, expected=422, caf_number=typed)
    [error] = refused["errors"]
    assert (error["field"], error["message"]) == (
        "person.caf_number",
        "Le numéro allocataire CAF compte 7 chiffres (par exemple 1234567).",
    )


async def test_a_blank_identifier_is_none(client: httpx.AsyncClient, world: World) -> None:
    answer = await _refer(client, world, france_travail_id="  ", caf_number="")
    assert (answer["person"]["france_travail_id"], answer["person"]["caf_number"]) == (None, None)


async def test_the_referrer_learns_the_current_referent_and_nothing_else(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    # The EPI accompanies the person, from a referral of the coordination's organisation.
    coordination = await auth_headers(world.coordinator)
    offer = await make_offer(session, world.receiver, clock.now(), is_accompaniment=True)
    body = referral_json(offer, person=person(birth_date=BORN, france_travail_id="1234567A"))
    body["motive"] = "Motif confidentiel de la coordination"
    earlier = await client.post("/api/referrals", json=body, headers=coordination)
    assert earlier.status_code == 201, earlier.text
    epi = await auth_headers(world.receiver_member)
    for trigger in ("accept", "start"):
        started = await client.post(
            f"/api/referrals/{earlier.json()['id']}/{trigger}", json={}, headers=epi
        )
        assert started.status_code == 200, started.text
    [record] = await _persons(sessionmaker)

    # The Mission locale refers the same person (by name and birth date) elsewhere.
    other = await make_offer(session, world.outsider, clock.now())
    mission_locale = await auth_headers(world.referrer)
    body = referral_json(other, person=person(first_name="YANIS", birth_date=BORN))
    created = await client.post("/api/referrals", json=body, headers=mission_locale)

    assert created.status_code == 201, created.text
    assert created.json()["person_referent"] == {"organisation": "EPI Paris Centre"}
    assert await _person_of(sessionmaker, created.json()["id"]) == record.id
    assert "Motif confidentiel" not in created.text
    assert [event["trigger"] for event in created.json()["events"]] == ["create", "submit"]
    read = await client.get(f"/api/referrals/{created.json()['id']}", headers=mission_locale)
    assert read.json()["person_referent"] == {"organisation": "EPI Paris Centre"}
    # The person's other cases stay hidden from it: 404, and out of its lists.
    listed = await client.get("/api/referrals", headers=mission_locale)
    assert [item["id"] for item in listed.json()["items"]] == [created.json()["id"]]
    for path in (
        f"/api/referrals/{earlier.json()['id']}",
        f"/api/persons/{record.id}/accompaniments",
    ):
        hidden = await client.get(path, headers=mission_locale)
        assert hidden.status_code == 404, (path, hidden.text)


async def test_a_new_person_has_no_referent(client: httpx.AsyncClient, world: World) -> None:
    created = await _refer(client, world, birth_date=BORN.isoformat())
    assert created["person_referent"] is None
