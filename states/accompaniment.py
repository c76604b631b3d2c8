"""The accompaniment lifecycle (the référent's follow-up of a person), declared as data.

An accompaniment begins when the receiving partner starts a referral to an accompaniment
offer, when a handover is confirmed, or on a reasoned decision of the coordination
(``states.accompaniments.begin_accompaniment``). While it is active, the référent takes stock
(point d'étape) at least every 90 business days without news on the person's cases, or ends
it (sortie) with an outcome; a confirmed handover ends it too (relais fires ``hand_over``).
Once it has ended the person has no current référent, which is allowed; its history stays.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import get_kept
from core.enums import LabelledEnum, MessageKey, TimerKind
from core.errors import TransitionNotAllowed
from core.models import Accompaniment, Handover, Organisation, Person
from states.accompaniment_partners import (
    PARTNER,
    AddPartnerFields,
    RemovePartnerFields,
    add_partner,
    end_partnerships,
    remove_partner,
)
from states.fields import ExitReason, Payload, PersonalComment
from states.lifecycle import (
    COORDINATORS,
    SYSTEM,
    Creation,
    Lifecycle,
    TimerSpec,
    TransitionSpec,
    Waiting,
)

REFERENT = "referent"


class AccompanimentState(LabelledEnum):
    """Where an accompaniment stands."""

    ACTIVE = "active", "en cours"
    ENDED = "ended", "terminé"


HANDOVER_UNDER_WAY = ("proposed", "accepted")
"""The states of a handover still under way (``states.handover.OPEN_STATES``): while one is,
its accompaniment cannot end but through it."""


class AccompanimentNoteFields(Payload):
    """``note``: a progress check (point d'étape) of the accompaniment."""

    note: PersonalComment = Field(title="Point d'étape")


class EndAccompanimentFields(Payload):
    """``end``: the référent ends the accompaniment (sortie), and says how it ended."""

    outcome: ExitReason = Field(title="Motif de sortie")
    comment: PersonalComment | None = Field(default=None, title="Commentaire")


class HandOverFields(Payload):
    """``hand_over``: fired by relais when a handover of the person is confirmed."""


async def lock_person(session: AsyncSession, person_id: Any) -> None:
    """Lock the person's row (``SELECT … FOR UPDATE``; ``person_id`` may be a subquery).

    Whatever changes who accompanies a person, or proposes to, takes this lock first: ending
    an accompaniment and proposing a handover of it then run one after the other, so that no
    handover is left under way on an ended accompaniment.
    """
    await session.execute(select(Person.id).where(Person.id == person_id).with_for_update())


async def _lock_person_of(session: AsyncSession, accompaniment_id: int) -> None:
    """``lock_first``: the person of the accompaniment, before the accompaniment itself."""
    person_of = select(Accompaniment.person_id).where(Accompaniment.id == accompaniment_id)
    await lock_person(session, person_of.scalar_subquery())


async def _first_handover(session: AsyncSession, accompaniment_id: int, states: Any) -> str | None:
    """The reference of the accompaniment's first handover in one of ``states``, if any."""
    reference: str | None = await session.scalar(
        select(Handover.reference)
        .where(Handover.accompaniment_id == accompaniment_id, Handover.state.in_(states))
        .order_by(Handover.id)
        .limit(1)
    )
    return reference


async def _end(session: AsyncSession, accompaniment: Any, fields: BaseModel, now: datetime) -> None:
    """End the accompaniment, unless a handover of it is under way: it must be withdrawn first."""
    # Not flushed yet: the transition writes the row once, one version on.
    with session.no_autoflush:
        under_way = await _first_handover(session, accompaniment.id, HANDOVER_UNDER_WAY)
    if under_way is not None:
        raise TransitionNotAllowed(
            f"Un passage de relais de cet accompagnement est en cours ({under_way}) : "
            "retirez-le avant de mettre fin à l'accompagnement.",
            allowed_actions=[
                trigger
                for trigger in ACCOMPANIMENT.triggers_from(accompaniment.state)
                if trigger != "end" and not ACCOMPANIMENT.transition(trigger).is_system
            ],
            state=accompaniment.state,
        )
    accompaniment.ended_at = now
    await end_partnerships(session, accompaniment.id, now)


async def _hand_over(
    session: AsyncSession, accompaniment: Any, fields: BaseModel, now: datetime
) -> None:
    """The confirmed handover ends the accompaniment (the next one begins in its transaction,
    with its co-accompanying organisations: ``states.handover``)."""
    accompaniment.ended_at = now
    await end_partnerships(session, accompaniment.id, now)


HANDOVER_PROPOSED = (*HANDOVER_UNDER_WAY, "completed")
"""The states of a handover that answer the « 26 ans » milestones: one was proposed."""


async def _handover_proposed(session: AsyncSession, accompaniment: Any) -> str | None:
    """Why the « 26 ans » reminder or alert has nothing to say: a handover was proposed."""
    proposed = await _first_handover(session, accompaniment.id, HANDOVER_PROPOSED)
    if proposed is None:
        return None
    return f"passage de relais {proposed} proposé avant les 26 ans"


async def _describe(session: AsyncSession, accompaniment: Any) -> dict[str, Any]:
    """What an email may say of an accompaniment: its reference and référent, never the person."""
    referent = await get_kept(session, Organisation, accompaniment.organisation_id)
    return {
        "reference": accompaniment.reference,
        "organisation": referent.name,
        "state": accompaniment.state,
        "state_label": AccompanimentState(accompaniment.state).label,
        "subject_line": f"référent : {referent.name}",
        "path": ACCOMPANIMENT.case_path(accompaniment.id),
    }


S = AccompanimentState
PROGRESS_CHECK_DAYS = 90
"""Business days an accompaniment may go without news of the person before its référent is
asked for a progress check."""
PROGRESS_ESCALATION_DAYS = 100
REFERENT_SIDE = frozenset({REFERENT})
AGE_LIMIT = 26
"""The age at which a Mission locale no longer accompanies a young person."""
AGE_LIMIT_NOTICE_MONTHS = 3
"""How long before the 26th birthday the Mission locale is asked to propose a handover."""

ACCOMPANIMENT = Lifecycle(
    name="accompaniment",
    reference_prefix="AP",
    model=Accompaniment,
    state_enum=AccompanimentState,
    initial=S.ACTIVE,
    creation=Creation(trigger="begin", label="Début de l'accompagnement"),
    transitions=(
        TransitionSpec(
            trigger="note",
            label="Faire le point d'étape",
            sources=(S.ACTIVE,),
            dest=S.ACTIVE,
            sides=REFERENT_SIDE,
            payload=AccompanimentNoteFields,
        ),
        TransitionSpec(
            trigger="end",
            label="Mettre fin à l'accompagnement (sortie)",
            sources=(S.ACTIVE,),
            dest=S.ENDED,
            sides=REFERENT_SIDE,
            payload=EndAccompanimentFields,
            copies={"outcome": "exit_outcome", "comment": "exit_comment"},
            effect=_end,
        ),
        TransitionSpec(
            trigger="hand_over",
            label="Passage de relais",
            sources=(S.ACTIVE,),
            dest=S.ENDED,
            sides=frozenset({SYSTEM}),
            payload=HandOverFields,
            effect=_hand_over,
        ),
        TransitionSpec(
            trigger="add_partner",
            label="Associer une organisation co-accompagnante",
            sources=(S.ACTIVE,),
            dest=S.ACTIVE,
            sides=REFERENT_SIDE,
            payload=AddPartnerFields,
            actor_effect=add_partner,
            keeps_timers=True,
        ),
        TransitionSpec(
            trigger="remove_partner",
            label="Mettre fin à un co-accompagnement",
            sources=(S.ACTIVE,),
            dest=S.ACTIVE,
            sides=frozenset({REFERENT, PARTNER}),
            payload=RemovePartnerFields,
            actor_effect=remove_partner,
            keeps_timers=True,
        ),
    ),
    timers={
        S.ACTIVE: (
            TimerSpec(kind=TimerKind.REMINDER, business_days=PROGRESS_CHECK_DAYS, target=REFERENT),
            TimerSpec(
                kind=TimerKind.ESCALATION,
                business_days=PROGRESS_ESCALATION_DAYS,
                target=COORDINATORS,
            ),
            # The Mission locale's age limit: only on an accompaniment whose ``turns_26_at``
            # is set (states.accompaniments), counted from that birthday whatever happens.
            TimerSpec(
                kind=TimerKind.REMINDER,
                business_days=0,
                months_before=AGE_LIMIT_NOTICE_MONTHS,
                anchor="turns_26_at",
                target=REFERENT,
                message=MessageKey.ACCOMPANIMENT_TURNING_26,
                unless=_handover_proposed,
            ),
            TimerSpec(
                kind=TimerKind.ESCALATION,
                business_days=0,
                anchor="turns_26_at",
                target=COORDINATORS,
                message=MessageKey.ACCOMPANIMENT_TURNED_26,
                unless=_handover_proposed,
            ),
        ),
    },
    parties={REFERENT: Accompaniment.organisation_id},
    territory=Accompaniment.territory,
    case_label="accompagnement",
    list_label="Accompagnements",
    path="/accompaniments",
    describe=_describe,
    lock_first=_lock_person_of,
    person=Accompaniment.person_id,
    waiting_on={
        S.ACTIVE: Waiting(
            side=REFERENT,
            action="faire le point d'étape de l'accompagnement, ou y mettre fin",
            progress_check=True,
        ),
    },
)
