"""The catalog of notifications: which event tells whom, with which message."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Notification:
    """One message the catalog knows: sent when ``lifecycle`` goes through ``trigger``."""

    message: str
    lifecycle: str
    trigger: str
    audience: str
    subject: str


CATALOG: tuple[Notification, ...] = (
    Notification(
        "referral.submitted",
        "referral",
        "submit",
        "receiver",
        "Nouvelle orientation {reference} vers « {offer_title} »",
    ),
    Notification(
        "referral.submitted",
        "referral",
        "resubmit",
        "receiver",
        "Orientation {reference} à nouveau transmise vers « {offer_title} »",
    ),
    Notification(
        "referral.submitted",
        "referral",
        "reassign",
        "receiver",
        "Orientation {reference} réorientée vers « {offer_title} »",
    ),
    Notification(
        "referral.accepted",
        "referral",
        "accept",
        "referrer",
        "Orientation {reference} acceptée par {receiver_organisation}",
    ),
    Notification(
        "referral.returned",
        "referral",
        "return",
        "referrer",
        "Orientation {reference} retournée par {receiver_organisation}",
    ),
    Notification(
        "referral.completed",
        "referral",
        "complete",
        "referrer",
        "Orientation {reference} terminée",
    ),
    Notification(
        "referral.expired",
        "referral",
        "expire",
        "referrer",
        "Orientation {reference} sans réponse : délai dépassé",
    ),
    Notification(
        "referral.cancelled",
        "referral",
        "cancel",
        "receiver",
        "Orientation {reference} annulée par {sender_organisation}",
    ),
)


def for_transition(lifecycle: str, trigger: str) -> tuple[Notification, ...]:
    """The notifications that ``lifecycle`` going through ``trigger`` calls for."""
    return tuple(
        item for item in CATALOG if item.lifecycle == lifecycle and item.trigger == trigger
    )
