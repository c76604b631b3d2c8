"""Acceptance point 6, the referral bodies: bad input answers 4xx with a clear French message
and changes nothing.

Each case snapshots the row count of every table, and the state and version of a submitted
referral, before and after the request: they must be identical (see ``bad_input_helpers``).
Invalid requests answer ``{code, detail, errors: [{field, message, type}]}`` with ``field``
naming the culprit. Triggers and malformed requests: ``test_bad_input_requests.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.bad_input_helpers import Body, Case, assert_invalid, snapshot, valid_referral
from tests.factories import auth_headers


def _without(key: str) -> Callable[[Body, Case], Body]:
    return lambda body, _case: {k: v for k, v in body.items() if k != key}


def _with(**changes: Any) -> Callable[[Body, Case], Body]:
    return lambda body, _case: {**body, **changes}


def _person(**changes: Any) -> Callable[[Body, Case], Body]:
    return lambda body, _case: {**body, "person": {**body["person"], **changes}}


# id: (how the valid body is spoiled, the field blamed, the error type)
CREATE_CASES: dict[str, tuple[Callable[[Body, Case], Body], str, str]] = {
    "consent_false": (_with(consent=False), "consent", "invalid_input"),
    "consent_missing": (_without("consent"), "consent", "missing"),
    "consent_not_boolean": (_with(consent="peut-être"), "consent", "bool_parsing"),
    "unknown_offer": (_with(offer_id=999_999), "offer_id", "unknown_reference"),
    "inactive_offer": (
        lambda body, case: {**body, "offer_id": case.inactive_offer.id},
        "offer_id",
        "unknown_reference",
    ),
    "offer_id_zero": (_with(offer_id=0), "offer_id", "greater_than"),
    "offer_id_not_integer": (_with(offer_id="abc"), "offer_id", "int_type"),
    "offer_id_boolean": (_with(offer_id=True), "offer_id", "int_type"),
    "offer_id_beyond_int32": (_with(offer_id=2**31), "offer_id", "less_than_equal"),
    "offer_id_beyond_int64": (_with(offer_id=10**20), "offer_id", "less_than_equal"),
    "motive_missing": (_without("motive"), "motive", "missing"),
    "motive_too_long": (_with(motive="x" * 5001), "motive", "string_too_long"),
    "motive_blank": (_with(motive="   "), "motive", "string_too_short"),
    "motive_nul_character": (_with(motive="a\x00b"), "motive", "string_pattern_mismatch"),
    "first_name_too_long": (_person(first_name="x" * 101), "person.first_name", "string_too_long"),
    "first_name_nul_character": (
        _person(first_name="Zo\x00é"),
        "person.first_name",
        "string_pattern_mismatch",
    ),
    "last_name_missing": (
        lambda body, _case: {**body, "person": {"first_name": "Zoé"}},
        "person.last_name",
        "missing",
    ),
    "bad_email": (_person(email="zoe@"), "person.email", "value_error"),
    "bad_phone": (_person(phone="appelez-moi"), "person.phone", "string_pattern_mismatch"),
    "birth_date_in_future": (
        _person(birth_date="2031-01-01"),
        "person.birth_date",
        "invalid_input",
    ),
    "birth_date_not_a_date": (
        _person(birth_date="12/04/1998"),
        "person.birth_date",
        "date_from_datetime_parsing",
    ),
    "person_not_object": (_with(person="Zoé Quatremer"), "person", "model_attributes_type"),
    "unknown_situation": (_with(situation="millionnaire"), "situation", "enum"),
    "unknown_barrier": (_with(barriers=["teleportation"]), "barriers.0", "enum"),
    "barriers_not_list": (_with(barriers="logement"), "barriers", "list_type"),
    "unknown_extra_field": (_with(nir="1980475123456"), "nir", "extra_forbidden"),
    "unknown_person_field": (_person(nir="1980475123456"), "person.nir", "extra_forbidden"),
}


@pytest.mark.parametrize("name", list(CREATE_CASES))
async def test_create_refuses(
    client: httpx.AsyncClient,
    case: Case,
    sessionmaker: async_sessionmaker[AsyncSession],
    name: str,
) -> None:
    spoil, field, error_type = CREATE_CASES[name]
    before = await snapshot(sessionmaker, case.referral_id)
    answer = await client.post(
        "/api/referrals",
        json=spoil(valid_referral(case.world.offer.id), case),
        headers=await auth_headers(case.world.referrer),
    )
    assert_invalid(answer, field, error_type)
    assert await snapshot(sessionmaker, case.referral_id) == before


async def test_messages_are_french(client: httpx.AsyncClient, case: Case) -> None:
    headers = await auth_headers(case.world.referrer)
    no_consent = await client.post(
        "/api/referrals",
        json={**valid_referral(case.world.offer.id), "consent": False},
        headers=headers,
    )
    assert "attestation" in no_consent.json()["detail"]
    missing = await client.post(
        "/api/referrals", json=_without("motive")(valid_referral(1), case), headers=headers
    )
    assert missing.json()["detail"] == "Données invalides — motive : champ obligatoire"
    closed = await client.post(
        "/api/referrals",
        json={**valid_referral(case.inactive_offer.id)},
        headers=headers,
    )
    assert closed.json()["detail"] == (
        f"L'offre {case.inactive_offer.id} n'existe pas ou n'est plus ouverte."
    )


async def test_form_body_is_not_json(
    client: httpx.AsyncClient, case: Case, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    before = await snapshot(sessionmaker, case.referral_id)
    answer = await client.post(
        "/api/referrals",
        data={"offer_id": str(case.world.offer.id), "consent": "true"},
        headers=await auth_headers(case.world.referrer),
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid_input"
    assert await snapshot(sessionmaker, case.referral_id) == before


async def test_a_valid_request_does_change_the_database(
    client: httpx.AsyncClient, case: Case, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """The snapshot does see a change: one valid creation adds a person and a referral."""
    before = await snapshot(sessionmaker, case.referral_id)
    answer = await client.post(
        "/api/referrals",
        json=valid_referral(case.world.offer.id),
        headers=await auth_headers(case.world.referrer),
    )
    assert answer.status_code == 201, answer.text
    after = await snapshot(sessionmaker, case.referral_id)
    assert after["persons"] == before["persons"] + 1
    assert after["referrals"] == before["referrals"] + 1
    assert after["events"] == before["events"] + 2
