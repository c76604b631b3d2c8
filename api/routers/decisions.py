"""Decision items of the committees, their action items, case reviews and the action plan."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Response, status

from api.deps import ActorDep, Cursor, NowDep, PathId, SessionDep
from api.errors import error_responses
from api.governance_schemas import (
    ActionPlanRead,
    ActionRead,
    DecisionPage,
    DecisionRead,
    DecisionSummary,
)
from api.openapi import state_schema
from api.triggers import add_trigger_routes, case_read
from core.db import MAX_ID
from core.enums import DecisionKind, PlanAxis
from core.errors import UnknownReference
from services import decision_service, governance_reports
from services.documents import action_plan_csv
from services.governance_inputs import ActionCreate, CaseReviewCreate, DecisionCreate
from states.decision import DECISION

router = APIRouter(tags=["décisions"])
decisions = APIRouter(prefix="/api/decisions")

StateFilter = Annotated[
    str | None,
    Query(max_length=32, description="Filtrer par état.", json_schema_extra=state_schema(DECISION)),
]
Year = Annotated[int, Query(ge=2000, le=2999, description="Année (heure de Paris).")]


@decisions.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DecisionRead,
    responses=error_responses(400, 401, 403, 422, refusals=(UnknownReference,)),
)
async def propose_decision(
    body: DecisionCreate, actor: ActorDep, session: SessionDep, now: NowDep
) -> DecisionRead:
    """Put an item to a committee on behalf of the caller's organisation."""
    view = await decision_service.propose_decision(
        session,
        actor,
        committee_id=body.committee_id,
        title=body.title,
        description=body.description,
        kind=body.kind,
        axis=body.axis,
        now=now,
    )
    return case_read(DecisionRead, view)


@decisions.get("", response_model=DecisionPage, responses=error_responses(401, 422))
async def list_decisions(
    actor: ActorDep,
    session: SessionDep,
    now: NowDep,
    committee_id: Annotated[int | None, Query(gt=0, le=MAX_ID)] = None,
    state: StateFilter = None,
    axis: PlanAxis | None = None,
    kind: DecisionKind | None = None,
    year: Year | None = None,
    overdue: bool | None = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> DecisionPage:
    """Decision items, newest first; ``year`` is the year they were proposed."""
    page = await decision_service.list_decisions(
        session,
        actor,
        now,
        committee_id=committee_id,
        state=state,
        axis=axis,
        kind=kind,
        year=year,
        overdue=overdue,
        cursor=cursor,
        limit=limit,
    )
    return DecisionPage(
        items=[DecisionSummary.model_validate(item) for item in page.items],
        next_cursor=page.next_cursor,
    )


@decisions.get(
    "/{decision_id}", response_model=DecisionRead, responses=error_responses(401, 404, 422)
)
async def get_decision(decision_id: PathId, actor: ActorDep, session: SessionDep) -> DecisionRead:
    """A decision item with its timeline and the caller's allowed actions."""
    return case_read(DecisionRead, await decision_service.get_decision(session, actor, decision_id))


@decisions.post(
    "/{decision_id}/actions",
    status_code=status.HTTP_201_CREATED,
    response_model=ActionRead,
    responses=error_responses(400, 401, 403, 404, 409, 422, refusals=(UnknownReference,)),
)
async def assign_action(
    decision_id: PathId, body: ActionCreate, actor: ActorDep, session: SessionDep, now: NowDep
) -> ActionRead:
    """Give an approved decision an action item (secretariat)."""
    view = await decision_service.assign_action(
        session,
        actor,
        decision_id,
        owner_organisation_id=body.owner_organisation_id,
        title=body.title,
        due_on=body.due_on,
        now=now,
    )
    return case_read(ActionRead, view)


add_trigger_routes(
    decisions, DECISION, DecisionRead, decision_service.DETAILS, id_name="decision_id"
)
router.include_router(decisions)


@router.post(
    "/api/referrals/{referral_id}/review",
    status_code=status.HTTP_201_CREATED,
    response_model=DecisionRead,
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
async def review_case(
    referral_id: PathId,
    actor: ActorDep,
    session: SessionDep,
    now: NowDep,
    body: Annotated[CaseReviewCreate | None, Body()] = None,
) -> DecisionRead:
    """Bring a referral to the comité technique as a ``case_review`` item (coordinators)."""
    fields = body or CaseReviewCreate()
    view = await decision_service.review_case(
        session, actor, referral_id, axis=fields.axis, now=now
    )
    return case_read(DecisionRead, view)


def _csv_document() -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}


@router.get(
    "/api/action-plan",
    response_model=ActionPlanRead,
    responses={**_csv_document(), **error_responses(401, 403, 422)},
)
async def action_plan(
    actor: ActorDep,
    session: SessionDep,
    now: NowDep,
    year: Year,
    output: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
) -> Any:
    """The year's approved action plan decisions by axis, with their action items' status.

    ``format=csv`` gives a spreadsheet: one row per action item, or per decision without any.
    """
    plan = await governance_reports.action_plan(session, actor, year, now)
    if output == "csv":
        return Response(
            action_plan_csv(plan),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="plan-action-{year}.csv"'},
        )
    return ActionPlanRead.model_validate(plan)
