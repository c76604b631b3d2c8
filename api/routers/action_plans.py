"""The year's action plan: draft it, change its items, move it along, read the plan of a year."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, status

from api.deps import ActorDep, NowDep, PathId, SessionDep
from api.errors import error_responses
from api.schemas import OrganisationRef, Read
from core.enums import PlanAxis
from core.errors import UnknownReference
from services import action_plan_service
from services.action_plan_service import PlanView
from services.governance_inputs import ActionPlanCreate, ActionPlanItemCreate

router = APIRouter(prefix="/api/action-plans", tags=["plan d'action"])

Year = Annotated[int, Query(ge=2000, le=2999, description="Année du plan.")]
Trigger = Annotated[str, Path(max_length=32, pattern=r"^[a-z_]+$")]


class DecisionRef(Read):
    """The committee decision an item comes from."""

    id: int
    reference: str
    title: str


class ActionPlanItemRead(Read):
    """An item of the plan."""

    id: int
    title: str
    sub_axis: PlanAxis
    lead_organisation: OrganisationRef
    due_on: date
    decision: DecisionRef
    target_indicator: str | None
    target_value: float | None


class ActionPlanRead(Read):
    """A year's action plan, its items and what the caller may do with it."""

    id: int
    reference: str
    year: int
    state: str
    state_label: str
    is_plan_of_the_year: bool
    revises_id: int | None
    return_reason: str | None
    validated_at: datetime | None
    validation_meeting_id: int | None
    created_at: datetime
    items: list[ActionPlanItemRead]
    allowed_actions: list[str]


class YearPlansRead(Read):
    """The plan of a year (validated by the comité de pilotage) and the one in preparation."""

    year: int
    plan_of_the_year: ActionPlanRead | None
    in_preparation: ActionPlanRead | None


def _read(view: PlanView | None) -> ActionPlanRead | None:
    if view is None:
        return None
    plan = view.plan
    return ActionPlanRead.model_validate(
        {
            **{
                key: getattr(plan, key)
                for key in ActionPlanRead.model_fields
                if hasattr(plan, key) and key != "items"
            },
            "state_label": view.state_label,
            "is_plan_of_the_year": view.is_plan_of_the_year,
            "items": view.items,
            "allowed_actions": view.allowed_actions,
        }
    )


def _one(view: PlanView) -> ActionPlanRead:
    read = _read(view)
    assert read is not None
    return read


@router.get("", response_model=YearPlansRead, responses=error_responses(401, 403, 422))
async def year_plans(actor: ActorDep, session: SessionDep, year: Year) -> YearPlansRead:
    """The plan of ``year``, if the comité de pilotage validated one, and the plan being
    prepared for it, if any."""
    validated, preparing = await action_plan_service.year_plans(session, actor, year)
    return YearPlansRead(
        year=year, plan_of_the_year=_read(validated), in_preparation=_read(preparing)
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ActionPlanRead,
    responses=error_responses(401, 403, 409, 422, refusals=(UnknownReference,)),
)
async def create_plan(
    body: ActionPlanCreate, actor: ActorDep, session: SessionDep, now: NowDep
) -> ActionPlanRead:
    """Open the draft of a year's plan (coordination, secretariat)."""
    return _one(await action_plan_service.create_plan(session, actor, body.year, now))


@router.get(
    "/{plan_id}", response_model=ActionPlanRead, responses=error_responses(401, 403, 404, 422)
)
async def get_plan(plan_id: PathId, actor: ActorDep, session: SessionDep) -> ActionPlanRead:
    """One plan with its items."""
    return _one(await action_plan_service.get_plan(session, actor, plan_id))


@router.post(
    "/{plan_id}/items",
    status_code=status.HTTP_201_CREATED,
    response_model=ActionPlanRead,
    responses=error_responses(401, 403, 404, 409, 422, refusals=(UnknownReference,)),
)
async def add_item(
    plan_id: PathId, body: ActionPlanItemCreate, actor: ActorDep, session: SessionDep, now: NowDep
) -> ActionPlanRead:
    """Add an item to a draft plan, drafted from an approved committee decision."""
    return _one(await action_plan_service.add_item(session, actor, plan_id, body, now))


@router.delete(
    "/{plan_id}/items/{item_id}",
    response_model=ActionPlanRead,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def remove_item(
    plan_id: PathId, item_id: PathId, actor: ActorDep, session: SessionDep
) -> ActionPlanRead:
    """Remove an item from a draft plan."""
    return _one(await action_plan_service.remove_item(session, actor, plan_id, item_id))


@router.post(
    "/{plan_id}/{trigger}",
    response_model=ActionPlanRead,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def fire(
    plan_id: PathId,
    trigger: Trigger,
    actor: ActorDep,
    session: SessionDep,
    now: NowDep,
    body: Annotated[dict[str, Any] | None, Body()] = None,
) -> ActionPlanRead:
    """Fire a trigger: ``submit``; ``return_for_revision`` and ``revise`` (``reason``);
    ``validate`` (``meeting_id``, a past meeting of the comité de pilotage)."""
    view = await action_plan_service.fire_plan(session, actor, plan_id, trigger, body, now)
    return _one(view)
