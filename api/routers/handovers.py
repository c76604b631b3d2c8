"""Handovers (passages de relais): proposed, listed, read and moved along."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import ActorDep, Cursor, NowDep, PathId, ReadDep, SessionDep
from api.errors import error_responses
from api.handover_schemas import HandoverPage, HandoverRead, HandoverSummary
from api.openapi import state_schema
from api.triggers import add_trigger_routes, case_read
from core.errors import UnknownReference
from services import handover_service
from services.cases import Box
from services.handover_service import HandoverCreate
from states.handover import HANDOVER

router = APIRouter(prefix="/api/handovers", tags=["passages de relais"])

StateFilter = Annotated[
    str | None,
    Query(max_length=32, description="Filtrer par état.", json_schema_extra=state_schema(HANDOVER)),
]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=HandoverRead,
    responses=error_responses(400, 401, 403, 404, 409, 422, refusals=(UnknownReference,)),
)
async def propose_handover(
    body: HandoverCreate, actor: ActorDep, session: SessionDep, now: NowDep
) -> HandoverRead:
    """The current référent proposes to hand the person over to another organisation."""
    view = await handover_service.propose_handover(session, actor, body, now)
    return case_read(HandoverRead, view)


@router.get("", response_model=HandoverPage, responses=error_responses(401, 422))
async def list_handovers(
    actor: ActorDep,
    session: SessionDep,
    read: ReadDep,
    now: NowDep,
    box: Box | None = None,
    state: StateFilter = None,
    overdue: bool | None = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> HandoverPage:
    """Handovers the caller's organisation proposed (``sent``) or was offered (``received``);
    each listed person's data is a logged read."""
    page = await handover_service.list_handovers(
        session,
        actor,
        now,
        box=box,
        state=state,
        overdue=overdue,
        cursor=cursor,
        limit=limit,
        read=read,
    )
    return HandoverPage(
        items=[HandoverSummary.model_validate(item) for item in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/{handover_id}", response_model=HandoverRead, responses=error_responses(401, 404, 422))
async def get_handover(
    handover_id: PathId, actor: ActorDep, session: SessionDep, read: ReadDep
) -> HandoverRead:
    """A handover with its timeline and the caller's allowed actions (the read is logged)."""
    view = await handover_service.get_handover(session, actor, handover_id, read=read)
    return case_read(HandoverRead, view)


add_trigger_routes(router, HANDOVER, HandoverRead, handover_service.DETAILS, id_name="handover_id")
