"""The accompaniment handover (passage de relais) lifecycle, declared as data.

The current référent (A) proposes; the next organisation (B) accepts with the date of the
first joint meeting, or declines; A may withdraw; B confirms once the meeting took place,
and in that same transaction A's accompaniment ends and B's begins.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import get_kept
from core.enums import AccompanimentSource, TimerKind
from core.errors import ConcurrentChange
from core.models import Handover, Organisation
from states import engine
from states.accompaniments import begin_accompaniment, current_accompaniment
from states.fields import Comment, Moment, Payload
from states.lifecycle import COORDINATORS, Lifecycle, TimerSpec, TransitionSpec, Waiting
from states.policy import Actor

REFERENT = "referent"
SUCCESSOR = "successor"
OPEN_STATES = ("proposed", "accepted")


class AcceptHandoverFields(Payload):
    """``accept``: when A, B and the person first meet together."""

    first_meeting_at: Moment


class DeclineHandoverFields(Payload):
    """``decline``: why B cannot take the person on."""

    reason: Comment


class WithdrawHandoverFields(Payload):
    """``withdraw``: A keeps the person after all."""

    reason: Comment | None = None


class ConfirmHandoverFields(Payload):
    """``confirm``: the first joint meeting took place."""


async def _accept(session: AsyncSession, handover: Any, fields: BaseModel, now: datetime) -> None:
    assert isinstance(fields, AcceptHandoverFields)
    handover.first_meeting_at = fields.first_meeting_at


async def _decline(session: AsyncSession, handover: Any, fields: BaseModel, now: datetime) -> None:
    assert isinstance(fields, DeclineHandoverFields)
    handover.decline_reason = fields.reason


async def _withdraw(session: AsyncSession, handover: Any, fields: BaseModel, now: datetime) -> None:
    assert isinstance(fields, WithdrawHandoverFields)
    handover.withdraw_reason = fields.reason


async def _confirm(session: AsyncSession, handover: Any, fields: BaseModel, now: datetime) -> None:
    """End A's accompaniment and start B's, in the transition's transaction."""
    current = await current_accompaniment(session, handover.person_id, lock=True)
    if current is None or current.id != handover.accompaniment_id:
        raise ConcurrentChange(
            "La personne n'est plus accompagnée par l'organisation qui a proposé ce passage "
            "de relais : il ne peut plus aboutir."
        )
    current.ended_at = now
    await session.flush()
    await begin_accompaniment(
        session,
        handover.person_id,
        handover.to_organisation_id,
        AccompanimentSource.HANDOVER,
        handover.id,
        now,
    )
    await _withdraw_the_others(session, handover, now)


async def _withdraw_the_others(session: AsyncSession, handover: Any, now: datetime) -> None:
    """The person's other open handovers can no longer happen: relais withdraws them.

    Rows another transaction holds are skipped rather than waited for (no deadlock between
    two confirms); such a handover's own confirm then fails, as its référent is gone.
    """
    others = (
        await session.execute(
            select(Handover)
            .where(
                Handover.person_id == handover.person_id,
                Handover.id != handover.id,
                Handover.state.in_(OPEN_STATES),
            )
            .with_for_update(skip_locked=True)
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


def _meeting_passed(handover: Any, now: datetime) -> str | None:
    meeting: datetime | None = handover.first_meeting_at
    if meeting is not None and now < meeting:
        return "La première rencontre n'a pas encore eu lieu : confirmez après elle."
    return None


async def _describe(session: AsyncSession, handover: Any) -> dict[str, Any]:
    giver = await get_kept(session, Organisation, handover.from_organisation_id)
    taker = await get_kept(session, Organisation, handover.to_organisation_id)
    return {
        "reference": handover.reference,
        "from_organisation": giver.name,
        "to_organisation": taker.name,
        "state": handover.state,
        "state_label": STATE_LABELS[handover.state],
        "subject_line": f"de {giver.name} à {taker.name}",
        "path": f"/handovers/{handover.id}",
        "first_meeting_at": (
            handover.first_meeting_at.isoformat() if handover.first_meeting_at else None
        ),
    }


STATE_LABELS = {
    "proposed": "proposé",
    "accepted": "accepté",
    "declined": "refusé",
    "withdrawn": "retiré",
    "completed": "effectué",
}

HANDOVER = Lifecycle(
    name="handover",
    reference_prefix="PR",
    model=Handover,
    states=tuple(STATE_LABELS),
    initial="proposed",
    creation_trigger="propose",
    transitions=(
        TransitionSpec(
            "accept",
            ("proposed",),
            "accepted",
            frozenset({SUCCESSOR}),
            AcceptHandoverFields,
            _accept,
        ),
        TransitionSpec(
            "decline",
            ("proposed",),
            "declined",
            frozenset({SUCCESSOR}),
            DeclineHandoverFields,
            _decline,
        ),
        TransitionSpec(
            "withdraw",
            ("proposed", "accepted"),
            "withdrawn",
            frozenset({REFERENT}),
            WithdrawHandoverFields,
            _withdraw,
        ),
        TransitionSpec(
            "confirm",
            ("accepted",),
            "completed",
            frozenset({SUCCESSOR}),
            ConfirmHandoverFields,
            _confirm,
            guard=_meeting_passed,
        ),
    ),
    timers={
        "proposed": (
            TimerSpec(TimerKind.REMINDER, 3, SUCCESSOR),
            TimerSpec(TimerKind.ESCALATION, 5, COORDINATORS),
        ),
        "accepted": (
            TimerSpec(TimerKind.REMINDER, 2, SUCCESSOR, anchor="first_meeting_at"),
            TimerSpec(TimerKind.ESCALATION, 5, COORDINATORS, anchor="first_meeting_at"),
        ),
    },
    parties={REFERENT: Handover.from_organisation_id, SUCCESSOR: Handover.to_organisation_id},
    territory=Handover.territory,
    describe=_describe,
    state_labels=STATE_LABELS,
    case_label="passage de relais",
    waiting_on={
        "proposed": Waiting(SUCCESSOR, "accepter ou refuser le passage de relais"),
        "accepted": Waiting(SUCCESSOR, "confirmer que la première rencontre a eu lieu"),
    },
)
