"""Snapshot tests: the French a person reads in each email, pinned word for word.

Each case renders one message of the catalog for a fixed, hand-written context shaped like
the ones the engine, the sweep and the digest store, and compares subject, text and HTML with
``snapshots/<case>.txt``. Any change of wording shows up as a failing diff to review. Set
``RELAIS_UPDATE_SNAPSHOTS=1`` to rewrite the files after a deliberate change; a missing file
is written and the test fails, so that a new snapshot is always read before it is trusted.

Also here: the French date filters, strict variables and HTML escaping.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from jinja2 import UndefinedError

from notifications.catalog import MESSAGES
from notifications.render import environment, french_date, french_datetime, render

SNAPSHOTS = Path(__file__).parent / "snapshots"
BASE_URL = "https://relais.paris.example"
TEXT_SEPARATOR = "\n======================== texte ========================\n"
HTML_SEPARATOR = "\n======================== html =========================\n"

REFERRAL = {
    "reference": "OR-2026-000123",
    "offer_title": "Atelier CV et entretien",
    "sender_organisation": "Mission locale de Paris",
    "receiver_organisation": "EPI Paris Centre",
    "state": "submitted",
    "state_label": "transmise",
    "subject_line": "« Atelier CV et entretien », de Mission locale de Paris à EPI Paris Centre",
    "path": "/referrals/123",
    "first_appointment_at": None,
    "return_reason_label": None,
    "outcome_label": None,
    "return_comment_given": False,
}
WAITING = {
    **REFERRAL,
    "case_label": "orientation",
    "expected_action": "accepter ou retourner l'orientation",
    "waiting_organisation": "EPI Paris Centre",
    # Monday 2 March 2026 09:00 and Monday 9 March 2026 09:00 in Paris.
    "state_entered_at": "2026-03-02T08:00:00+00:00",
    "escalation_at": "2026-03-09T08:00:00+00:00",
}


HANDOVER = {
    "reference": "PR-2026-000042",
    "from_organisation": "Mission locale de Paris",
    "to_organisation": "EPI Paris Centre",
    "state": "accepted",
    "state_label": "accepté",
    "subject_line": "de Mission locale de Paris à EPI Paris Centre",
    "path": "/handovers/42",
    "first_meeting_at": None,
}
DECISION = {
    "reference": "DC-2026-000007",
    "committee": "Comité technique du PPIE",
    "proposer_organisation": "EPI Paris Centre",
    "axis": "4.2",
    "axis_label": "Renforcer l'autonomie par l'inclusion numérique",
    "state": "proposed",
    "state_label": "proposée",
    "subject_line": "Comité technique du PPIE",
    "path": "/decisions/7",
    "meeting_at": None,
}
ACTION = {
    "committee": "Comité technique du PPIE",
    "reference": "AC-2026-000003",
    "decision_reference": "DC-2026-000007",
    "owner_organisation": "EPI Paris Centre",
    "due_on": "2026-06-30",
    "state": "open",
    "state_label": "à faire",
    "subject_line": "décision DC-2026-000007 du Comité technique du PPIE, pour EPI Paris Centre",
    "path": "/actions/3",
}


def digest_case(number: int, state_label: str, receiver: str, days: int) -> dict[str, Any]:
    """One line of a digest, as ``workflows.digest.digest_context`` writes it."""
    return {
        "reference": f"OR-2026-{number:06d}",
        "case_label": "orientation",
        "state_label": state_label,
        "subject_line": f"« Atelier CV et entretien », de Mission locale de Paris à {receiver}",
        "path": f"/referrals/{number}",
        "days_overdue": days,
    }


# Handovers, committee decisions, action items and governance: one context each.
LATER_MESSAGES: dict[str, dict[str, Any]] = {
        "handover.proposed": {**HANDOVER, "state": "proposed", "state_label": "proposé"},
        "handover.accepted": {**HANDOVER, "first_meeting_at": "2026-03-05T13:00:00+00:00"},
        "handover.declined": {**HANDOVER, "state": "declined", "state_label": "refusé"},
        "handover.withdrawn": {**HANDOVER, "state": "withdrawn", "state_label": "retiré"},
        "handover.completed": {**HANDOVER, "state": "completed", "state_label": "effectué"},
        "decision.proposed": DECISION,
        "decision.scheduled": {**DECISION, "state": "scheduled",
                               "state_label": "inscrite à l'ordre du jour",
                               "meeting_at": "2026-03-19T13:30:00+00:00"},
        "decision.decided": {**DECISION, "state": "approved", "state_label": "adoptée"},
        "decision.adjourned": {**DECISION, "state": "adjourned", "state_label": "ajournée"},
        "decision.published": {**DECISION, "state": "published", "state_label": "publiée"},
        "action.assigned": ACTION,
        "governance.pilotage": {"since": "2025-03-10", "last_meeting_on": "2025-02-27"},
}  # fmt: skip


# Snapshot name -> (message, context). A name is the message key, or key--variant.
AGE_LIMIT = {
    # What the sweep stores for an accompaniment's milestone: its description, as for a
    # reminder; never the person's birth date.
    "reference": "AP-2026-000012",
    "organisation": "Mission locale de Paris",
    "state": "active",
    "state_label": "en cours",
    "subject_line": "référent : Mission locale de Paris",
    "path": "/accompaniments/12",
    "case_label": "accompagnement",
    "expected_action": "faire le point d'étape de l'accompagnement, ou y mettre fin",
    "waiting_organisation": "Mission locale de Paris",
    "state_entered_at": "2026-03-02T08:00:00+00:00",
    "escalation_at": "2026-07-24T08:00:00+00:00",
}

PROJECT_GROUP = {
    "case_label": "groupe projet",
    "reference": "Groupe projet numérique",
    "subject_line": "pilote : EPI Paris Centre",
    "path": "/committees/4",
    "expected_action": "inscrire au comité une décision « Clôture du groupe projet » et la "
    "faire adopter",
    "waiting_organisation": "EPI Paris Centre",
    "state_entered_at": "2026-06-29T22:00:00+00:00",
    "escalation_at": "2026-07-14T22:00:00+00:00",
    "unreachable": None,
}

CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "referral.submitted": ("referral.submitted", REFERRAL),
    # To an offer's contact address that has no account: the invitation to join.
    "referral.submitted--invitation": (
        "referral.submitted",
        {**REFERRAL, "invitation_path": "/invitations/jeton-de-test-aleatoire",
         "invitation_expires_at": "2026-03-12T08:00:00+00:00"},
    ),
    # Sent back after a return or an expiry: the same referral, completed, not a new one.
    "referral.resubmitted": ("referral.resubmitted", REFERRAL),
    "referral.resubmitted--invitation": (
        "referral.resubmitted",
        {**REFERRAL, "invitation_path": "/invitations/jeton-de-test-aleatoire",
         "invitation_expires_at": "2026-03-12T08:00:00+00:00"},
    ),
    "referral.accepted": (
        "referral.accepted",
        {**REFERRAL, "state": "accepted", "state_label": "acceptée",
         "first_appointment_at": "2026-03-05T09:30:00+00:00"},
    ),
    "referral.accepted--without-appointment": (
        "referral.accepted",
        {**REFERRAL, "state": "accepted", "state_label": "acceptée"},
    ),
    "referral.returned": (
        "referral.returned",
        {**REFERRAL, "state": "returned", "state_label": "retournée",
         "return_reason_label": "informations manquantes", "return_comment_given": True},
    ),
    "referral.completed": (
        "referral.completed",
        {**REFERRAL, "state": "completed", "state_label": "terminée",
         "outcome_label": "entrée en formation"},
    ),
    "referral.expired": (
        "referral.expired",
        {**REFERRAL, "state": "expired", "state_label": "expirée"},
    ),
    "referral.cancelled": (
        "referral.cancelled",
        {**REFERRAL, "state": "cancelled", "state_label": "annulée"},
    ),
    "reminder": ("reminder", WAITING),
    "escalation": ("escalation", {**WAITING, "unreachable": None}),
    # A reminder that had nobody to reach: the coordinators are alerted at once, and why.
    "escalation--unreachable": (
        "escalation",
        {**WAITING, "escalation_at": None,
         "unreachable": "ni compte actif ni adresse de contact chez EPI Paris Centre"},
    ),
    "digest": (
        "digest",
        {
            "day": "2026-03-10",
            "total": 3,
            "scope_label": " (Paris 11e)",
            "groups": [
                {
                    "organisation": "EPI Paris Centre",
                    "count": 2,
                    "cases": [
                        digest_case(7, "transmise", "EPI Paris Centre", 4),
                        digest_case(9, "acceptée", "EPI Paris Centre", 1),
                    ],
                },
                {
                    "organisation": "Mission locale de Paris",
                    "count": 1,
                    "cases": [digest_case(8, "retournée", "Cap emploi Paris", 2)],
                },
            ],
        },
    ),
    "digest--one-case": (
        "digest",
        {
            "day": "2026-03-10",
            "total": 1,
            "scope_label": " pour votre organisation",
            "groups": [
                {
                    "organisation": "EPI Paris Centre",
                    "count": 1,
                    "cases": [digest_case(7, "transmise", "EPI Paris Centre", 1)],
                }
            ],
        },
    ),
    **{name: (name, context) for name, context in LATER_MESSAGES.items()},
    "governance.technique": (
        "governance.technique",
        {"year": 2026, "required": 3, "counted": 1, "months_left": 1},
    ),
    "governance.technique--none": (
        "governance.technique",
        {"year": 2026, "required": 3, "counted": 0, "months_left": 2},
    ),
    # Issue 16: a project group past its end date, as workflows.project_groups stores it.
    "reminder--project-group": ("reminder", PROJECT_GROUP),
    "escalation--project-group": ("escalation", PROJECT_GROUP),
    "governance.pilotage--never": (
        "governance.pilotage", {"since": "2025-03-10", "last_meeting_on": None}
    ),
    # "Mot de passe oublié": the link and its end, nothing else about the person.
    "account.reset": (
        "account.reset",
        {"reset_path": "/reset-password?token=jeton-de-test-aleatoire",
         "expires_at": "2026-03-02T09:00:00+00:00"},
    ),
    # Issue 14: a co-accompanying organisation added, and the Mission locale's age limit.
    "accompaniment.partner_added": (
        "accompaniment.partner_added",
        {"reference": "AP-2026-000012", "organisation": "EPI Paris Centre",
         "partner_organisation": "CAF de Paris", "path": "/accompaniments/12"},
    ),
    "accompaniment.turning_26": ("accompaniment.turning_26", AGE_LIMIT),
    "accompaniment.turned_26": ("accompaniment.turned_26", {**AGE_LIMIT, "unreachable": None}),
}  # fmt: skip


def snapshot_of(message: str, context: dict[str, Any]) -> str:
    """The snapshot text: subject, then the text body, then the HTML body."""
    email = render(message, context, BASE_URL)
    return email.subject + TEXT_SEPARATOR + email.text + HTML_SEPARATOR + email.html


def test_every_message_of_the_catalog_has_a_snapshot() -> None:
    assert {message for message, _ in CASES.values()} == set(MESSAGES)
    assert set(CASES) >= set(MESSAGES)  # each message has a case named after it


def test_no_snapshot_file_is_left_without_its_case() -> None:
    assert sorted(path.stem for path in SNAPSHOTS.glob("*.txt")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_rendered_french_matches_the_snapshot(name: str) -> None:
    message, context = CASES[name]
    rendered = snapshot_of(message, context)
    path = SNAPSHOTS / f"{name}.txt"
    if not path.exists():
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
        pytest.fail(f"snapshot {path.name} was missing: written, read it and run again")
    if os.environ.get("RELAIS_UPDATE_SNAPSHOTS") == "1":
        path.write_text(rendered, encoding="utf-8")
        return
    assert rendered == path.read_text(encoding="utf-8"), (
        f"{name} differs from {path}; if the change is deliberate, rerun with "
        "RELAIS_UPDATE_SNAPSHOTS=1 and review the diff"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2026, 3, 1), "dimanche 1er mars 2026"),
        (date(2026, 3, 2), "lundi 2 mars 2026"),
        ("2026-08-15", "samedi 15 août 2026"),
        (datetime(2026, 12, 31, 12, 0), "jeudi 31 décembre 2026"),  # naive: taken as it is
        # 23:30 UTC on 31 March is 01:30 on 1 April in Paris (summer time, UTC+2).
        (datetime(2026, 3, 31, 23, 30, tzinfo=UTC), "mercredi 1er avril 2026"),
        ("2026-03-31T23:30:00+00:00", "mercredi 1er avril 2026"),
        # 23:30 UTC on 1 February is 00:30 on 2 February in Paris (winter time, UTC+1).
        (datetime(2026, 2, 1, 23, 30, tzinfo=UTC), "lundi 2 février 2026"),
    ],
)
def test_french_date(value: str | date | datetime, expected: str) -> None:
    assert french_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2026, 1, 1, 8, 5, tzinfo=UTC), "jeudi 1er janvier 2026 à 9 h 05"),
        ("2026-03-02T08:00:00+00:00", "lundi 2 mars 2026 à 9 h"),
        # Summer time starts on Sunday 29 March 2026 at 02:00 (01:00 UTC).
        ("2026-03-29T00:30:00+00:00", "dimanche 29 mars 2026 à 1 h 30"),
        ("2026-03-29T01:30:00+00:00", "dimanche 29 mars 2026 à 3 h 30"),
        # It ends on Sunday 25 October 2026: 02:00 to 02:59 happens twice.
        (datetime(2026, 10, 25, 0, 15, tzinfo=UTC), "dimanche 25 octobre 2026 à 2 h 15"),
        (datetime(2026, 10, 25, 1, 15, tzinfo=UTC), "dimanche 25 octobre 2026 à 2 h 15"),
        # An offset other than Paris's is converted, not copied.
        ("2026-07-14T09:45:00-04:00", "mardi 14 juillet 2026 à 15 h 45"),
        (datetime(2026, 5, 31, 22, 0, tzinfo=UTC), "lundi 1er juin 2026 à 0 h"),
    ],
)
def test_french_datetime(value: str | datetime, expected: str) -> None:
    assert french_datetime(value) == expected


def test_templates_reach_the_filters_by_name() -> None:
    template = environment().from_string("{{ d | date_fr }} / {{ t | datetime_fr }}")
    rendered = template.render(d="2026-05-01", t="2026-05-01T06:00:00+00:00")
    assert rendered == "vendredi 1er mai 2026 / vendredi 1er mai 2026 à 8 h"


@pytest.mark.parametrize("missing", ["offer_title", "reference", "sender_organisation"])
def test_a_missing_variable_is_an_error_not_a_blank(missing: str) -> None:
    context = {key: value for key, value in REFERRAL.items() if key != missing}
    with pytest.raises(UndefinedError, match=missing):
        render("referral.submitted", context, BASE_URL)


def test_a_missing_variable_of_a_digest_line_is_an_error() -> None:
    _, digest = CASES["digest--one-case"]
    line = {k: v for k, v in digest["groups"][0]["cases"][0].items() if k != "days_overdue"}
    broken = {**digest, "groups": [{**digest["groups"][0], "cases": [line]}]}
    with pytest.raises(UndefinedError, match="days_overdue"):
        render("digest", broken, BASE_URL)


def test_html_is_escaped_and_text_is_not() -> None:
    name = "<b>A&B</b>"
    context = {**REFERRAL, "receiver_organisation": name, "offer_title": 'Atelier "CV" & co'}
    email = render("referral.accepted", context, BASE_URL)

    assert "&lt;b&gt;A&amp;B&lt;/b&gt; a accepté" in email.html
    assert name not in email.html
    assert "« Atelier &#34;CV&#34; &amp; co »" in email.html
    assert f"{name} a accepté" in email.text
    assert '« Atelier "CV" & co »' in email.text
    assert "&lt;" not in email.text and "&amp;" not in email.text
    # The subject is a plain-text header: escaping it would show "&lt;b&gt;" to the reader.
    assert email.subject == "Orientation OR-2026-000123 acceptée par <b>A&B</b>"


def test_links_are_absolute_whatever_the_base_url_ends_with() -> None:
    for base_url in ("https://relais.paris.example", "https://relais.paris.example/"):
        email = render("referral.submitted", REFERRAL, base_url)
        assert "https://relais.paris.example/referrals/123\n" in email.text
        assert 'href="https://relais.paris.example/referrals/123"' in email.html
        assert "example//" not in email.text + email.html
