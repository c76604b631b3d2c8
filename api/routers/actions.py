"""Action items of approved decisions, chased until done."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ActorDep, Cursor, NowDep, PathId, SessionDep
from api.errors import error_responses
from api.governance_schemas import ActionPage, ActionRead, ActionSummary
from api.openapi import state_schema
from api.triggers import add_trigger_routes, case_read
from core.db import MAX_ID
from services import decision_service
from states.action import ACTION

router = APIRouter(prefix="/api/actions", tags=["actions"])

IdFilter = Annotated[int | None, Query(gt=0, le=MAX_ID)]
StateFilter = Annotated[
    str | None,
    Query(max_length=32, description="Filtrer par état.", json_schema_extra=state_schema(ACTION)),
]


@router.get("", response_model=ActionPage, responses=error_responses(401, 422))
async def list_actions(
    actor: ActorDep,
    session: SessionDep,
    now: NowDep,
    decision_id: IdFilter = None,
    owner_organisation_id: IdFilter = None,
    state: StateFilter = None,
    overdue: bool | None = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> ActionPage:
    """Action items, newest first; ``overdue=true`` keeps those past their escalation time."""
    page = await decision_service.list_actions(
        session,
        actor,
        now,
        decision_id=decision_id,
        owner_organisation_id=owner_organisation_id,
        state=state,
        overdue=overdue,
        cursor=cursor,
        limit=limit,
    )
    return ActionPage(
        items=[ActionSummary.model_validate(item) for item in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/{action_id}", response_model=ActionRead, responses=error_responses(401, 404, 422))
async def get_action(action_id: PathId, actor: ActorDep, session: SessionDep) -> ActionRead:
    """An action item with its timeline and the caller's allowed actions."""
    return case_read(ActionRead, await decision_service.get_action(session, actor, action_id))


add_trigger_routes(router, ACTION, ActionRead, decision_service.ACTION_DETAILS, id_name="action_id")
