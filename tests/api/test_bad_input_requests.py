"""Acceptance point 6, triggers and malformed requests: bad input answers 4xx with a clear
French message and changes nothing.

Each case snapshots the row count of every table, and the state and version of a submitted
referral, before and after the request: they must be identical (see ``bad_input_helpers``).
Bad referral bodies: ``test_bad_input.py``.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.bad_input_helpers import Body, Case, assert_invalid, snapshot
from tests.factories import auth_headers

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
    "reassign_unknown_offer": ("reassign", {"offer_id": 999_999}, "offer_id", "unknown_reference"),
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


@pytest.mark.parametrize("name", list(TRIGGER_CASES))
async def test_trigger_refuses(
    client: httpx.AsyncClient,
    case: Case,
    sessionmaker: async_sessionmaker[AsyncSession],
    name: str,
) -> None:
    trigger, body, field, error_type = TRIGGER_CASES[name]
    before = await snapshot(sessionmaker, case.referral_id)
    assert before["referral"] == ("submitted", 2)
    answer = await client.post(
        f"/api/referrals/{case.referral_id}/{trigger}",
        json=body,
        headers=await auth_headers(getattr(case.world, FIRED_BY[trigger])),
    )
    assert_invalid(answer, field, error_type)
    assert await snapshot(sessionmaker, case.referral_id) == before


async def test_reassign_to_the_same_or_a_closed_offer(
    client: httpx.AsyncClient, case: Case, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    before = await snapshot(sessionmaker, case.referral_id)
    headers = await auth_headers(case.world.coordinator)
    refusals = {case.world.offer.id: "invalid_input", case.inactive_offer.id: "unknown_reference"}
    for offer_id, code in refusals.items():
        answer = await client.post(
            f"/api/referrals/{case.referral_id}/reassign",
            json={"offer_id": offer_id},
            headers=headers,
        )
        assert_invalid(answer, "offer_id", code)
    assert await snapshot(sessionmaker, case.referral_id) == before


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
    before = await snapshot(sessionmaker, case.referral_id)
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
    assert_invalid(answer, field, error_type)
    assert answer.json()["detail"].startswith("Données invalides") or error_type == "invalid_input"
    assert await snapshot(sessionmaker, case.referral_id) == before
