"""Issue 17, point 9: the OpenAPI document states what the API accepts.

The schemas carry the constraints the use cases enforce (declared once, read by both), and
examples; the API still refuses bad input with a 422 in French and changes nothing.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import MAX_ID
from core.enums import Public, Territory
from core.settings import Settings
from relais.app import create_app
from services.auth import password_problem
from services.handover_service import AccompanimentStart, HandoverCreate
from services.indicators.frame import COUNTED_PUBLICS
from services.inputs import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, AccountCreate
from states.fields import Id
from states.identity import (
    CAF_NUMBER_AS_TYPED,
    FRANCE_TRAVAIL_ID_AS_TYPED,
    CafNumber,
    FranceTravailId,
)
from states.publics import DERIVED
from states.referral_fields import ReferralCreate
from tests.api.bad_input_helpers import Case, assert_invalid, snapshot, valid_referral
from tests.factories import PASSWORD, SECRET, World, auth_headers

OPENAPI = create_app(
    Settings(environment="test", secret_key=SECRET, database_url="sqlite+aiosqlite://")
).openapi()
SCHEMAS: dict[str, Any] = OPENAPI["components"]["schemas"]
STRONG = "cheval agrafe batterie"
"""A password zxcvbn finds hard to guess, cut to the length a test needs."""


def test_a_new_password_states_the_rule_s_lengths() -> None:
    for schema, field in [
        ("AccountCreate", "password"),
        ("PasswordChange", "new_password"),
        ("PasswordReset", "password"),
        ("InvitationAcceptance", "password"),
    ]:
        stated = SCHEMAS[schema]["properties"][field]
        assert (stated["minLength"], stated["maxLength"]) == (
            MIN_PASSWORD_LENGTH,
            MAX_PASSWORD_LENGTH,
        ), schema
    # Logging in or confirming takes any password the inputs allow.
    assert SCHEMAS["PasswordChange"]["properties"]["current_password"]["minLength"] == 1


@pytest.mark.parametrize(
    ("length", "refused"),
    [
        (MIN_PASSWORD_LENGTH - 1, True),
        (MIN_PASSWORD_LENGTH, False),
        (MIN_PASSWORD_LENGTH + 1, False),
    ],
)
def test_the_password_rule_refuses_below_the_stated_length(length: int, refused: bool) -> None:
    password = (STRONG * 2)[:length]
    assert len(password) == length
    problem = password_problem(password, "awa@example.org", demo_allowed=False)
    assert (problem is not None and "au moins 12 caractères" in problem) is refused


@pytest.mark.parametrize(
    "value",
    ["1234567A", " 1234 567 a ", "123456A", "12345678A", "12345678901", "1234567890",
     "123456789012", "", "   ", "1234567-", "1234567É"],
)  # fmt: skip
def test_the_france_travail_pattern_agrees_with_the_validator(value: str) -> None:
    """The schema's pattern accepts exactly what the validator accepts, at and around the
    lengths of both forms (8 and 11 characters)."""
    assert bool(re.search(FRANCE_TRAVAIL_ID_AS_TYPED, value)) is _accepted(FranceTravailId, value)


@pytest.mark.parametrize("value", ["1234567", "123 45 67", "123456", "12345678", "", "123456A"])
def test_the_caf_pattern_agrees_with_the_validator(value: str) -> None:
    """Around the 7 digits of a CAF number."""
    assert bool(re.search(CAF_NUMBER_AS_TYPED, value)) is _accepted(CafNumber, value)


def _accepted(kind: Any, value: str) -> bool:
    try:
        TypeAdapter(kind).validate_python(value)
    except ValidationError:
        return False
    return True


def test_a_referral_states_typed_publics_residences_and_the_ticked_consent() -> None:
    referral = SCHEMAS["ReferralCreate"]
    person = SCHEMAS["ReferralPersonFields"]["properties"]
    assert referral["properties"]["consent"]["const"] is True
    typed = set(person["publics"]["items"]["enum"])
    assert typed == {public.value for public in Public} - {public.value for public in DERIVED}
    residences = person["residence"]["anyOf"][0]["enum"]
    assert residences == [territory.value for territory in Territory.residences()]
    assert Territory.PARIS.value not in residences
    assert "pattern" in person["france_travail_id"] and "pattern" in person["caf_number"]


@pytest.mark.parametrize("model", [ReferralCreate, HandoverCreate, AccompanimentStart])
def test_the_examples_are_valid_requests(model: Any) -> None:
    examples = SCHEMAS[model.__name__]["examples"]
    assert examples
    for example in examples:
        model.model_validate(example)


def test_an_accompaniment_states_who_it_is_for_and_why() -> None:
    start = SCHEMAS["AccompanimentStart"]
    assert set(start["required"]) == {"reason", "consent"}
    assert start["properties"]["reason"]["type"] == "string"
    assert [branch["required"] for branch in start["oneOf"]] == [["person_id"], ["person"]]
    assert SCHEMAS["HandoverCreate"]["properties"]["consent"]["const"] is True


def test_the_indicators_offer_only_countable_publics() -> None:
    (public,) = [
        parameter
        for parameter in OPENAPI["paths"]["/api/indicators"]["get"]["parameters"]
        if parameter["name"] == "public"
    ]
    offered = public["schema"]["anyOf"][0]["enum"]
    assert offered == [counted.value for counted in COUNTED_PUBLICS]
    assert "aah" not in offered and "rqth" not in offered


def test_account_create_still_reads_a_short_password() -> None:
    """The model leaves the least length to the password rule, whose message says why."""
    AccountCreate.model_validate(
        {"email": "a@example.org", "password": "court", "organisation_id": 1, "role": "member"}
    )


# Bad input over HTTP: 422, French messages, nothing changed.


async def test_a_short_new_password_is_refused_in_french(
    client: httpx.AsyncClient, world: World
) -> None:
    answer = await client.post(
        "/api/users/me/password",
        json={"current_password": PASSWORD, "new_password": STRONG[: MIN_PASSWORD_LENGTH - 1]},
        headers=await auth_headers(world.referrer),
    )
    assert answer.status_code == 422, answer.text
    assert any("caractères" in error["message"] for error in answer.json()["errors"])


@pytest.mark.parametrize(
    ("person", "field", "said"),
    [
        ({"france_travail_id": "123456A"}, "person.france_travail_id", "7 chiffres"),
        ({"caf_number": "12345678"}, "person.caf_number", "7 chiffres"),
        ({"residence": "paris"}, "person.residence", "arrondissement"),
        ({"publics": ["jeunes"]}, "person.publics", "date de naissance"),
    ],
)
async def test_a_referral_against_its_schema_is_refused_and_changes_nothing(
    client: httpx.AsyncClient,
    case: Case,
    sessionmaker: async_sessionmaker[AsyncSession],
    person: dict[str, Any],
    field: str,
    said: str,
) -> None:
    body = valid_referral(case.world.offer.id)
    body["person"] |= person
    before = await snapshot(sessionmaker, case.referral_id)
    answer = await client.post(
        "/api/referrals", json=body, headers=await auth_headers(case.world.referrer)
    )
    assert answer.status_code == 422, answer.text
    errors = {error["field"]: error["message"] for error in answer.json()["errors"]}
    assert said in errors[field], errors
    assert await snapshot(sessionmaker, case.referral_id) == before


@pytest.mark.parametrize(
    ("body", "field", "error_type"),
    [
        ({"person_id": 1, "person": {"first_name": "Inès", "last_name": "Dupuis"}}, "body",
         "value_error"),
        ({"person": {"first_name": "Inès", "last_name": "Dupuis", "residence": "paris"}},
         "person.residence", "invalid_input"),
        ({"person": {"first_name": "Inès", "last_name": "Dupuis", "publics": ["jeunes"]}},
         "person.publics", "invalid_input"),
    ],
)  # fmt: skip
async def test_an_accompaniment_against_its_schema_is_refused_and_changes_nothing(
    client: httpx.AsyncClient,
    case: Case,
    sessionmaker: async_sessionmaker[AsyncSession],
    body: dict[str, Any],
    field: str,
    error_type: str,
) -> None:
    before = await snapshot(sessionmaker, case.referral_id)
    answer = await client.post(
        "/api/accompaniments",
        json={**body, "organisation_id": case.world.receiver.id, "reason": "Sans suivi",
              "consent": True},
        headers=await auth_headers(case.world.coordinator),
    )  # fmt: skip
    assert_invalid(answer, field, error_type)
    assert await snapshot(sessionmaker, case.referral_id) == before


@pytest.mark.parametrize(
    ("value", "read"), [(12, 12), (12.0, 12), (12.5, None), (True, None), ("12", None)]
)
def test_an_id_is_a_json_integer_however_spelt(value: Any, read: int | None) -> None:
    """JSON Schema counts 12.0 as the integer 12; a fraction, a boolean or text is refused."""
    try:
        assert TypeAdapter(Id).validate_python(value) == read
    except ValidationError:
        assert read is None


def test_the_document_writes_integer_bounds_as_integers() -> None:
    offer_id = SCHEMAS["ReferralCreate"]["properties"]["offer_id"]
    assert offer_id["maximum"] == MAX_ID and isinstance(offer_id["maximum"], int)
    assert isinstance(offer_id["exclusiveMinimum"], int)
