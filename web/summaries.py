"""One line describing a case in a list, for each lifecycle (its views load what it needs)."""

from __future__ import annotations

from typing import Any

from core.models import Accompaniment, ActionItem, Decision, Handover, Referral
from services.redaction import original

HIDDEN_PERSON = "Personne du dossier (identité sur sa page)"
"""What a supervisor's list says instead of the person (``services.redaction.listed``)."""


def person_name(person: Any) -> str:
    """« Prénom NOM », a neutral word once the person has been anonymised, or (in a
    coordinator's list) a word saying where to read who it is."""
    if person is None:
        return HIDDEN_PERSON
    if person.anonymised_at is not None:
        return "Personne anonymisée"
    return f"{person.first_name} {person.last_name.upper()}"


def case_summary(case: Any) -> str:
    """What a list shows of ``case``: who, and what for."""
    row = original(case)
    if isinstance(row, Referral):
        return (
            f"{person_name(case.person)} — {case.offer.title} "
            f"({case.sender_organisation.name} → {case.receiver_organisation.name})"
        )
    if isinstance(row, Handover):
        return (
            f"{person_name(case.person)} — de {case.from_organisation.name} "
            f"à {case.to_organisation.name}"
        )
    if isinstance(row, Accompaniment):
        return f"{person_name(case.person)} — accompagnement par {case.organisation.name}"
    if isinstance(row, Decision | ActionItem):
        return str(case.title)
    raise TypeError(f"no summary for {type(case).__name__}")
