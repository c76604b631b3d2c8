"""The field's vocabulary of returns and outcomes, as the triggers take it (pure logic).

Every outcome a referral's ``complete`` or an accompaniment's ``end`` offers is accepted, and
nothing else: the retired ``employment`` and ``training`` still read (they were stored) but
are refused on input with the list of the codes to use; ``did_not_attend`` is no exit reason.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.enums import (
    EXIT_REASONS,
    REFERRAL_OUTCOMES,
    RETIRED_OUTCOMES,
    SYSTEM_OUTCOMES,
    Outcome,
    ReturnReason,
)
from states.accompaniment import EndAccompanimentFields
from states.fields import Payload
from states.referral_fields import CompleteFields, ReturnFields

DESIGN_RETURN_REASONS = [
    "missing_information", "not_eligible", "no_capacity", "wrong_offer", "out_of_area",
    "already_accompanied", "administrative_conditions", "person_unreachable",
    "person_declined", "duplicate", "other",
]  # fmt: skip
"""DESIGN.md's return reasons, in its order."""


def test_return_reasons_are_design_md_s_in_its_order() -> None:
    assert [reason.value for reason in ReturnReason] == DESIGN_RETURN_REASONS
    assert ReturnReason("out_of_area").label == "Hors secteur"
    assert ReturnReason("administrative_conditions").in_sentence == (
        "conditions administratives non remplies (droits non ouverts)"
    )
    assert ReturnFields(reason="already_accompanied", comment="Suivie par la ML.").reason is (
        ReturnReason.ALREADY_ACCOMPANIED
    )


def test_the_retired_codes_read_but_are_no_longer_offered() -> None:
    assert {Outcome.EMPLOYMENT, Outcome.TRAINING} == RETIRED_OUTCOMES
    assert Outcome("employment").label == "Emploi (durée non précisée)"
    assert Outcome("training").label == "Formation (type non précisé)"
    assert Outcome.EMPLOYMENT.is_retired and not Outcome.LASTING_EMPLOYMENT.is_retired
    assert set(REFERRAL_OUTCOMES) == set(Outcome) - RETIRED_OUTCOMES - SYSTEM_OUTCOMES
    assert set(EXIT_REASONS) == set(REFERRAL_OUTCOMES) - {Outcome.DID_NOT_ATTEND}


def _complete(outcome: str) -> CompleteFields:
    return CompleteFields(outcome=outcome)


def _end(outcome: str) -> EndAccompanimentFields:
    return EndAccompanimentFields(outcome=outcome)


@pytest.mark.parametrize("outcome", [outcome.value for outcome in REFERRAL_OUTCOMES])
def test_complete_takes_every_offered_outcome(outcome: str) -> None:
    assert _complete(outcome).outcome is Outcome(outcome)


@pytest.mark.parametrize("outcome", [outcome.value for outcome in EXIT_REASONS])
def test_end_takes_every_exit_reason(outcome: str) -> None:
    assert _end(outcome).outcome is Outcome(outcome)


@pytest.mark.parametrize(
    ("payload", "outcome", "offered"),
    [
        (CompleteFields, "employment", REFERRAL_OUTCOMES),
        (CompleteFields, "training", REFERRAL_OUTCOMES),
        (EndAccompanimentFields, "employment", EXIT_REASONS),
        (EndAccompanimentFields, "did_not_attend", EXIT_REASONS),
        # Recorded by relais alone, when the person withdraws consent.
        (CompleteFields, "consent_withdrawn", REFERRAL_OUTCOMES),
        (EndAccompanimentFields, "consent_withdrawn", EXIT_REASONS),
    ],
)
def test_a_code_not_offered_is_refused_with_the_codes_to_use(
    payload: type[Payload], outcome: str, offered: tuple[Outcome, ...]
) -> None:
    with pytest.raises(ValidationError) as refused:
        payload.model_validate({"outcome": outcome})
    [error] = refused.value.errors()
    assert (error["loc"], error["type"]) == (("outcome",), "not_offered")
    assert error["msg"] == (
        f"« {outcome} » n'est pas proposé ici : choisissez parmi "
        + ", ".join(code.value for code in offered)
    )


def test_an_unknown_code_is_still_an_unknown_value() -> None:
    with pytest.raises(ValidationError) as refused:
        _complete("found_a_job")
    assert [error["type"] for error in refused.value.errors()] == ["enum"]


def test_the_schema_lists_only_the_offered_codes() -> None:
    complete = CompleteFields.model_json_schema()["properties"]["outcome"]
    end = EndAccompanimentFields.model_json_schema()["properties"]["outcome"]
    assert complete["enum"] == [outcome.value for outcome in REFERRAL_OUTCOMES]
    assert end["enum"] == [outcome.value for outcome in EXIT_REASONS]
    assert "employment" not in complete["enum"] and "did_not_attend" not in end["enum"]
