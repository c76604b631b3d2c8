"""The catalog of notifications: the subject and templates of every message relais sends.

A message is a key (``MessageKey.REFERRAL_ACCEPTED``, ``referral.accepted``), a subject and
two templates (``templates/<key>.txt`` and ``templates/<key>.html``). Which transition sends
which message to whom is said by the lifecycle declarations (``states/``), as ``Notice``s.
Messages never name the person: only references, offers, organisations, dates and links.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.enums import MessageKey


@dataclass(frozen=True)
class Message:
    """One kind of email: its key and its subject (a Jinja template on the same context)."""

    key: MessageKey
    subject: str


MESSAGES: dict[str, Message] = {
    message.key: message
    for message in (
        Message(
            MessageKey.REFERRAL_SUBMITTED,
            "Orientation {{ reference }} reçue pour « {{ offer_title }} »",
        ),
        Message(
            MessageKey.REFERRAL_RESUBMITTED,
            "Orientation {{ reference }} renvoyée avec compléments pour « {{ offer_title }} »",
        ),
        Message(
            MessageKey.REFERRAL_ACCEPTED,
            "Orientation {{ reference }} acceptée par {{ receiver_organisation }}",
        ),
        Message(
            MessageKey.REFERRAL_RETURNED,
            "Orientation {{ reference }} retournée par {{ receiver_organisation }}",
        ),
        Message(MessageKey.REFERRAL_COMPLETED, "Orientation {{ reference }} terminée"),
        Message(
            MessageKey.REFERRAL_EXPIRED, "Orientation {{ reference }} sans réponse dans le délai"
        ),
        Message(
            MessageKey.REFERRAL_CANCELLED,
            "Orientation {{ reference }} annulée par {{ sender_organisation }}",
        ),
        Message(
            MessageKey.REMINDER,
            "Rappel : {{ case_label }} {{ reference }} en attente de votre action",
        ),
        Message(
            MessageKey.ESCALATION,
            "En retard : {{ case_label }} {{ reference }} ({{ waiting_organisation }})",
        ),
        Message(
            MessageKey.HANDOVER_PROPOSED,
            "Passage de relais {{ reference }} proposé par {{ from_organisation }}",
        ),
        Message(
            MessageKey.HANDOVER_ACCEPTED,
            "Passage de relais {{ reference }} accepté par {{ to_organisation }}",
        ),
        Message(
            MessageKey.HANDOVER_DECLINED,
            "Passage de relais {{ reference }} refusé par {{ to_organisation }}",
        ),
        Message(
            MessageKey.HANDOVER_WITHDRAWN,
            "Passage de relais {{ reference }} retiré par {{ from_organisation }}",
        ),
        Message(MessageKey.HANDOVER_COMPLETED, "Passage de relais {{ reference }} effectué"),
        Message(
            MessageKey.DECISION_PROPOSED,
            "Nouvelle proposition {{ reference }} pour le {{ committee }}",
        ),
        Message(
            MessageKey.DECISION_SCHEDULED,
            "Proposition {{ reference }} inscrite à l'ordre du jour du {{ committee }}",
        ),
        Message(MessageKey.DECISION_DECIDED, "Proposition {{ reference }} {{ state_label }}"),
        Message(MessageKey.DECISION_ADJOURNED, "Proposition {{ reference }} ajournée"),
        Message(MessageKey.DECISION_PUBLISHED, "Décision {{ reference }} publiée"),
        Message(
            MessageKey.ACTION_ASSIGNED,
            "Action {{ reference }} confiée à {{ owner_organisation }}",
        ),
        Message(
            MessageKey.GOVERNANCE_PILOTAGE,
            "Gouvernance du plan : aucun comité de pilotage depuis douze mois",
        ),
        Message(
            MessageKey.GOVERNANCE_TECHNIQUE,
            "Gouvernance du plan : le minimum de réunions du comité technique en {{ year }} "
            "est hors d'atteinte",
        ),
        Message(
            MessageKey.DIGEST,
            "relais : {{ total }} dossier{{ 's' if total > 1 else '' }} en retard le "
            "{{ day | date_fr }}",
        ),
        Message(MessageKey.ACCOUNT_RESET, "relais : choisir un nouveau mot de passe"),
        Message(
            MessageKey.ACCOMPANIMENT_PARTNER_ADDED,
            "Accompagnement {{ reference }} : {{ organisation }} vous associe au suivi",
        ),
        Message(
            MessageKey.ACCOMPANIMENT_TURNING_26,
            "Accompagnement {{ reference }} : 26 ans dans moins de trois mois",
        ),
        Message(
            MessageKey.ACCOMPANIMENT_TURNED_26,
            "Accompagnement {{ reference }} : 26 ans sans passage de relais ({{ organisation }})",
        ),
    )
}


TEMPLATES = Path(__file__).parent / "templates"


def _check_catalog() -> None:
    """Every message key has a subject and both templates: a gap fails at import, not at 8:00."""
    missing: list[str] = [key for key in MessageKey if key not in MESSAGES]
    missing += [
        f"{key}.{suffix}"
        for key in MessageKey
        for suffix in ("txt", "html")
        if not (TEMPLATES / f"{key}.{suffix}").is_file()
    ]
    if missing:
        raise RuntimeError(f"notifications catalog incomplete: {missing}")


_check_catalog()
