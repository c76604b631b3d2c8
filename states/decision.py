"""The committee decision lifecycle, declared as data.

Any partner (or a coordinator) proposes an item; the secretariat schedules it on a planned
meeting of its committee, records after the meeting whether it was approved, rejected or
adjourned, and publishes it with the minutes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import get_kept
from core.enums import PLAN_AXIS_LABELS, Role, TimerKind
from core.errors import InvalidInput, TransitionNotAllowed
from core.models import Committee, Decision, Meeting, Organisation
from states.fields import Id, LongText, Payload
from states.lifecycle import COORDINATORS, Lifecycle, TimerSpec, TransitionSpec, Waiting

PROPOSER = "proposer"
SECRETARIAT = "secretariat"
SECRETARIAT_ONLY = frozenset({SECRETARIAT})
SECRETARIAT_ROLE_SIDES = {Role.SECRETARY: SECRETARIAT}
"""The committees' secretariat is a side held by role: every secretary stands on it."""
SECRETARIAT_LABELS = {SECRETARIAT: "Secrétariat des comités"}


class ScheduleFields(Payload):
    """``schedule``: the planned meeting of the item's committee where it will be decided."""

    meeting_id: Id


class DecideFields(Payload):
    """``approve`` / ``reject`` / ``adjourn``: what the meeting said, in a few lines."""

    decision_text: LongText | None = None


class PublishFields(Payload):
    """``publish``: the decision goes out with the meeting's minutes."""


async def _schedule(session: AsyncSession, decision: Any, fields: BaseModel, now: datetime) -> None:
    assert isinstance(fields, ScheduleFields)
    meeting = await session.get(Meeting, fields.meeting_id)
    if meeting is None or meeting.committee_id != decision.committee_id:
        raise InvalidInput(
            f"La réunion {fields.meeting_id} n'est pas une réunion du comité de cette proposition.",
            field="meeting_id",
        )
    if meeting.starts_at <= now:
        raise InvalidInput(
            "Choisissez une réunion à venir : celle-ci a déjà eu lieu.", field="meeting_id"
        )
    decision.meeting_id = meeting.id
    decision.meeting_at = meeting.starts_at


def _after_meeting(decision: Any, now: datetime) -> str | None:
    if decision.meeting_at is not None and now < decision.meeting_at:
        return "La réunion n'a pas encore eu lieu : la décision s'enregistre après elle."
    return None


def _record_outcome(outcome: str) -> Any:
    async def record(
        session: AsyncSession, decision: Any, fields: BaseModel, now: datetime
    ) -> None:
        assert isinstance(fields, DecideFields)
        decision.decision_text = fields.decision_text
        decision.decided_at = now
        decision.outcome = outcome

    return record


async def _adjourn(session: AsyncSession, decision: Any, fields: BaseModel, now: datetime) -> None:
    assert isinstance(fields, DecideFields)
    decision.decision_text = fields.decision_text
    decision.meeting_id = None
    decision.meeting_at = None


async def _publish(session: AsyncSession, decision: Any, fields: BaseModel, now: datetime) -> None:
    meeting = await session.get(Meeting, decision.meeting_id) if decision.meeting_id else None
    if meeting is None or not (meeting.minutes or "").strip():
        raise TransitionNotAllowed(
            "Enregistrez d'abord le compte rendu de la réunion, puis publiez la décision.",
            allowed_actions=["publish"],
        )


async def _describe(session: AsyncSession, decision: Any) -> dict[str, Any]:
    committee = await get_kept(session, Committee, decision.committee_id)
    proposer = await get_kept(session, Organisation, decision.proposer_organisation_id)
    return {
        "reference": decision.reference,
        "title": decision.title,
        "committee": committee.name,
        "proposer_organisation": proposer.name,
        "axis": decision.axis.value,
        "axis_label": PLAN_AXIS_LABELS[decision.axis],
        "state": decision.state,
        "state_label": STATE_LABELS[decision.state],
        "subject_line": f"« {decision.title} », {committee.name}",
        "path": f"/decisions/{decision.id}",
        "meeting_at": decision.meeting_at.isoformat() if decision.meeting_at else None,
    }


STATE_LABELS = {
    "proposed": "proposée",
    "scheduled": "inscrite à l'ordre du jour",
    "adjourned": "ajournée",
    "approved": "adoptée",
    "rejected": "rejetée",
    "published": "publiée",
}

WAITING_SCHEDULE = Waiting(SECRETARIAT, "inscrire la proposition à l'ordre du jour d'une réunion")

DECISION = Lifecycle(
    name="decision",
    reference_prefix="DC",
    model=Decision,
    states=tuple(STATE_LABELS),
    initial="proposed",
    creation_trigger="propose",
    transitions=(
        TransitionSpec(
            "schedule",
            ("proposed", "adjourned"),
            "scheduled",
            SECRETARIAT_ONLY,
            ScheduleFields,
            _schedule,
        ),
        TransitionSpec(
            "approve",
            ("scheduled",),
            "approved",
            SECRETARIAT_ONLY,
            DecideFields,
            _record_outcome("approved"),
            guard=_after_meeting,
        ),
        TransitionSpec(
            "reject",
            ("scheduled",),
            "rejected",
            SECRETARIAT_ONLY,
            DecideFields,
            _record_outcome("rejected"),
            guard=_after_meeting,
        ),
        TransitionSpec(
            "adjourn",
            ("scheduled",),
            "adjourned",
            SECRETARIAT_ONLY,
            DecideFields,
            _adjourn,
            guard=_after_meeting,
        ),
        TransitionSpec(
            "publish",
            ("approved", "rejected"),
            "published",
            SECRETARIAT_ONLY,
            PublishFields,
            _publish,
        ),
    ),
    timers={
        "proposed": (
            TimerSpec(TimerKind.REMINDER, 20, SECRETARIAT),
            TimerSpec(TimerKind.ESCALATION, 30, COORDINATORS),
        ),
        # Not in DESIGN.md's table: an adjourned item waits to be scheduled again, like a
        # proposed one, so it gets the same deadlines rather than none.
        "adjourned": (
            TimerSpec(TimerKind.REMINDER, 20, SECRETARIAT),
            TimerSpec(TimerKind.ESCALATION, 30, COORDINATORS),
        ),
        "scheduled": (
            TimerSpec(TimerKind.REMINDER, 2, SECRETARIAT, anchor="meeting_at"),
            TimerSpec(TimerKind.ESCALATION, 5, COORDINATORS, anchor="meeting_at"),
        ),
    },
    parties={PROPOSER: Decision.proposer_organisation_id},
    territory=Decision.territory,
    describe=_describe,
    state_labels=STATE_LABELS,
    case_label="décision",
    role_sides=SECRETARIAT_ROLE_SIDES,
    side_labels=SECRETARIAT_LABELS,
    visible_to_all=True,
    coordinator_override=False,
    waiting_on={
        "proposed": WAITING_SCHEDULE,
        "adjourned": WAITING_SCHEDULE,
        "scheduled": Waiting(SECRETARIAT, "enregistrer la décision prise en réunion"),
    },
)
