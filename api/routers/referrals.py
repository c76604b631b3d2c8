"""Referrals (orientations): create, list, read and one endpoint per human trigger."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import ActorDep, Cursor, NowDep, PathId, ReadDep, SessionDep
from api.errors import error_responses
from api.openapi import state_schema
from api.schemas import ReferralPage, ReferralRead, ReferralSummary
from api.triggers import add_trigger_routes, case_read
from core.errors import UnknownReference
from services import referral_service
from services.cases import Box
from states.referral import REFERRAL
from states.referral_fields import ReferralCreate

router = APIRouter(prefix="/api/referrals", tags=["orientations"])

StateFilter = Annotated[
    str | None,
    Query(max_length=32, description="Filtrer par état.", json_schema_extra=state_schema(REFERRAL)),
]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ReferralRead,
    responses=error_responses(400, 401, 403, 409, 422, refusals=(UnknownReference,)),
)
async def create_referral(
    body: ReferralCreate, actor: ActorDep, session: SessionDep, now: NowDep
) -> ReferralRead:
    """Orient a person to an offer; sent at once unless ``submit`` is false."""
    return case_read(
        ReferralRead, await referral_service.create_referral(session, actor, body, now)
    )


@router.get("", response_model=ReferralPage, responses=error_responses(401, 422))
async def list_referrals(
    actor: ActorDep,
    session: SessionDep,
    read: ReadDep,
    now: NowDep,
    box: Box | None = None,
    state: StateFilter = None,
    overdue: bool | None = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> ReferralPage:
    """Referrals the caller's organisation sent (``box=sent``) or received (``box=received``);
    each listed person's data is a logged read."""
    page = await referral_service.list_referrals(
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
    return ReferralPage(
        items=[ReferralSummary.model_validate(item) for item in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/{referral_id}", response_model=ReferralRead, responses=error_responses(401, 404, 422))
async def get_referral(
    referral_id: PathId, actor: ActorDep, session: SessionDep, read: ReadDep
) -> ReferralRead:
    """A referral with its timeline and the caller's allowed actions (the read is logged)."""
    view = await referral_service.get_referral(session, actor, referral_id, read=read)
    return case_read(ReferralRead, view)


add_trigger_routes(router, REFERRAL, ReferralRead, referral_service.DETAILS, id_name="referral_id")
