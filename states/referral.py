"""The referral (orientation) lifecycle, declared as data: DESIGN.md's table, exactly."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, EmailStr, Field
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import get_kept
from core.enums import (
    AccompanimentSource,
    Barrier,
    Outcome,
    ReturnReason,
    Role,
    Situation,
    TimerKind,
)
from core.errors import InvalidInput
from core.models import Offer, Organisation, Referral, User
from states.accompaniments import begin_accompaniment
from states.fields import Comment, LongText, Moment, OfferId, Payload, Phone, ShortText
from states.lifecycle import (
    COORDINATORS,
    SYSTEM,
    Lifecycle,
    Recipient,
    TimerSpec,
    TransitionSpec,
    Waiting,
)
from states.recipients import (
    ORGANISATION_STAFF,
    coordinator_recipients,
    organisation_recipients,
)

REFERRER = "referrer"
RECEIVER = "receiver"


class SubmitFields(Payload):
    """``submit``: the consent was attested when the referral was written."""


class AcceptFields(Payload):
    """``accept``: optionally the date of the first appointment with the person."""

    first_appointment_at: Moment | None = None


class ReturnFields(Payload):
    """``return``: why the referral goes back to its referrer."""

    reason: ReturnReason
    comment: Comment


class ResubmitFields(Payload):
    """``resubmit``: the referrer may amend the request before sending it again."""

    motive: LongText | None = None
    situation: Situation | None = None
    barriers: list[Barrier] | None = Field(default=None, max_length=len(Barrier))


class StartFields(Payload):
    """``start``: the accompaniment begins."""


class CompleteFields(Payload):
    """``complete``: how it ended."""

    outcome: Outcome
    comment: Comment | None = None


class CancelFields(Payload):
    """``cancel``: why the referrer withdraws the request."""

    reason: Comment


class CloseFields(Payload):
    """``close``: the referrer (or a coordinator) gives up on a returned or expired request."""

    comment: Comment | None = None


class ReassignFields(Payload):
    """``reassign``: a coordinator redirects the request to another offer."""

    offer_id: OfferId
    comment: Comment | None = None


class ExpireFields(Payload):
    """``expire``: fired by relais when nobody answered in time."""


class PersonFields(Payload):
    """What the receiving partner needs to contact the person, and no more."""

    first_name: ShortText
    last_name: ShortText
    birth_date: date | None = None
    email: EmailStr | None = None
    phone: Phone | None = None


class ReferralCreate(Payload):
    """A new referral; ``submit`` (the default) sends it at once."""

    offer_id: OfferId
    person: PersonFields
    motive: LongText
    situation: Situation | None = None
    barriers: list[Barrier] = Field(default_factory=list, max_length=len(Barrier))
    consent: bool = Field(
        description="The referrer attests the person was informed and agreed to the sharing."
    )
    submit: bool = True


async def _amend(session: AsyncSession, referral: Any, fields: BaseModel, now: datetime) -> None:
    assert isinstance(fields, ResubmitFields)
    if fields.motive is not None:
        referral.motive = fields.motive
    if fields.situation is not None:
        referral.situation = fields.situation
    if fields.barriers is not None:
        referral.barriers = sorted(set(fields.barriers))


async def _accept(session: AsyncSession, referral: Any, fields: BaseModel, now: datetime) -> None:
    assert isinstance(fields, AcceptFields)
    referral.first_appointment_at = fields.first_appointment_at


async def _start(session: AsyncSession, referral: Any, fields: BaseModel, now: datetime) -> None:
    """A referral to an accompaniment offer makes its organisation the person's référent."""
    offer = await get_kept(session, Offer, referral.offer_id)
    if offer.is_accompaniment:
        await begin_accompaniment(
            session,
            referral.person_id,
            referral.receiver_organisation_id,
            AccompanimentSource.REFERRAL,
            referral.id,
            now,
        )


async def _return(session: AsyncSession, referral: Any, fields: BaseModel, now: datetime) -> None:
    assert isinstance(fields, ReturnFields)
    referral.return_reason = fields.reason
    referral.return_comment = fields.comment


async def _complete(session: AsyncSession, referral: Any, fields: BaseModel, now: datetime) -> None:
    assert isinstance(fields, CompleteFields)
    referral.outcome = fields.outcome


async def _cancel(session: AsyncSession, referral: Any, fields: BaseModel, now: datetime) -> None:
    assert isinstance(fields, CancelFields)
    referral.cancel_reason = fields.reason


async def _reassign(session: AsyncSession, referral: Any, fields: BaseModel, now: datetime) -> None:
    assert isinstance(fields, ReassignFields)
    offer = await session.get(Offer, fields.offer_id)
    if offer is None or not offer.is_active:
        raise InvalidInput(
            f"L'offre {fields.offer_id} n'existe pas ou n'est plus ouverte.", field="offer_id"
        )
    if offer.id == referral.offer_id:
        raise InvalidInput("Choisissez une autre offre que l'offre actuelle.", field="offer_id")
    referral.offer_id = offer.id
    referral.receiver_organisation_id = offer.organisation_id
    referral.territory = offer.territory


async def _offer_deadlines(
    session: AsyncSession, referral: Any
) -> Mapping[tuple[str, TimerKind], int]:
    offer = await get_kept(session, Offer, referral.offer_id)
    overrides = {
        ("submitted", TimerKind.REMINDER): offer.reminder_days,
        ("submitted", TimerKind.ESCALATION): offer.escalation_days,
        ("submitted", TimerKind.TRIGGER): offer.expiry_days,
    }
    return {key: days for key, days in overrides.items() if days is not None}


async def _recipients(session: AsyncSession, referral: Any, audience: str) -> list[Recipient]:
    if audience == RECEIVER:
        offer = await get_kept(session, Offer, referral.offer_id)
        if offer.contact_email:
            return [(offer.contact_email, None)]
        return await organisation_recipients(
            session, referral.receiver_organisation_id, ORGANISATION_STAFF
        )
    if audience == REFERRER:
        author = await get_kept(session, User, referral.created_by_id)
        if author.is_active and author.organisation_id == referral.sender_organisation_id:
            return [(author.email, author.id)]
        return await organisation_recipients(
            session, referral.sender_organisation_id, frozenset({Role.ORG_ADMIN})
        )
    if audience == COORDINATORS:
        return await coordinator_recipients(session, referral.territory)
    raise ValueError(f"unknown audience {audience}")


async def _describe(session: AsyncSession, referral: Any) -> dict[str, Any]:
    offer = await get_kept(session, Offer, referral.offer_id)
    sender = await get_kept(session, Organisation, referral.sender_organisation_id)
    receiver = await get_kept(session, Organisation, referral.receiver_organisation_id)
    return {
        "reference": referral.reference,
        "offer_title": offer.title,
        "sender_organisation": sender.name,
        "receiver_organisation": receiver.name,
        "state": referral.state,
        "state_label": STATE_LABELS[referral.state],
        "subject_line": f"« {offer.title} », de {sender.name} à {receiver.name}",
        "path": f"/referrals/{referral.id}",
        "first_appointment_at": (
            referral.first_appointment_at.isoformat() if referral.first_appointment_at else None
        ),
        "return_reason_label": (
            RETURN_REASON_LABELS[referral.return_reason] if referral.return_reason else None
        ),
        "outcome_label": OUTCOME_LABELS[referral.outcome] if referral.outcome else None,
    }


RETURN_REASON_LABELS = {
    ReturnReason.MISSING_INFORMATION: "informations manquantes",
    ReturnReason.NOT_ELIGIBLE: "la personne n'est pas éligible à l'offre",
    ReturnReason.NO_CAPACITY: "plus de place disponible",
    ReturnReason.WRONG_OFFER: "l'offre ne correspond pas au besoin",
    ReturnReason.PERSON_UNREACHABLE: "la personne n'a pas pu être jointe",
    ReturnReason.PERSON_DECLINED: "la personne a renoncé",
    ReturnReason.DUPLICATE: "orientation en double",
    ReturnReason.OTHER: "autre (voir le dossier)",
}

OUTCOME_LABELS = {
    Outcome.EMPLOYMENT: "accès à l'emploi",
    Outcome.TRAINING: "entrée en formation",
    Outcome.OTHER_OFFER: "orientation vers une autre offre",
    Outcome.PERSON_LEFT: "la personne a quitté l'accompagnement",
    Outcome.DID_NOT_ATTEND: "la personne ne s'est pas présentée",
    Outcome.OTHER: "autre (voir le dossier)",
}


STATE_LABELS = {
    "draft": "brouillon",
    "submitted": "transmise",
    "accepted": "acceptée",
    "returned": "retournée",
    "in_progress": "en cours",
    "completed": "terminée",
    "cancelled": "annulée",
    "closed": "clôturée",
    "expired": "expirée",
}

REFERRER_SIDE = frozenset({REFERRER})
RECEIVER_SIDE = frozenset({RECEIVER})

REFERRAL = Lifecycle(
    name="referral",
    reference_prefix="OR",
    model=Referral,
    states=tuple(STATE_LABELS),
    initial="draft",
    transitions=(
        TransitionSpec("submit", ("draft",), "submitted", REFERRER_SIDE, SubmitFields),
        TransitionSpec("accept", ("submitted",), "accepted", RECEIVER_SIDE, AcceptFields, _accept),
        TransitionSpec("return", ("submitted",), "returned", RECEIVER_SIDE, ReturnFields, _return),
        TransitionSpec(
            "resubmit", ("returned", "expired"), "submitted", REFERRER_SIDE, ResubmitFields, _amend
        ),
        TransitionSpec("start", ("accepted",), "in_progress", RECEIVER_SIDE, StartFields, _start),
        TransitionSpec(
            "complete",
            ("in_progress", "accepted"),
            "completed",
            RECEIVER_SIDE,
            CompleteFields,
            _complete,
        ),
        TransitionSpec(
            "cancel",
            ("draft", "submitted", "returned", "accepted"),
            "cancelled",
            REFERRER_SIDE,
            CancelFields,
            _cancel,
        ),
        TransitionSpec(
            "close",
            ("returned", "expired"),
            "closed",
            frozenset({REFERRER, COORDINATORS}),
            CloseFields,
        ),
        TransitionSpec(
            "reassign",
            ("submitted", "returned", "expired"),
            "submitted",
            frozenset({COORDINATORS}),
            ReassignFields,
            _reassign,
        ),
        TransitionSpec("expire", ("submitted",), "expired", frozenset({SYSTEM}), ExpireFields),
    ),
    timers={
        "submitted": (
            TimerSpec(TimerKind.REMINDER, 3, RECEIVER),
            TimerSpec(TimerKind.ESCALATION, 5, COORDINATORS),
            TimerSpec(TimerKind.TRIGGER, 20, "expire"),
        ),
        "returned": (
            TimerSpec(TimerKind.REMINDER, 5, REFERRER),
            TimerSpec(TimerKind.ESCALATION, 10, COORDINATORS),
        ),
        "accepted": (
            TimerSpec(TimerKind.REMINDER, 10, RECEIVER),
            TimerSpec(TimerKind.ESCALATION, 15, COORDINATORS),
        ),
    },
    parties={
        REFERRER: Referral.sender_organisation_id,
        RECEIVER: Referral.receiver_organisation_id,
    },
    territory=Referral.territory,
    deadline_overrides=_offer_deadlines,
    side_recipients=_recipients,
    describe=_describe,
    state_labels=STATE_LABELS,
    case_label="orientation",
    waiting_on={
        "submitted": Waiting(RECEIVER, "accepter ou retourner l'orientation"),
        "returned": Waiting(REFERRER, "compléter et renvoyer l'orientation, ou la clôturer"),
        "accepted": Waiting(RECEIVER, "démarrer l'accompagnement"),
    },
)
