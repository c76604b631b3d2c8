"""One line describing a case in a list, for each lifecycle (its views load what it needs)."""

from __future__ import annotations

from typing import Any

from core.models import Accompaniment, ActionItem, Decision, Handover, Referral


def person_name(person: Any) -> str:
    """« Prénom NOM », or a neutral word once the person has been anonymised."""
    if person.anonymised_at is not None:
        return "Personne anonymisée"
    return f"{person.first_name} {person.last_name.upper()}"


def case_summary(case: Any) -> str:
    """What a list shows of ``case``: who, and what for."""
    if isinstance(case, Referral):
        return (
            f"{person_name(case.person)} — {case.offer.title} "
            f"({case.sender_organisation.name} → {case.receiver_organisation.name})"
        )
    if isinstance(case, Handover):
        return (
            f"{person_name(case.person)} — de {case.from_organisation.name} "
            f"à {case.to_organisation.name}"
        )
    if isinstance(case, Accompaniment):
        return f"{person_name(case.person)} — accompagnement par {case.organisation.name}"
    if isinstance(case, Decision | ActionItem):
        return str(case.title)
    raise TypeError(f"no summary for {type(case).__name__}")
