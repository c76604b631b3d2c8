"""Forms derived from payload classes, and posted values read back (pure logic)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.datastructures import FormData

from core.enums import EXIT_REASONS, REFERRAL_OUTCOMES
from states.accompaniment import EndAccompanimentFields
from states.decision import ScheduleFields
from states.handover import AcceptHandoverFields
from states.referral_fields import CompleteFields, ResubmitFields, ReturnFields
from web.form_messages import CHOICE
from web.forms import FormErrors, form_fields, parse_form, posted_values


def _kinds(payload: type) -> list[tuple[str, str, bool]]:
    return [(field.name, field.kind, field.required) for field in form_fields(payload)]


def test_each_payload_field_gets_the_control_its_type_calls_for() -> None:
    assert _kinds(ReturnFields) == [("reason", "select", True), ("comment", "textarea", True)]
    assert _kinds(ResubmitFields) == [
        ("motive", "textarea", False),
        ("publics", "checkboxes", False),
        ("barriers", "checkboxes", False),
        ("health_data_attested", "checkbox", False),
        ("eligibility_justification", "textarea", False),
        ("reply", "textarea", False),
    ]
    assert _kinds(AcceptHandoverFields) == [("first_meeting_at", "datetime", True)]
    assert _kinds(ScheduleFields) == [("meeting_id", "number", True)]


def test_lists_read_in_french_and_id_fields_take_the_choices_given() -> None:
    (reason, _comment) = form_fields(ReturnFields)
    assert ("missing_information", "Informations manquantes") in reason.choices
    (meeting,) = form_fields(ScheduleFields, choices={"meeting_id": [("7", "Comité du 3 mars")]})
    assert (meeting.kind, list(meeting.choices)) == ("select", [("7", "Comité du 3 mars")])


def test_a_date_and_time_typed_in_the_browser_is_paris_time() -> None:
    fields = parse_form(
        AcceptHandoverFields,
        FormData([("accept-first_meeting_at", "2026-07-14T10:30")]),
        "accept-",
    )
    assert fields.first_meeting_at == datetime(2026, 7, 14, 10, 30, tzinfo=ZoneInfo("Europe/Paris"))
    assert fields.first_meeting_at.utcoffset() == timedelta(hours=2)  # summer time


def test_checkboxes_and_empty_optional_fields() -> None:
    fields = parse_form(
        ResubmitFields,
        FormData([("motive", ""), ("barriers", "logement"), ("barriers", "mobilite")]),
    )
    assert fields.motive is None
    assert fields.barriers == ["logement", "mobilite"]


@pytest.mark.parametrize(
    "posted, field",
    [
        ([("comment", "Il manque le CV.")], "reason"),
        ([("reason", "nope"), ("comment", "x")], "reason"),
        ([("reason", "other"), ("comment", "   ")], "comment"),
        ([("reason", "other"), ("comment", "\x00")], "comment"),
    ],
)
def test_refusals_name_the_field_in_french(posted: list[tuple[str, Any]], field: str) -> None:
    with pytest.raises(FormErrors) as refused:
        parse_form(ReturnFields, FormData(posted))
    assert field in refused.value.errors
    assert "Motif" in refused.value.summary() or "Commentaire" in refused.value.summary()


def test_an_unknown_outcome_is_refused() -> None:
    with pytest.raises(FormErrors) as refused:
        parse_form(CompleteFields, FormData([("outcome", "licorne")]))
    assert refused.value.errors == {"outcome": CHOICE}


@pytest.mark.parametrize(
    "typed, read, refusal",
    [(" 007 ", 7, None), ("-2", -2, CHOICE), ("²", "²", CHOICE), ("٣", "٣", CHOICE),
     ("7e2", "7e2", CHOICE), ("9" * 5000, 10**18, CHOICE), ("-" + "9" * 30, -(10**18), CHOICE)],
)  # fmt: skip
def test_a_number_field_reads_ascii_digits_only_and_any_length(
    typed: str, read: Any, refusal: str | None
) -> None:
    """Issue 12, finding 10 (b): ``int()`` never sees what it cannot read."""
    posted = FormData([("meeting_id", typed)])
    assert posted_values(ScheduleFields, posted) == {"meeting_id": read}
    if refusal is None:
        assert parse_form(ScheduleFields, posted).meeting_id == read
        return
    with pytest.raises(FormErrors) as refused:
        parse_form(ScheduleFields, posted)
    assert refused.value.errors == {"meeting_id": refusal}


def test_an_outcome_list_offers_only_its_codes() -> None:
    [complete] = [f for f in form_fields(CompleteFields) if f.name == "outcome"]
    [end] = [f for f in form_fields(EndAccompanimentFields) if f.name == "outcome"]
    assert [value for value, _label in complete.choices] == [o.value for o in REFERRAL_OUTCOMES]
    assert [value for value, _label in end.choices] == [o.value for o in EXIT_REASONS]
    assert ("lasting_employment", "Emploi durable (CDI, ou CDD de 6 mois ou plus)") in end.choices
    labels = {label for _value, label in complete.choices}
    assert not labels & {"Emploi (durée non précisée)", "Formation (type non précisé)"}
