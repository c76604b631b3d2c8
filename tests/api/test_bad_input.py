"""Acceptance point 6: bad input answers 4xx with a clear French message and changes nothing.

Each case snapshots the row count of every table, and the state and version of a submitted
referral, before and after the request: they must be identical. Invalid requests answer
``{code, detail, errors: [{field, message, type}]}`` with ``field`` naming the culprit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.db import Base
from core.models import Offer, Referral
from services import referral_service
from tests.factories import World, actor_of, auth_headers, make_offer, referral_create

Body = dict[str, Any]


@dataclass
class Case:
    """The world of a bad-input test: a submitted referral and a closed offer."""

    world: World
    referral_id: int
    inactive_offer: Offer


@pytest.fixture
async def case(
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> Case:
    inactive = await make_offer(session, world.receiver, clock.now(), is_active=False)
    async with sessionmaker() as arrange:
        view = await referral_service.create_referral(
            arrange, actor_of(world.referrer), referral_create(world.offer), clock.now()
        )
        await arrange.commit()
    return Case(world, view.case.id, inactive)


async def _snapshot(
    sessionmaker: async_sessionmaker[AsyncSession], referral_id: int
) -> dict[str, Any]:
    """Row counts of every table, and the referral's state and version."""
    async with sessionmaker() as session:
        counts: dict[str, Any] = {
            table.name: (
                await session.execute(select(func.count()).select_from(table))
            ).scalar_one()
            for table in Base.metadata.sorted_tables
        }
        row = (
            await session.execute(
                select(Referral.state, Referral.version).where(Referral.id == referral_id)
            )
        ).one()
    counts["referral"] = (row.state, row.version)
    return counts


def _valid_referral(offer_id: int) -> Body:
    return {
        "offer_id": offer_id,
        "person": {
            "first_name": "Zoé",
            "last_name": "Quatremer",
            "birth_date": "1998-04-12",
            "email": "zoe.quatremer@example.org",
            "phone": "+33 6 12 34 56 78",
        },
        "motive": "Recherche d'un premier emploi dans le numérique",
        "situation": "jeune",
        "barriers": ["mobilite"],
        "consent": True,
    }


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
    "unknown_offer": (_with(offer_id=999_999), "offer_id", "invalid_input"),
    "inactive_offer": (
        lambda body, case: {**body, "offer_id": case.inactive_offer.id},
        "offer_id",
        "invalid_input",
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

# id: (trigger, JSON body or None for no body, field blamed, error type)
TRIGGER_CASES: dict[str, tuple[str, Body | None, str, str]] = {
    "return_without_body": ("return", None, "body", "missing"),
    "return_reason_missing": ("return", {"comment": "Dossier incomplet"}, "reason", "missing"),
    "return_reason_unknown": (
        "return",
        {"reason": "pas_envie", "comment": "Dossier incomplet"},
        "reason",
        "enum",
    ),
    "return_comment_missing": ("return", {"reason": "other"}, "comment", "missing"),
    "return_comment_blank": (
        "return",
        {"reason": "other", "comment": " "},
        "comment",
        "string_too_short",
    ),
    "return_comment_too_long": (
        "return",
        {"reason": "other", "comment": "x" * 2001},
        "comment",
        "string_too_long",
    ),
    "accept_naive_datetime": (
        "accept",
        {"first_appointment_at": "2026-03-05T10:00:00"},
        "first_appointment_at",
        "timezone_aware",
    ),
    "accept_unknown_field": ("accept", {"room": "B12"}, "room", "extra_forbidden"),
    "cancel_reason_missing": ("cancel", {}, "reason", "missing"),
    "complete_unknown_outcome": ("complete", {"outcome": "fortune"}, "outcome", "enum"),
    "reassign_unknown_offer": ("reassign", {"offer_id": 999_999}, "offer_id", "invalid_input"),
    "reassign_offer_beyond_int32": (
        "reassign",
        {"offer_id": 2**31},
        "offer_id",
        "less_than_equal",
    ),
}

# Who fires each trigger: someone on the right side, so that only the input is at fault.
FIRED_BY = {
    "return": "receiver_member",
    "accept": "receiver_member",
    "complete": "receiver_member",
    "cancel": "referrer",
    "reassign": "coordinator",
}


def _assert_invalid(answer: httpx.Response, field: str, error_type: str) -> None:
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["code"] == "invalid_input"
    assert isinstance(body["detail"], str) and body["detail"]
    assert {"field": field, "type": error_type} in [
        {"field": error["field"], "type": error["type"]} for error in body["errors"]
    ], body
    assert all(error["message"] for error in body["errors"])


@pytest.mark.parametrize("name", list(CREATE_CASES))
async def test_create_refuses(
    client: httpx.AsyncClient,
    case: Case,
    sessionmaker: async_sessionmaker[AsyncSession],
    name: str,
) -> None:
    spoil, field, error_type = CREATE_CASES[name]
    before = await _snapshot(sessionmaker, case.referral_id)
    answer = await client.post(
        "/api/referrals",
        json=spoil(_valid_referral(case.world.offer.id), case),
        headers=await auth_headers(case.world.referrer),
    )
    _assert_invalid(answer, field, error_type)
    assert await _snapshot(sessionmaker, case.referral_id) == before


async def test_messages_are_french(client: httpx.AsyncClient, case: Case) -> None:
    headers = await auth_headers(case.world.referrer)
    no_consent = await client.post(
        "/api/referrals",
        json={**_valid_referral(case.world.offer.id), "consent": False},
        headers=headers,
    )
    assert "attestation" in no_consent.json()["detail"]
    missing = await client.post(
        "/api/referrals", json=_without("motive")(_valid_referral(1), case), headers=headers
    )
    assert missing.json()["detail"] == "Données invalides — motive : champ obligatoire"
    closed = await client.post(
        "/api/referrals",
        json={**_valid_referral(case.inactive_offer.id)},
        headers=headers,
    )
    assert closed.json()["detail"] == (
        f"L'offre {case.inactive_offer.id} n'existe pas ou n'est plus ouverte."
    )


@pytest.mark.parametrize("name", list(TRIGGER_CASES))
async def test_trigger_refuses(
    client: httpx.AsyncClient,
    case: Case,
    sessionmaker: async_sessionmaker[AsyncSession],
    name: str,
) -> None:
    trigger, body, field, error_type = TRIGGER_CASES[name]
    before = await _snapshot(sessionmaker, case.referral_id)
    assert before["referral"] == ("submitted", 2)
    answer = await client.post(
        f"/api/referrals/{case.referral_id}/{trigger}",
        json=body,
        headers=await auth_headers(getattr(case.world, FIRED_BY[trigger])),
    )
    _assert_invalid(answer, field, error_type)
    assert await _snapshot(sessionmaker, case.referral_id) == before


async def test_reassign_to_the_same_or_a_closed_offer(
    client: httpx.AsyncClient, case: Case, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    before = await _snapshot(sessionmaker, case.referral_id)
    headers = await auth_headers(case.world.coordinator)
    for offer_id in (case.world.offer.id, case.inactive_offer.id):
        answer = await client.post(
            f"/api/referrals/{case.referral_id}/reassign",
            json={"offer_id": offer_id},
            headers=headers,
        )
        _assert_invalid(answer, "offer_id", "invalid_input")
    assert await _snapshot(sessionmaker, case.referral_id) == before


# id: (method, path, query parameters, raw body or None, field blamed, error type)
REQUEST_CASES: dict[str, tuple[str, str, dict[str, str], bytes | None, str, str]] = {
    "invalid_json": ("POST", "/api/referrals", {}, b'{"offer_id": 1,', "body", "json_invalid"),
    "json_not_object": ("POST", "/api/referrals", {}, b"[]", "body", "model_attributes_type"),
    "invalid_json_on_trigger": (
        "POST",
        "/api/referrals/{id}/cancel",
        {},
        b"{",
        "body",
        "json_invalid",
    ),
    "path_id_not_integer": ("GET", "/api/referrals/abc", {}, None, "referral_id", "int_parsing"),
    "path_id_decimal": (
        "POST",
        "/api/referrals/1.5/cancel",
        {},
        b"{}",
        "referral_id",
        "int_parsing",
    ),
    "path_id_beyond_int32": (
        "GET",
        "/api/referrals/2147483648",
        {},
        None,
        "referral_id",
        "less_than_equal",
    ),
    "path_id_beyond_int64": (
        "POST",
        "/api/referrals/100000000000000000000/cancel",
        {},
        b'{"reason": "doublon"}',
        "referral_id",
        "less_than_equal",
    ),
    "unknown_state": ("GET", "/api/referrals", {"state": "lost"}, None, "state", "invalid_input"),
    "unknown_box": ("GET", "/api/referrals", {"box": "outbox"}, None, "box", "literal_error"),
    "overdue_not_boolean": (
        "GET",
        "/api/referrals",
        {"overdue": "souvent"},
        None,
        "overdue",
        "bool_parsing",
    ),
    "limit_zero": ("GET", "/api/referrals", {"limit": "0"}, None, "limit", "greater_than_equal"),
    "limit_too_large": (
        "GET",
        "/api/referrals",
        {"limit": "101"},
        None,
        "limit",
        "less_than_equal",
    ),
    "limit_not_integer": ("GET", "/api/referrals", {"limit": "ten"}, None, "limit", "int_parsing"),
    "cursor_negative": (
        "GET",
        "/api/referrals",
        {"cursor": "-1"},
        None,
        "cursor",
        "greater_than_equal",
    ),
    "cursor_beyond_int32": (
        "GET",
        "/api/referrals",
        {"cursor": "2147483648"},
        None,
        "cursor",
        "less_than_equal",
    ),
    "offer_search_nul_character": (
        "GET",
        "/api/offers",
        {"q": "emploi\x00"},
        None,
        "q",
        "string_pattern_mismatch",
    ),
}


@pytest.mark.parametrize("name", list(REQUEST_CASES))
async def test_malformed_request_refused(
    client: httpx.AsyncClient,
    case: Case,
    sessionmaker: async_sessionmaker[AsyncSession],
    name: str,
) -> None:
    method, path, params, raw, field, error_type = REQUEST_CASES[name]
    before = await _snapshot(sessionmaker, case.referral_id)
    headers = await auth_headers(case.world.referrer)
    if raw is not None:
        headers["Content-Type"] = "application/json"
    answer = await client.request(
        method,
        path.replace("{id}", str(case.referral_id)),
        params=params,
        content=raw,
        headers=headers,
    )
    _assert_invalid(answer, field, error_type)
    assert answer.json()["detail"].startswith("Données invalides") or error_type == "invalid_input"
    assert await _snapshot(sessionmaker, case.referral_id) == before


async def test_form_body_is_not_json(
    client: httpx.AsyncClient, case: Case, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    before = await _snapshot(sessionmaker, case.referral_id)
    answer = await client.post(
        "/api/referrals",
        data={"offer_id": str(case.world.offer.id), "consent": "true"},
        headers=await auth_headers(case.world.referrer),
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid_input"
    assert await _snapshot(sessionmaker, case.referral_id) == before


async def test_a_valid_request_does_change_the_database(
    client: httpx.AsyncClient, case: Case, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """The snapshot does see a change: one valid creation adds a person and a referral."""
    before = await _snapshot(sessionmaker, case.referral_id)
    answer = await client.post(
        "/api/referrals",
        json=_valid_referral(case.world.offer.id),
        headers=await auth_headers(case.world.referrer),
    )
    assert answer.status_code == 201, answer.text
    after = await _snapshot(sessionmaker, case.referral_id)
    assert after["persons"] == before["persons"] + 1
    assert after["referrals"] == before["referrals"] + 1
    assert after["events"] == before["events"] + 2
