"""The committee decision lifecycle, declared as data.

Any partner (or a coordinator) proposes an item; the secretariat schedules it on a planned
meeting of its committee, records after the meeting whether it was approved, rejected or
adjourned, and publishes it with the minutes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import get_kept
from core.enums import LabelledEnum, MessageKey, Role, TimerKind
from core.errors import InvalidInput, TransitionNotAllowed
from core.french_dates import french_datetime
from core.models import Committee, Decision, Meeting, Organisation
from states.fields import Id, LongText, Payload
from states.lifecycle import (
    COORDINATORS,
    Creation,
    Lifecycle,
    Notice,
    TimerSpec,
    TransitionSpec,
    Waiting,
)

PROPOSER = "proposer"
SECRETARIAT = "secretariat"
SECRETARIAT_ONLY = frozenset({SECRETARIAT})
SECRETARIAT_ROLE_SIDES = {Role.SECRETARY: SECRETARIAT}
"""The committees' secretariat is a side held by role: every secretary stands on it."""
SECRETARIAT_LABELS = {SECRETARIAT: "Secrétariat des comités"}


class DecisionState(LabelledEnum):
    """Where an item put to a committee stands."""

    PROPOSED = "proposed", "proposée"
    SCHEDULED = "scheduled", "inscrite à l'ordre du jour"
    ADJOURNED = "adjourned", "ajournée"
    APPROVED = "approved", "adoptée"
    REJECTED = "rejected", "rejetée"
    PUBLISHED = "published", "publiée"


class ScheduleFields(Payload):
    """``schedule``: the planned meeting of the item's committee where it will be decided."""

    meeting_id: Id = Field(title="Réunion")


class DecideFields(Payload):
    """``approve`` / ``reject`` / ``adjourn``: what the meeting said, in a few lines."""

    decision_text: LongText | None = Field(default=None, title="Décision prise (quelques lignes)")


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
        return (
            "La réunion n'a pas encore eu lieu : possible à partir du "
            f"{french_datetime(decision.meeting_at)}."
        )
    return None


def _record_outcome(outcome: str) -> Any:
    async def record(
        session: AsyncSession, decision: Any, fields: BaseModel, now: datetime
    ) -> None:
        decision.decided_at = now
        decision.outcome = outcome

    return record


async def _adjourn(session: AsyncSession, decision: Any, fields: BaseModel, now: datetime) -> None:
    decision.meeting_id = None
    decision.meeting_at = None


async def _publish(session: AsyncSession, decision: Any, fields: BaseModel, now: datetime) -> None:
    meeting = await session.get(Meeting, decision.meeting_id) if decision.meeting_id else None
    if meeting is None or not (meeting.minutes or "").strip():
        raise TransitionNotAllowed(
            "Enregistrez d'abord le compte rendu de la réunion, puis publiez la décision.",
            allowed_actions=["publish"],
        )
    # The decision goes out with the minutes: from then on they are frozen (amendments only).
    if meeting.minutes_published_at is None:
        meeting.minutes_published_at = now


async def _describe(session: AsyncSession, decision: Any) -> dict[str, Any]:
    """What an email may say of an item: its reference, committee and axis, never free text.

    A title, a description or a decision's text is typed by a person and may name someone:
    it stays behind the login.
    """
    committee = await get_kept(session, Committee, decision.committee_id)
    proposer = await get_kept(session, Organisation, decision.proposer_organisation_id)
    return {
        "reference": decision.reference,
        "committee": committee.name,
        "proposer_organisation": proposer.name,
        "axis": decision.axis.value,
        "axis_label": decision.axis.label,
        "state": decision.state,
        "state_label": DecisionState(decision.state).label,
        "subject_line": committee.name,
        "path": DECISION.case_path(decision.id),
        "meeting_at": decision.meeting_at.isoformat() if decision.meeting_at else None,
    }


WAITING_SCHEDULE = Waiting(
    side=SECRETARIAT, action="inscrire la proposition à l'ordre du jour d'une réunion"
)

S = DecisionState
TO_PROPOSER = {
    key: (Notice(message=key, to=PROPOSER),)
    for key in (
        MessageKey.DECISION_SCHEDULED,
        MessageKey.DECISION_DECIDED,
        MessageKey.DECISION_ADJOURNED,
        MessageKey.DECISION_PUBLISHED,
    )
}
WAITING_TIMERS = (
    TimerSpec(kind=TimerKind.REMINDER, business_days=20, target=SECRETARIAT),
    TimerSpec(kind=TimerKind.ESCALATION, business_days=30, target=COORDINATORS),
)

PUBLISHING_TIMERS = (
    TimerSpec(kind=TimerKind.REMINDER, business_days=5, target=SECRETARIAT),
    TimerSpec(kind=TimerKind.ESCALATION, business_days=10, target=COORDINATORS),
)
WAITING_PUBLICATION = Waiting(
    side=SECRETARIAT, action="publier la décision avec le compte rendu de la réunion"
)


def _deciding(trigger: str, label: str, dest: DecisionState) -> TransitionSpec:
    """``approve`` or ``reject``: what the meeting said, recorded after it."""
    return TransitionSpec(
        trigger=trigger,
        label=label,
        sources=(S.SCHEDULED,),
        dest=dest,
        sides=SECRETARIAT_ONLY,
        payload=DecideFields,
        copies={"decision_text": "decision_text"},
        effect=_record_outcome(dest.value),
        guard=_after_meeting,
        notices=TO_PROPOSER[MessageKey.DECISION_DECIDED],
    )


DECISION = Lifecycle(
    name="decision",
    reference_prefix="DC",
    model=Decision,
    state_enum=DecisionState,
    initial=S.PROPOSED,
    creation=Creation(
        trigger="propose",
        label="Proposition",
        notices=(Notice(message=MessageKey.DECISION_PROPOSED, to=SECRETARIAT),),
    ),
    transitions=(
        TransitionSpec(
            trigger="schedule",
            label="Inscrire à l'ordre du jour",
            sources=(S.PROPOSED, S.ADJOURNED),
            dest=S.SCHEDULED,
            sides=SECRETARIAT_ONLY,
            payload=ScheduleFields,
            effect=_schedule,
            notices=TO_PROPOSER[MessageKey.DECISION_SCHEDULED],
        ),
        _deciding("approve", "Adopter", S.APPROVED),
        _deciding("reject", "Rejeter", S.REJECTED),
        TransitionSpec(
            trigger="adjourn",
            label="Ajourner",
            sources=(S.SCHEDULED,),
            dest=S.ADJOURNED,
            sides=SECRETARIAT_ONLY,
            payload=DecideFields,
            copies={"decision_text": "decision_text"},
            effect=_adjourn,
            guard=_after_meeting,
            notices=TO_PROPOSER[MessageKey.DECISION_ADJOURNED],
        ),
        TransitionSpec(
            trigger="publish",
            label="Publier avec le compte rendu",
            sources=(S.APPROVED, S.REJECTED),
            dest=S.PUBLISHED,
            sides=SECRETARIAT_ONLY,
            payload=PublishFields,
            effect=_publish,
            notices=TO_PROPOSER[MessageKey.DECISION_PUBLISHED],
        ),
    ),
    timers={
        S.PROPOSED: WAITING_TIMERS,
        # Not in DESIGN.md's table: an adjourned item waits to be scheduled again, like a
        # proposed one, so it gets the same deadlines rather than none.
        S.ADJOURNED: WAITING_TIMERS,
        # Not in DESIGN.md's table either: a decision taken but not published leaves its
        # proposer without an answer, so the secretariat is chased to publish it.
        S.APPROVED: PUBLISHING_TIMERS,
        S.REJECTED: PUBLISHING_TIMERS,
        S.SCHEDULED: (
            TimerSpec(
                kind=TimerKind.REMINDER, business_days=2, target=SECRETARIAT, anchor="meeting_at"
            ),
            TimerSpec(
                kind=TimerKind.ESCALATION,
                business_days=5,
                target=COORDINATORS,
                anchor="meeting_at",
            ),
        ),
    },
    parties={PROPOSER: Decision.proposer_organisation_id},
    territory=Decision.territory,
    case_label="décision",
    list_label="Décisions",
    dashboard_label="Propositions aux comités",
    path="/decisions",
    describe=_describe,
    role_sides=SECRETARIAT_ROLE_SIDES,
    side_labels=SECRETARIAT_LABELS,
    coordinator_override=False,
    waiting_on={
        S.PROPOSED: WAITING_SCHEDULE,
        S.ADJOURNED: WAITING_SCHEDULE,
        S.SCHEDULED: Waiting(side=SECRETARIAT, action="enregistrer la décision prise en réunion"),
        S.APPROVED: WAITING_PUBLICATION,
        S.REJECTED: WAITING_PUBLICATION,
    },
)
