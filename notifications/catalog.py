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
)


def for_transition(lifecycle: str, trigger: str) -> tuple[Rule, ...]:
    """The rules that ``lifecycle`` going through ``trigger`` sets off."""
    return tuple(rule for rule in RULES if rule.lifecycle == lifecycle and rule.trigger == trigger)
