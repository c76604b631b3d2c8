"""The accompaniment handover (passage de relais) lifecycle, declared as data.

The current référent (A) proposes; the next organisation (B) accepts with the date of the
first joint meeting, or declines; A may withdraw; B confirms once the meeting took place,
and in that same transaction A's accompaniment ends and B's begins.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import get_kept
from core.enums import AccompanimentSource, LabelledEnum, MessageKey, TimerKind
from core.errors import ConcurrentChange
from core.french_dates import french_datetime
from core.models import Handover, Organisation, Person
from states import engine
from states.accompaniment import ACCOMPANIMENT
from states.accompaniment_partners import carry_over_partners, current_partners
from states.accompaniments import begin_accompaniment, current_accompaniment
from states.actor import Actor
from states.fields import Moment, Payload, PersonalComment
from states.lifecycle import (
    COORDINATORS,
    Creation,
    Lifecycle,
    Notice,
    TimerSpec,
    TransitionSpec,
    Waiting,
)

REFERENT = "referent"
SUCCESSOR = "successor"


class HandoverState(LabelledEnum):
    """Where a handover stands."""

    PROPOSED = "proposed", "proposé"
    ACCEPTED = "accepted", "accepté"
    DECLINED = "declined", "refusé"
    WITHDRAWN = "withdrawn", "retiré"
    COMPLETED = "completed", "effectué"


OPEN_STATES = (HandoverState.PROPOSED, HandoverState.ACCEPTED)


class AcceptHandoverFields(Payload):
    """``accept``: when A, B and the person first meet together."""

    first_meeting_at: Moment = Field(title="Date de la première rencontre à trois")


class DeclineHandoverFields(Payload):
    """``decline``: why B cannot take the person on."""

    reason: PersonalComment = Field(title="Motif")


class WithdrawHandoverFields(Payload):
    """``withdraw``: A keeps the person after all."""

    reason: PersonalComment | None = Field(default=None, title="Motif")


class ConfirmHandoverFields(Payload):
    """``confirm``: the first joint meeting took place."""


async def _confirm(session: AsyncSession, handover: Any, fields: BaseModel, now: datetime) -> None:
    """End A's accompaniment and start B's, in the transition's transaction."""
    current = await current_accompaniment(session, handover.person_id, lock=True)
    if current is None or current.id != handover.accompaniment_id:
        raise ConcurrentChange(
            "La personne n'est plus accompagnée par l'organisation qui a proposé ce passage "
            "de relais : il ne peut plus aboutir."
        )
    partners = [
        (partner.organisation_id, partner.added_by_id, partner.consent_attested_at)
        for partner in await current_partners(session, current.id)
    ]
    await engine.apply_transition(
        session, ACCOMPANIMENT, current, "hand_over", Actor.system(), None, now
    )
    await session.flush()
    successor = await begin_accompaniment(
        session,
        handover.person_id,
        handover.to_organisation_id,
        AccompanimentSource.HANDOVER,
        handover.id,
        now,
        territory=handover.territory,
    )
    await carry_over_partners(session, partners, successor, now)
    await _withdraw_the_others(session, handover, now)


async def _withdraw_the_others(session: AsyncSession, handover: Any, now: datetime) -> None:
    """The person's other open handovers can no longer happen: relais withdraws them.

    Every one of them, in the confirm's transaction: a person's handovers change only under
    the lock of their person (``_lock_person``, taken first), so none is held elsewhere for
    long and waiting for it (in id order) cannot deadlock.
    """
    others = (
        await session.execute(
            select(Handover)
            .where(
                Handover.person_id == handover.person_id,
                Handover.id != handover.id,
                Handover.state.in_(OPEN_STATES),
            )
            .order_by(Handover.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalars()
    taker = await get_kept(session, Organisation, handover.to_organisation_id)
    reason = f"La personne est désormais accompagnée par {taker.name} ({handover.reference})."
    for other in list(others):
        await engine.apply_transition(
            session, HANDOVER, other, "withdraw", Actor.system(),
            WithdrawHandoverFields(reason=reason), now,
        )  # fmt: skip


async def _lock_person(session: AsyncSession, handover_id: int) -> None:
    """Lock the person of ``handover_id`` (``SELECT … FOR UPDATE``) before the handover itself.

    Concurrent triggers on the handovers of one person then run one after the other, always
    in the order person, handover, accompaniment, other handovers: the confirm that goes
    first withdraws the others, whose own confirm then finds them withdrawn (409).
    """
    person_of_handover = select(Handover.person_id).where(Handover.id == handover_id)
    await session.execute(
        select(Person.id).where(Person.id == person_of_handover.scalar_subquery()).with_for_update()
    )


def _meeting_passed(handover: Any, now: datetime) -> str | None:
    meeting: datetime | None = handover.first_meeting_at
    if meeting is not None and now < meeting:
        return (
            "La première rencontre n'a pas encore eu lieu : possible à partir du "
            f"{french_datetime(meeting)}."
        )
    return None


async def _describe(session: AsyncSession, handover: Any) -> dict[str, Any]:
    giver = await get_kept(session, Organisation, handover.from_organisation_id)
    taker = await get_kept(session, Organisation, handover.to_organisation_id)
    return {
        "reference": handover.reference,
        "from_organisation": giver.name,
        "to_organisation": taker.name,
        "state": handover.state,
        "state_label": HandoverState(handover.state).label,
        "subject_line": f"de {giver.name} à {taker.name}",
        "path": HANDOVER.case_path(handover.id),
        "first_meeting_at": (
            handover.first_meeting_at.isoformat() if handover.first_meeting_at else None
        ),
    }


S = HandoverState
ACTS_AS_SUCCESSOR = frozenset({SUCCESSOR})

HANDOVER = Lifecycle(
    name="handover",
    reference_prefix="PR",
    model=Handover,
    state_enum=HandoverState,
    initial=S.PROPOSED,
    creation=Creation(
        trigger="propose",
        label="Proposition",
        notices=(Notice(message=MessageKey.HANDOVER_PROPOSED, to=SUCCESSOR),),
    ),
    transitions=(
        TransitionSpec(
            trigger="accept",
            label="Accepter le relais",
            sources=(S.PROPOSED,),
            dest=S.ACCEPTED,
            sides=ACTS_AS_SUCCESSOR,
            payload=AcceptHandoverFields,
            copies={"first_meeting_at": "first_meeting_at"},
            notices=(Notice(message=MessageKey.HANDOVER_ACCEPTED, to=REFERENT),),
        ),
        TransitionSpec(
            trigger="decline",
            label="Refuser le relais",
            sources=(S.PROPOSED,),
            dest=S.DECLINED,
            sides=ACTS_AS_SUCCESSOR,
            payload=DeclineHandoverFields,
            copies={"reason": "decline_reason"},
            notices=(Notice(message=MessageKey.HANDOVER_DECLINED, to=REFERENT),),
        ),
        TransitionSpec(
            trigger="withdraw",
            label="Retirer la proposition",
            sources=(S.PROPOSED, S.ACCEPTED),
            dest=S.WITHDRAWN,
            sides=frozenset({REFERENT}),
            payload=WithdrawHandoverFields,
            copies={"reason": "withdraw_reason"},
            notices=(Notice(message=MessageKey.HANDOVER_WITHDRAWN, to=SUCCESSOR),),
        ),
        TransitionSpec(
            trigger="confirm",
            label="Confirmer : la rencontre a eu lieu",
            sources=(S.ACCEPTED,),
            dest=S.COMPLETED,
            sides=ACTS_AS_SUCCESSOR,
            payload=ConfirmHandoverFields,
            effect=_confirm,
            guard=_meeting_passed,
            notices=(Notice(message=MessageKey.HANDOVER_COMPLETED, to=REFERENT),),
        ),
    ),
    timers={
        S.PROPOSED: (
            TimerSpec(kind=TimerKind.REMINDER, business_days=3, target=SUCCESSOR),
            TimerSpec(kind=TimerKind.ESCALATION, business_days=5, target=COORDINATORS),
        ),
        S.ACCEPTED: (
            TimerSpec(
                kind=TimerKind.REMINDER,
                business_days=2,
                target=SUCCESSOR,
                anchor="first_meeting_at",
            ),
            TimerSpec(
                kind=TimerKind.ESCALATION,
                business_days=5,
                target=COORDINATORS,
                anchor="first_meeting_at",
            ),
        ),
    },
    parties={REFERENT: Handover.from_organisation_id, SUCCESSOR: Handover.to_organisation_id},
    territory=Handover.territory,
    person=Handover.person_id,
    follow_up=ACCOMPANIMENT,
    boxes={"sent": REFERENT, "received": SUCCESSOR},
    case_label="passage de relais",
    list_label="Passages de relais",
    path="/handovers",
    describe=_describe,
    lock_first=_lock_person,
    waiting_on={
        S.PROPOSED: Waiting(side=SUCCESSOR, action="accepter ou refuser le passage de relais"),
        S.ACCEPTED: Waiting(side=SUCCESSOR, action="confirmer que la première rencontre a eu lieu"),
    },
)
