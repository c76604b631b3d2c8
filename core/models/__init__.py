"""The relais tables, imported together so that the metadata is complete."""

from core.db import Base
from core.models.directory import Offer, Organisation, User
from core.models.referrals import Person, Referral
from core.models.trail import Event, OutboxMessage, ReferenceSequence, Timer

__all__ = [
    "Base",
    "Event",
    "Offer",
    "Organisation",
    "OutboxMessage",
    "Person",
    "ReferenceSequence",
    "Referral",
    "Timer",
    "User",
]
