"""The catalog of notifications: every message relais sends, and which event sends it to whom.

A message is a key (``referral.accepted``), a subject and two templates
(``templates/<key>.txt`` and ``templates/<key>.html``). A rule says which lifecycle trigger
sends which message to which audience (a side of the case, or the coordinators).
Messages never name the person: only references, offers, organisations, dates and links.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    """One kind of email: its key and its subject (a Jinja template on the same context)."""

    key: str
    subject: str


@dataclass(frozen=True)
class Rule:
    """``lifecycle`` going through ``trigger`` sends ``message`` to ``audience``."""

    lifecycle: str
    trigger: str
    audience: str
    message: str


MESSAGES: dict[str, Message] = {
    message.key: message
    for message in (
        Message(
            "referral.submitted",
            "Orientation {{ reference }} reçue pour « {{ offer_title }} »",
        ),
        Message(
            "referral.accepted",
            "Orientation {{ reference }} acceptée par {{ receiver_organisation }}",
        ),
        Message(
            "referral.returned",
            "Orientation {{ reference }} retournée par {{ receiver_organisation }}",
        ),
        Message("referral.completed", "Orientation {{ reference }} terminée"),
        Message("referral.expired", "Orientation {{ reference }} sans réponse dans le délai"),
        Message(
            "referral.cancelled",
            "Orientation {{ reference }} annulée par {{ sender_organisation }}",
        ),
        Message("reminder", "Rappel : {{ case_label }} {{ reference }} en attente de votre action"),
        Message(
            "escalation",
            "En retard : {{ case_label }} {{ reference }} ({{ waiting_organisation }})",
        ),
        Message(
            "handover.proposed",
            "Passage de relais {{ reference }} proposé par {{ from_organisation }}",
        ),
        Message(
            "handover.accepted",
            "Passage de relais {{ reference }} accepté par {{ to_organisation }}",
        ),
        Message(
            "handover.declined",
            "Passage de relais {{ reference }} refusé par {{ to_organisation }}",
        ),
        Message(
            "handover.withdrawn",
            "Passage de relais {{ reference }} retiré par {{ from_organisation }}",
        ),
        Message("handover.completed", "Passage de relais {{ reference }} effectué"),
        Message(
            "decision.proposed",
            "Nouvelle proposition {{ reference }} pour le {{ committee }}",
        ),
        Message(
            "decision.scheduled",
            "Proposition {{ reference }} inscrite à l'ordre du jour du {{ committee }}",
        ),
        Message("decision.decided", "Proposition {{ reference }} {{ state_label }}"),
        Message("decision.adjourned", "Proposition {{ reference }} ajournée"),
        Message("decision.published", "Décision {{ reference }} publiée"),
        Message(
            "action.assigned",
            "Action {{ reference }} confiée à {{ owner_organisation }}",
        ),
        Message(
            "governance.pilotage",
            "Gouvernance du plan : aucun comité de pilotage depuis douze mois",
        ),
        Message(
            "digest",
            "relais : {{ total }} dossier{{ 's' if total > 1 else '' }} en retard le "
            "{{ day | date_fr }}",
        ),
    )
}

RULES: tuple[Rule, ...] = (
    Rule("referral", "submit", "receiver", "referral.submitted"),
    Rule("referral", "resubmit", "receiver", "referral.submitted"),
    Rule("referral", "reassign", "receiver", "referral.submitted"),
    Rule("referral", "accept", "referrer", "referral.accepted"),
    Rule("referral", "return", "referrer", "referral.returned"),
    Rule("referral", "complete", "referrer", "referral.completed"),
    Rule("referral", "expire", "referrer", "referral.expired"),
    Rule("referral", "cancel", "receiver", "referral.cancelled"),
    Rule("handover", "propose", "successor", "handover.proposed"),
    Rule("handover", "accept", "referent", "handover.accepted"),
    Rule("handover", "decline", "referent", "handover.declined"),
    Rule("handover", "withdraw", "successor", "handover.withdrawn"),
    Rule("handover", "confirm", "referent", "handover.completed"),
    Rule("decision", "propose", "secretariat", "decision.proposed"),
    Rule("decision", "schedule", "proposer", "decision.scheduled"),
    Rule("decision", "approve", "proposer", "decision.decided"),
    Rule("decision", "reject", "proposer", "decision.decided"),
    Rule("decision", "adjourn", "proposer", "decision.adjourned"),
    Rule("decision", "publish", "proposer", "decision.published"),
    Rule("action", "assign", "owner", "action.assigned"),
)


def for_transition(lifecycle: str, trigger: str) -> tuple[Rule, ...]:
    """The rules that ``lifecycle`` going through ``trigger`` sets off."""
    return tuple(rule for rule in RULES if rule.lifecycle == lifecycle and rule.trigger == trigger)
