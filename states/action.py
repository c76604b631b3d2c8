"""Action items of approved decisions, chased like referrals until done."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import get_kept
from core.enums import TimerKind
from core.models import ActionItem, Committee, Decision, Organisation
from states.decision import SECRETARIAT, SECRETARIAT_LABELS, SECRETARIAT_ROLE_SIDES
from states.fields import Comment, Payload
from states.lifecycle import COORDINATORS, Lifecycle, TimerSpec, TransitionSpec, Waiting

OWNER = "owner"


class DoneFields(Payload):
    """``done``: the action was carried out; a note may say how."""

    note: Comment | None = None


async def _done(session: AsyncSession, item: Any, fields: BaseModel, now: datetime) -> None:
    assert isinstance(fields, DoneFields)
    item.done_note = fields.note


async def _describe(session: AsyncSession, item: Any) -> dict[str, Any]:
    owner = await get_kept(session, Organisation, item.owner_organisation_id)
    decision = await get_kept(session, Decision, item.decision_id)
    committee = await get_kept(session, Committee, decision.committee_id)
    return {
        "committee": committee.name,
        "reference": item.reference,
        "title": item.title,
        "decision_reference": decision.reference,
        "decision_title": decision.title,
        "owner_organisation": owner.name,
        "due_on": item.due_on.isoformat(),
        "state": item.state,
        "state_label": STATE_LABELS[item.state],
        "subject_line": f"« {item.title} », pour {owner.name}",
        "path": f"/actions/{item.id}",
    }


STATE_LABELS = {"open": "à faire", "done": "faite"}

ACTION = Lifecycle(
    name="action",
    reference_prefix="AC",
    model=ActionItem,
    states=tuple(STATE_LABELS),
    initial="open",
    creation_trigger="assign",
    transitions=(
        TransitionSpec(
            "done", ("open",), "done", frozenset({OWNER, SECRETARIAT}), DoneFields, _done
        ),
    ),
    timers={
        "open": (
            TimerSpec(TimerKind.REMINDER, 0, OWNER, anchor="due_at"),
            TimerSpec(TimerKind.ESCALATION, 5, COORDINATORS, anchor="due_at"),
        ),
    },
    parties={OWNER: ActionItem.owner_organisation_id},
    territory=ActionItem.territory,
    describe=_describe,
    state_labels=STATE_LABELS,
    case_label="action",
    role_sides=SECRETARIAT_ROLE_SIDES,
    side_labels=SECRETARIAT_LABELS,
    visible_to_all=True,
    waiting_on={"open": Waiting(OWNER, "réaliser l'action puis la marquer comme faite")},
)
