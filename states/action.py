"""Action items of approved decisions, chased like referrals until done."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import get_kept
from core.enums import LabelledEnum, MessageKey, TimerKind
from core.models import ActionItem, Committee, Decision, Organisation
from states.decision import SECRETARIAT, SECRETARIAT_LABELS, SECRETARIAT_ROLE_SIDES
from states.fields import Comment, Payload
from states.lifecycle import (
    COORDINATORS,
    Creation,
    Lifecycle,
    Notice,
    TimerSpec,
    TransitionSpec,
    Waiting,
)

OWNER = "owner"


class ActionState(LabelledEnum):
    """Where an action item stands."""

    OPEN = "open", "à faire"
    DONE = "done", "faite"


class DoneFields(Payload):
    """``done``: the action was carried out; a note may say how."""

    note: Comment | None = Field(default=None, title="Note")


async def _describe(session: AsyncSession, item: Any) -> dict[str, Any]:
    """What an email may say of an action item: references, committee, owner and due date.

    Never its title nor its decision's: free text typed by a person stays behind the login.
    """
    owner = await get_kept(session, Organisation, item.owner_organisation_id)
    decision = await get_kept(session, Decision, item.decision_id)
    committee = await get_kept(session, Committee, decision.committee_id)
    return {
        "committee": committee.name,
        "reference": item.reference,
        "decision_reference": decision.reference,
        "owner_organisation": owner.name,
        "due_on": item.due_on.isoformat(),
        "state": item.state,
        "state_label": ActionState(item.state).label,
        "subject_line": f"décision {decision.reference} du {committee.name}, pour {owner.name}",
        "path": ACTION.case_path(item.id),
    }


ACTION = Lifecycle(
    name="action",
    reference_prefix="AC",
    model=ActionItem,
    state_enum=ActionState,
    initial=ActionState.OPEN,
    creation=Creation(
        trigger="assign",
        label="Attribution",
        notices=(Notice(message=MessageKey.ACTION_ASSIGNED, to=OWNER),),
    ),
    transitions=(
        TransitionSpec(
            trigger="done",
            label="Marquer comme faite",
            sources=(ActionState.OPEN,),
            dest=ActionState.DONE,
            sides=frozenset({OWNER, SECRETARIAT}),
            payload=DoneFields,
            copies={"note": "done_note"},
        ),
    ),
    timers={
        ActionState.OPEN: (
            TimerSpec(kind=TimerKind.REMINDER, business_days=0, target=OWNER, anchor="due_at"),
            TimerSpec(
                kind=TimerKind.ESCALATION, business_days=5, target=COORDINATORS, anchor="due_at"
            ),
        ),
    },
    parties={OWNER: ActionItem.owner_organisation_id},
    territory=ActionItem.territory,
    case_label="action",
    list_label="Actions",
    dashboard_label="Actions des comités",
    path="/actions",
    describe=_describe,
    role_sides=SECRETARIAT_ROLE_SIDES,
    side_labels=SECRETARIAT_LABELS,
    waiting_on={
        ActionState.OPEN: Waiting(
            side=OWNER, action="réaliser l'action puis la marquer comme faite"
        )
    },
)
