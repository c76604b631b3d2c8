"""The year's action plan, declared as data: drafted by the coordination from committee
decisions, submitted to the comité de pilotage, validated by it at a meeting.

A validated plan is « le plan de l'année ». To revise it, the comité de pilotage fires
``revise``: the plan goes ``under_revision`` and stays the plan of the year, while the
service opens a new draft (a copy of its items, ``revises_id``) that follows the same path;
when that draft is validated, relais fires ``supersede`` on the old one. So there is always
at most one plan of the year, and never a gap while a revision is discussed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import CommitteeKind, LabelledEnum, Role, TimerKind
from core.errors import InvalidInput, TransitionNotAllowed
from core.models import ActionPlan, ActionPlanItem, Committee, Meeting
from states.decision import SECRETARIAT
from states.fields import Id, LongText, Payload
from states.lifecycle import (
    COORDINATORS,
    SYSTEM,
    Creation,
    Lifecycle,
    TimerSpec,
    TransitionSpec,
    Waiting,
)

COORDINATION = "coordination"
"""The coordination of the plan drafts it: every coordinator stands on this side."""


class ActionPlanState(LabelledEnum):
    """Where a year's action plan stands."""

    DRAFT = "draft", "en préparation"
    SUBMITTED = "submitted", "soumis au comité de pilotage"
    VALIDATED = "validated", "validé"
    UNDER_REVISION = "under_revision", "validé, en cours de révision"
    SUPERSEDED = "superseded", "remplacé par une version révisée"


PLAN_OF_THE_YEAR = (ActionPlanState.VALIDATED.value, ActionPlanState.UNDER_REVISION.value)
"""The states of « le plan de l'année » (``core.models.action_plans.THE_PLAN_OF_THE_YEAR``)."""
EDITABLE = ActionPlanState.DRAFT.value
"""Items are added and removed only while the plan is a draft."""


class ValidateFields(Payload):
    """``validate``: the comité de pilotage meeting that validated the plan."""

    meeting_id: Id = Field(title="Réunion du comité de pilotage")


class ReasonFields(Payload):
    """``return_for_revision`` / ``revise``: what the comité de pilotage asks to change."""

    reason: LongText = Field(title="Motif")


async def _submit(session: AsyncSession, plan: Any, fields: BaseModel, now: datetime) -> None:
    items = await session.scalar(
        select(func.count()).select_from(ActionPlanItem).where(ActionPlanItem.plan_id == plan.id)
    )
    if not items:
        raise TransitionNotAllowed(
            "Ajoutez au moins une action au plan avant de le soumettre au comité de pilotage.",
            allowed_actions=["submit"],
        )


async def _validate(session: AsyncSession, plan: Any, fields: BaseModel, now: datetime) -> None:
    assert isinstance(fields, ValidateFields)
    meeting = await session.get(Meeting, fields.meeting_id)
    committee = await session.get(Committee, meeting.committee_id) if meeting else None
    if meeting is None or committee is None or committee.kind != CommitteeKind.PILOTAGE:
        raise InvalidInput(
            f"La réunion {fields.meeting_id} n'est pas une réunion du comité de pilotage.",
            field="meeting_id",
        )
    if meeting.starts_at > now:
        raise InvalidInput(
            "Cette réunion n'a pas encore eu lieu : le plan se valide après elle.",
            field="meeting_id",
        )
    plan.validated_at = now
    plan.validation_meeting_id = meeting.id


async def _describe(session: AsyncSession, plan: Any) -> dict[str, Any]:
    """What an email may say of a plan: its reference, year and state."""
    return {
        "reference": plan.reference,
        "year": plan.year,
        "state": plan.state,
        "state_label": ActionPlanState(plan.state).label,
        "subject_line": f"plan d'action {plan.year}",
        "path": ACTION_PLAN.case_path(plan.id),
    }


S = ActionPlanState
SECRETARIAT_ONLY = frozenset({SECRETARIAT})

ACTION_PLAN = Lifecycle(
    name="action_plan",
    reference_prefix="PA",
    model=ActionPlan,
    state_enum=ActionPlanState,
    initial=S.DRAFT,
    creation=Creation(trigger="draft", label="Préparation du plan"),
    transitions=(
        TransitionSpec(
            trigger="submit",
            label="Soumettre au comité de pilotage",
            sources=(S.DRAFT,),
            dest=S.SUBMITTED,
            sides=frozenset({COORDINATION, SECRETARIAT}),
            effect=_submit,
        ),
        TransitionSpec(
            trigger="return_for_revision",
            label="Renvoyer pour modification",
            sources=(S.SUBMITTED,),
            dest=S.DRAFT,
            sides=SECRETARIAT_ONLY,
            payload=ReasonFields,
            copies={"reason": "return_reason"},
        ),
        TransitionSpec(
            trigger="validate",
            label="Valider (comité de pilotage)",
            sources=(S.SUBMITTED,),
            dest=S.VALIDATED,
            sides=SECRETARIAT_ONLY,
            payload=ValidateFields,
            effect=_validate,
        ),
        TransitionSpec(
            trigger="revise",
            label="Réviser le plan",
            sources=(S.VALIDATED,),
            dest=S.UNDER_REVISION,
            sides=SECRETARIAT_ONLY,
            payload=ReasonFields,
        ),
        TransitionSpec(
            trigger="supersede",
            label="Remplacé par la version révisée validée",
            sources=(S.UNDER_REVISION,),
            dest=S.SUPERSEDED,
            sides=frozenset({SYSTEM}),
        ),
    ),
    timers={
        S.DRAFT: (
            TimerSpec(kind=TimerKind.REMINDER, business_days=20, target=COORDINATION),
            TimerSpec(kind=TimerKind.ESCALATION, business_days=30, target=COORDINATORS),
        ),
        S.SUBMITTED: (
            TimerSpec(kind=TimerKind.REMINDER, business_days=20, target=SECRETARIAT),
            TimerSpec(kind=TimerKind.ESCALATION, business_days=30, target=COORDINATORS),
        ),
    },
    parties={},
    territory=ActionPlan.territory,
    case_label="plan d'action",
    list_label="Plans d'action",
    path="/action-plans",
    describe=_describe,
    role_sides={Role.SECRETARY: SECRETARIAT, Role.COORDINATOR: COORDINATION},
    side_labels={SECRETARIAT: "Secrétariat des comités", COORDINATION: "Coordination du plan"},
    coordinator_override=False,
    waiting_on={
        S.DRAFT: Waiting(
            side=COORDINATION,
            action="compléter le plan d'action et le soumettre au comité de pilotage",
        ),
        S.SUBMITTED: Waiting(
            side=SECRETARIAT,
            action="faire valider le plan d'action par le comité de pilotage, ou le renvoyer",
        ),
    },
    waits_on_nobody={
        S.VALIDATED: (
            "Le plan validé s'applique : il n'attend personne. Sa révision est une demande "
            "du comité de pilotage, qu'aucun délai n'impose."
        ),
        S.UNDER_REVISION: (
            "Le plan reste celui de l'année pendant sa révision : c'est le nouveau brouillon "
            "qui attend la coordination et porte les relances."
        ),
    },
)
