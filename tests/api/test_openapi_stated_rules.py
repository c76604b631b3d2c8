"""Issue 17, point 9: what the schema states agrees with what the API accepts.

Each rule the document states (a text with something besides spaces, a French phone number,
the years a date may name, a whole number written ``12.0``, a form's fields, the health data
attestation, a coordinator's territory) is checked against the validation it describes, at
and around its boundaries; the rules no JSON schema can state are listed by code on the
operations they refuse (``x-refusals``).
"""

from __future__ import annotations

import re
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from api.errors import REFUSALS
from api.openapi import BODY_REFUSALS
from core.db import FILLED_TEXT
from core.errors import InvalidInput
from core.settings import Settings
from relais.app import create_app
from services.governance_inputs import Day, DecisionCreate, DurationMinutes
from services.inputs import AccountCreate, Days
from states.fields import FRENCH_PHONE_WRITTEN, YEARS_1900_TO_2999, FrenchPhone, Moment, ShortText
from states.health import health_data_of
from states.referral_fields import ReferralCreate
from tests.factories import SECRET

OPENAPI = create_app(
    Settings(environment="test", secret_key=SECRET, database_url="sqlite+aiosqlite://")
).openapi()
SCHEMAS: dict[str, Any] = OPENAPI["components"]["schemas"]
OPERATIONS = [
    (f"{method.upper()} {path}", operation)
    for path, methods in OPENAPI["paths"].items()
    for method, operation in methods.items()
]


def test_every_operation_with_a_body_documents_its_refusals_before_reading_it() -> None:
    with_body = [(label, op) for label, op in OPERATIONS if "requestBody" in op]
    assert len(with_body) > 40
    for label, operation in with_body:
        assert set(BODY_REFUSALS) <= set(operation["responses"]), label


def test_the_login_form_states_what_a_form_can_send() -> None:
    login = dict(OPERATIONS)["POST /auth/jwt/login"]
    reference = login["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    form = SCHEMAS[reference["$ref"].rsplit("/", 1)[-1]]["properties"]
    # FastAPI reads an empty field as absent: a required one needs a character.
    assert form["username"]["minLength"] == form["password"]["minLength"] == 1
    # A form has no null: an optional field is left out.
    assert all("anyOf" not in field for field in form.values())


def test_refusals_beyond_the_schema_are_codes_described_on_their_operations() -> None:
    codes = {refusal.code: refusal.rule for refusal in InvalidInput.__subclasses__()}
    documented = {
        label: op["responses"]["422"]
        for label, op in OPERATIONS
        if REFUSALS in op["responses"].get("422", {})
    }
    assert {"POST /api/referrals", "POST /api/offers", "POST /auth/reset-password"} <= set(
        documented
    )
    for label, answer in documented.items():
        for code in answer[REFUSALS]:
            assert code in codes, label
            assert f"`{code}` : {codes[code]}" in answer["description"], label
    assert documented["POST /api/offers"][REFUSALS] == [
        "unknown_reference",
        "deadlines_out_of_order",
    ]


def _accepts(kind: Any, value: Any) -> bool:
    try:
        TypeAdapter(kind).validate_python(value)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(
    ("text", "filled"),
    [
        ("a", True),
        ("  a  ", True),
        ("", False),
        ("   ", False),
        ("\u3000\t\n", False),  # spaces the API trims
        ("\u200b", True),  # a zero-width space is not trimmed: it is a character
        ("\x1c", True),
        ("a\x00", False),
    ],
)
def test_a_required_text_states_what_trimming_leaves(text: str, filled: bool) -> None:
    assert (re.fullmatch(FILLED_TEXT, text) is not None) is filled
    assert _accepts(ShortText, text) is filled


@settings(max_examples=300, deadline=None)
@given(st.from_regex(FRENCH_PHONE_WRITTEN, fullmatch=True))
def test_every_phone_the_schema_states_is_read(written: str) -> None:
    assert re.fullmatch(r"0[1-9]( [0-9]{2}){4}", TypeAdapter(FrenchPhone).validate_python(written))


@pytest.mark.parametrize("written", ["01 23 45 67 89", "+33 1 23 45 67 89", "0033 (0)1 23"])
def test_the_phone_pattern_matches_the_usual_ways_of_writing(written: str) -> None:
    stated = re.fullmatch(FRENCH_PHONE_WRITTEN, written) is not None
    assert stated is _accepts(FrenchPhone, written)


@pytest.mark.parametrize(
    ("day", "accepted"),
    [("1899-12-31", False), ("1900-01-01", True), ("2999-12-31", True), ("3000-01-01", False)],
)
def test_the_years_a_date_may_name_are_stated(day: str, accepted: bool) -> None:
    assert (re.match(YEARS_1900_TO_2999, day) is not None) is accepted
    assert _accepts(Day, day) is accepted
    moment = f"{day}T12:00:00Z"
    assert (re.match(YEARS_1900_TO_2999, moment) is not None) is accepted
    assert _accepts(Moment, moment) is accepted


@pytest.mark.parametrize("kind", [Days, DurationMinutes])
@pytest.mark.parametrize(
    ("value", "read"), [(12, 12), (12.0, 12), (12.5, None), (True, None), ("12", None)]
)
def test_a_whole_number_reads_as_the_schema_s_integer(kind: Any, value: Any, read: Any) -> None:
    """JSON Schema's ``integer`` includes ``12.0``; a fraction, a boolean or a string does not."""
    if read is None:
        assert not _accepts(kind, value)
    else:
        assert TypeAdapter(kind).validate_python(value) == read


def _referral(
    barriers: list[str], publics: list[str], situation: str | None, attested: bool
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "offer_id": 1,
        "person": {"first_name": "Awa", "last_name": "Diallo", "publics": publics},
        "motive": "Recherche d'emploi",
        "barriers": barriers,
        "consent": True,
        "health_data_attested": attested,
    }
    if situation is not None:
        body["situation"] = situation
    return body


@pytest.mark.parametrize("barriers", [[], ["mobilite"], ["mobilite", "sante"]])
@pytest.mark.parametrize("publics", [[], ["rsa"], ["rsa", "aah"]])
@pytest.mark.parametrize("situation", [None, "rsa", "rqth"])
@pytest.mark.parametrize("attested", [True, False])
def test_the_health_data_attestation_is_stated_as_the_api_checks_it(
    barriers: list[str], publics: list[str], situation: str | None, attested: bool
) -> None:
    body = _referral(barriers, publics, situation, attested)
    allowed = attested or not health_data_of(barriers, publics, situation)
    try:
        jsonschema.validate(body, {"anyOf": ReferralCreate.model_json_schema()["anyOf"]})
    except jsonschema.ValidationError:
        stated = False
    else:
        stated = True
    assert stated is allowed


@pytest.mark.parametrize("role", ["coordinator", "member", None])
@pytest.mark.parametrize("scope", ["75018", None, "absent"])
def test_only_a_coordinator_s_territory_is_stated(role: str | None, scope: str | None) -> None:
    body: dict[str, Any] = {} if role is None else {"role": role}
    if scope != "absent":
        body["scope_territory"] = scope
    allowed = scope in (None, "absent") or role == "coordinator"
    rule = {"anyOf": AccountCreate.model_json_schema()["anyOf"]}
    assert jsonschema.Draft202012Validator(rule).is_valid(body) is allowed


def test_a_proposal_does_not_offer_a_case_review() -> None:
    offered = SCHEMAS["DecisionCreate"]["properties"]["kind"]["enum"]
    assert "case_review" not in offered and "other" in offered
    assert not _accepts(DecisionCreate, {"kind": "case_review"})
