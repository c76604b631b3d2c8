"""The referral (orientation) lifecycle, declared as data: DESIGN.md's table, exactly."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import get_kept
from core.enums import (
    AccompanimentSource,
    Barrier,
    LabelledEnum,
    MessageKey,
    Public,
    Role,
    TimerKind,
)
from core.errors import InvalidInput, NothingChanged, UnknownReference
from core.models import Offer, Organisation, Person, Referral, User
from states.accompaniment import ACCOMPANIMENT
from states.accompaniments import begin_accompaniment
from states.capacity import accept_within_capacity
from states.eligibility import checking_eligibility
from states.health import (
    HEALTH_BARRIERS,
    HEALTH_CODES,
    health_data_of,
    require_health_attestation,
)
from states.lifecycle import (
    COORDINATORS,
    SYSTEM,
    Creation,
    Lifecycle,
    Notice,
    Recipient,
    TimerSpec,
    TransitionSpec,
    Waiting,
)
from states.milestones import Milestone
from states.publics import SITUATION_PUBLICS, derived_in, typed_publics
from states.reachability import checking_reachability, is_reachable
from states.recipients import (
    case_coordinators,
    organisation_recipients,
    organisation_staff,
)
from states.referral_fields import (
    AcceptFields,
    CancelFields,
    CloseFields,
    CompleteFields,
    ExpireFields,
    ProgressNoteFields,
    ReassignFields,
    ResubmitFields,
    ReturnFields,
    StartFields,
    SubmitFields,
)

REFERRER = "referrer"
RECEIVER = "receiver"


class ReferralState(LabelledEnum):
    """Where a referral stands."""

    DRAFT = "draft", "brouillon"
    SUBMITTED = "submitted", "transmise"
    ACCEPTED = "accepted", "acceptée"
    RETURNED = "returned", "retournée"
    IN_PROGRESS = "in_progress", "en cours"
    COMPLETED = "completed", "terminée"
    CANCELLED = "cancelled", "annulée"
    CLOSED = "closed", "clôturée"
    EXPIRED = "expired", "expirée"


NOTHING_CHANGED = (
    "Rien n'a changé depuis le retour : modifiez l'orientation ou répondez au partenaire "
    "(« Réponse au partenaire »)."
)


async def _amend(session: AsyncSession, referral: Any, fields: BaseModel, now: datetime) -> None:
    assert isinstance(fields, ResubmitFields)
    if (
        referral.state == S.RETURNED
        and not fields.reply
        and not await _changes_something(session, referral, fields)
    ):
        raise NothingChanged(NOTHING_CHANGED, field="reply")
    health = health_data_of(fields.barriers or (), fields.publics or (), fields.situation)
    if health and referral.health_data_attested_at is None:
        require_health_attestation(health, fields.health_data_attested)
        referral.health_data_attested_at = now
    if fields.motive is not None:
        referral.motive = fields.motive
    if fields.publics is not None or fields.situation is not None:
        await _amend_publics(session, referral.person_id, fields)
    if fields.barriers is not None:
        # The health data already recorded stays: the sender no longer sees it once sent.
        kept = {Barrier(value) for value in referral.barriers} & HEALTH_BARRIERS
        referral.barriers = sorted(set(fields.barriers) | kept)


async def _changes_something(session: AsyncSession, referral: Any, fields: ResubmitFields) -> bool:
    """Whether ``fields`` change the referral as its sender sees it (its motive, the person's
    publics, the barriers; the health data the sender no longer sees left aside)."""
    if fields.motive is not None and fields.motive.strip() != (referral.motive or "").strip():
        return True
    if (
        fields.barriers is not None
        and set(fields.barriers)
        != {Barrier(value) for value in referral.barriers} - HEALTH_BARRIERS
    ):
        return True
    if fields.publics is None and fields.situation is None:
        return False
    person = await session.get_one(Person, referral.person_id)
    recorded = {Public(value) for value in person.publics} - HEALTH_CODES
    if fields.publics is not None and set(fields.publics) - HEALTH_CODES != recorded:
        return True
    mapped = SITUATION_PUBLICS.get(fields.situation) if fields.situation is not None else None
    return mapped is not None and mapped not in recorded


async def _amend_publics(session: AsyncSession, person_id: int, fields: ResubmitFields) -> None:
    """The person's publics as the resubmission says them: ``publics`` replaces them, an old
    client's ``situation`` adds its public; a derived public is refused; the health publics
    already recorded stay (the sender no longer sees them)."""
    chosen = list(fields.publics) if fields.publics is not None else None
    derived = derived_in(chosen or ())
    if derived:
        raise InvalidInput(
            f"« {derived[0].label} » se déduit de la date de naissance ou de la case QPV : "
            "ne l'indiquez pas.",
            field="publics",
        )
    person = await session.get_one(Person, person_id)
    if chosen is None:
        chosen = list(person.publics)
    else:
        chosen.extend(Public(value) for value in person.publics if value in HEALTH_CODES)
    mapped = SITUATION_PUBLICS.get(fields.situation) if fields.situation is not None else None
    if mapped is not None:
        chosen.append(mapped)
    person.publics = typed_publics(chosen)


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
            territory=referral.territory,
        )


async def _reassign(session: AsyncSession, referral: Any, fields: BaseModel, now: datetime) -> None:
    assert isinstance(fields, ReassignFields)
    offer = await session.get(Offer, fields.offer_id)
    if offer is None or not offer.is_active:
        raise UnknownReference(
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
        (S.SUBMITTED, TimerKind.REMINDER): offer.reminder_days,
        (S.SUBMITTED, TimerKind.ESCALATION): offer.escalation_days,
        (S.SUBMITTED, TimerKind.TRIGGER): offer.expiry_days,
    }
    if offer.progress_check_days is not None:
        # The offer sets how often its accompaniments report; the coordinators still hear
        # of a missed progress check as long after the reminder as by default.
        overrides[(S.IN_PROGRESS, TimerKind.REMINDER)] = offer.progress_check_days
        overrides[(S.IN_PROGRESS, TimerKind.ESCALATION)] = (
            offer.progress_check_days + PROGRESS_ESCALATION_DAYS - PROGRESS_CHECK_DAYS
        )
    return {(str(state), kind): days for (state, kind), days in overrides.items() if days}


async def _recipients(session: AsyncSession, referral: Any, audience: str) -> list[Recipient]:
    if audience == RECEIVER:
        offer = await get_kept(session, Offer, referral.offer_id)
        if offer.contact_email:
            return [(offer.contact_email, None)]
        return await organisation_staff(session, referral.receiver_organisation_id)
    if audience == REFERRER:
        author = await get_kept(session, User, referral.created_by_id)
        if author.is_active and author.organisation_id == referral.sender_organisation_id:
            return [(author.email, author.id)]
        return await organisation_recipients(
            session, referral.sender_organisation_id, frozenset({Role.ORG_ADMIN})
        )
    if audience == COORDINATORS:
        return await case_coordinators(session, REFERRAL, referral)
    raise ValueError(f"unknown audience {audience}")


async def _submission_reads(session: AsyncSession, referral: Any) -> None:
    """What sending a referral reads besides its row: its offer (deadlines, eligibility),
    whether anybody receives it, and its two organisations (its emails' wording)."""
    await get_kept(session, Offer, referral.offer_id)
    await is_reachable(session, referral.offer_id)
    await get_kept(session, Organisation, referral.sender_organisation_id)
    await get_kept(session, Organisation, referral.receiver_organisation_id)


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
        "state_label": ReferralState(referral.state).label,
        "subject_line": f"« {offer.title} », de {sender.name} à {receiver.name}",
        "path": REFERRAL.case_path(referral.id),
        "first_appointment_at": (
            referral.first_appointment_at.isoformat() if referral.first_appointment_at else None
        ),
        "return_reason_label": (
            referral.return_reason.in_sentence if referral.return_reason else None
        ),
        "outcome_label": referral.outcome.in_sentence if referral.outcome else None,
        # Whether the return says more than its reason: the comment itself may speak of the
        # person, so it stays behind the login (DESIGN.md: emails carry no personal data).
        "return_comment_given": bool(referral.return_comment),
    }


S = ReferralState
PROGRESS_CHECK_DAYS = 60
"""Business days a referral under way may go without news before its receiver is asked."""
PROGRESS_ESCALATION_DAYS = 70
REFERRER_SIDE = frozenset({REFERRER})
RECEIVER_SIDE = frozenset({RECEIVER})
TO_RECEIVER_SUBMITTED = (Notice(message=MessageKey.REFERRAL_SUBMITTED, to=RECEIVER, invite=True),)

REFERRAL = Lifecycle(
    name="referral",
    reference_prefix="OR",
    model=Referral,
    state_enum=ReferralState,
    initial=S.DRAFT,
    creation=Creation(trigger="create", label="Création"),
    transitions=(
        TransitionSpec(
            trigger="submit",
            label="Transmettre",
            sources=(S.DRAFT,),
            dest=S.SUBMITTED,
            sides=REFERRER_SIDE,
            payload=SubmitFields,
            effect=checking_reachability(checking_eligibility()),
            notices=TO_RECEIVER_SUBMITTED,
            reads_ahead=_submission_reads,
        ),
        TransitionSpec(
            trigger="accept",
            label="Accepter",
            sources=(S.SUBMITTED,),
            dest=S.ACCEPTED,
            sides=RECEIVER_SIDE,
            payload=AcceptFields,
            copies={"first_appointment_at": "first_appointment_at"},
            effect=accept_within_capacity,
            notices=(Notice(message=MessageKey.REFERRAL_ACCEPTED, to=REFERRER),),
        ),
        TransitionSpec(
            trigger="return",
            label="Retourner au prescripteur",
            sources=(S.SUBMITTED,),
            dest=S.RETURNED,
            sides=RECEIVER_SIDE,
            payload=ReturnFields,
            copies={"reason": "return_reason", "comment": "return_comment"},
            notices=(Notice(message=MessageKey.REFERRAL_RETURNED, to=REFERRER),),
        ),
        TransitionSpec(
            trigger="resubmit",
            label="Renvoyer avec les compléments",
            sources=(S.RETURNED, S.EXPIRED),
            dest=S.SUBMITTED,
            sides=REFERRER_SIDE,
            payload=ResubmitFields,
            effect=checking_reachability(checking_eligibility(_amend)),
            # Announced as the same referral come back, not as a new one.
            notices=(Notice(message=MessageKey.REFERRAL_RESUBMITTED, to=RECEIVER, invite=True),),
        ),
        TransitionSpec(
            trigger="start",
            label="Démarrer l'accompagnement",
            sources=(S.ACCEPTED,),
            dest=S.IN_PROGRESS,
            sides=RECEIVER_SIDE,
            payload=StartFields,
            effect=_start,
        ),
        TransitionSpec(
            trigger="note",
            label="Faire le point d'étape",
            sources=(S.IN_PROGRESS,),
            dest=S.IN_PROGRESS,
            sides=RECEIVER_SIDE,
            payload=ProgressNoteFields,
        ),
        TransitionSpec(
            trigger="complete",
            label="Terminer",
            sources=(S.IN_PROGRESS, S.ACCEPTED),
            dest=S.COMPLETED,
            sides=RECEIVER_SIDE,
            payload=CompleteFields,
            copies={"outcome": "outcome"},
            notices=(Notice(message=MessageKey.REFERRAL_COMPLETED, to=REFERRER),),
        ),
        TransitionSpec(
            trigger="cancel",
            label="Annuler l'orientation",
            sources=(S.DRAFT, S.SUBMITTED, S.RETURNED, S.ACCEPTED),
            dest=S.CANCELLED,
            sides=REFERRER_SIDE,
            payload=CancelFields,
            copies={"reason": "cancel_reason"},
            notices=(Notice(message=MessageKey.REFERRAL_CANCELLED, to=RECEIVER),),
        ),
        TransitionSpec(
            trigger="close",
            label="Clôturer",
            sources=(S.RETURNED, S.EXPIRED),
            dest=S.CLOSED,
            sides=frozenset({REFERRER, COORDINATORS}),
            payload=CloseFields,
        ),
        TransitionSpec(
            trigger="reassign",
            label="Réorienter vers une autre offre",
            sources=(S.SUBMITTED, S.RETURNED, S.EXPIRED),
            dest=S.SUBMITTED,
            sides=frozenset({COORDINATORS}),
            payload=ReassignFields,
            effect=checking_reachability(checking_eligibility(_reassign)),
            notices=TO_RECEIVER_SUBMITTED,
        ),
        TransitionSpec(
            trigger="expire",
            label="Expiration (sans réponse)",
            sources=(S.SUBMITTED,),
            dest=S.EXPIRED,
            sides=frozenset({SYSTEM}),
            payload=ExpireFields,
            notices=(Notice(message=MessageKey.REFERRAL_EXPIRED, to=REFERRER),),
        ),
    ),
    timers={
        S.SUBMITTED: (
            TimerSpec(kind=TimerKind.REMINDER, business_days=3, target=RECEIVER),
            TimerSpec(kind=TimerKind.ESCALATION, business_days=5, target=COORDINATORS),
            TimerSpec(kind=TimerKind.TRIGGER, business_days=20, target="expire"),
        ),
        S.RETURNED: (
            TimerSpec(kind=TimerKind.REMINDER, business_days=5, target=REFERRER),
            TimerSpec(kind=TimerKind.ESCALATION, business_days=10, target=COORDINATORS),
        ),
        S.ACCEPTED: (
            TimerSpec(kind=TimerKind.REMINDER, business_days=10, target=RECEIVER),
            TimerSpec(kind=TimerKind.ESCALATION, business_days=15, target=COORDINATORS),
        ),
        S.IN_PROGRESS: (
            TimerSpec(kind=TimerKind.REMINDER, business_days=PROGRESS_CHECK_DAYS, target=RECEIVER),
            TimerSpec(
                kind=TimerKind.ESCALATION,
                business_days=PROGRESS_ESCALATION_DAYS,
                target=COORDINATORS,
            ),
        ),
        S.EXPIRED: (
            TimerSpec(kind=TimerKind.REMINDER, business_days=5, target=REFERRER),
            TimerSpec(kind=TimerKind.ESCALATION, business_days=10, target=COORDINATORS),
        ),
    },
    parties={
        REFERRER: Referral.sender_organisation_id,
        RECEIVER: Referral.receiver_organisation_id,
    },
    territory=Referral.territory,
    person=Referral.person_id,
    follow_up=ACCOMPANIMENT,
    milestones=(
        # The first transmission, with the dues of the reminder and alert it opened; the
        # receiver's first answer; the acceptance a start follows (the indicators' delays).
        Milestone(
            attribute="first_submitted_at",
            triggers=frozenset({"submit"}),
            first=True,
            dues={
                TimerKind.REMINDER: "first_reminder_due_at",
                TimerKind.ESCALATION: "first_escalation_due_at",
            },
        ),
        Milestone(
            attribute="first_answered_at", triggers=frozenset({"accept", "return"}), first=True
        ),
        Milestone(attribute="accepted_at", triggers=frozenset({"accept"})),
        Milestone(attribute="started_at", triggers=frozenset({"start"})),
    ),
    boxes={"sent": REFERRER, "received": RECEIVER},
    case_label="orientation",
    list_label="Orientations",
    path="/referrals",
    deadline_overrides=_offer_deadlines,
    side_recipients=_recipients,
    describe=_describe,
    waiting_on={
        S.SUBMITTED: Waiting(side=RECEIVER, action="accepter ou retourner l'orientation"),
        S.RETURNED: Waiting(
            side=REFERRER, action="compléter et renvoyer l'orientation, ou la clôturer"
        ),
        S.ACCEPTED: Waiting(side=RECEIVER, action="démarrer l'accompagnement"),
        S.IN_PROGRESS: Waiting(
            side=RECEIVER,
            action="faire le point d'étape de l'accompagnement, ou le terminer",
            progress_check=True,
        ),
        S.EXPIRED: Waiting(
            side=REFERRER,
            action="sans réponse : renvoyer, réorienter ou clôturer l'orientation",
            late=True,
        ),
    },
    waits_on_nobody={
        S.DRAFT: "un brouillon n'est transmis à personne : son auteur le reprend quand il veut",
    },
)
