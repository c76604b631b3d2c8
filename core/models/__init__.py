"""The relais tables, imported together so that the metadata is complete."""

from core.db import Base
from core.models.access import LoginThrottle
from core.models.access_log import AccessLogEntry
from core.models.accompaniments import Accompaniment, AccompanimentPartner, Handover
from core.models.action_plans import ActionPlan, ActionPlanItem
from core.models.audit import AuditEntry, MeetingAmendment
from core.models.committees import ActionItem, Committee, CommitteeMember, Decision, Meeting
from core.models.directory import Offer, Organisation, PasswordResetToken, User
from core.models.invitations import Invitation
from core.models.person_events import PersonEvent
from core.models.plan import OfferSubAxis, PlanAxisRow, PlanSubAxisRow
from core.models.referrals import Person, Referral
from core.models.trail import CaseText, Event, OutboxMessage, ReferenceSequence, Timer

__all__ = [
    "AccessLogEntry",
    "Accompaniment",
    "AccompanimentPartner",
    "ActionItem",
    "ActionPlan",
    "ActionPlanItem",
    "AuditEntry",
    "Base",
    "CaseText",
    "Committee",
    "CommitteeMember",
    "Decision",
    "Event",
    "Handover",
    "Invitation",
    "LoginThrottle",
    "Meeting",
    "MeetingAmendment",
    "Offer",
    "OfferSubAxis",
    "Organisation",
    "OutboxMessage",
    "PasswordResetToken",
    "Person",
    "PersonEvent",
    "PlanAxisRow",
    "PlanSubAxisRow",
    "ReferenceSequence",
    "Referral",
    "Timer",
    "User",
]
