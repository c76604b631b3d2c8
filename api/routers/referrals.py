"""Referrals (orientations): create, list, read and one endpoint per human trigger."""

# No ``from __future__ import annotations`` here: the trigger endpoints are built in a loop
# and FastAPI must see each one's payload class as a real annotation.

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, status
from pydantic import BaseModel

from api.deps import ActorDep, Cursor, NowDep, PathId, SessionDep
from api.errors import error_responses
from api.schemas import ReferralPage, ReferralRead, ReferralSummary
from states import referral_service
from states.cases import CaseView
from states.lifecycle import EmptyPayload, TransitionSpec
from states.referral import REFERRAL, ReferralCreate
from states.referral_service import Box

router = APIRouter(prefix="/api/referrals", tags=["orientations"])

StateFilter = Annotated[str | None, Query(max_length=32, description="Filtrer par état.")]


def _read(view: CaseView) -> ReferralRead:
    return ReferralRead.model_validate(
        {
            **{
                key: getattr(view.case, key)
                for key in ReferralRead.model_fields
                if key not in {"events", "allowed_actions"}
            },
            "events": view.events,
            "allowed_actions": view.allowed_actions,
        },
        from_attributes=True,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ReferralRead,
    responses=error_responses(400, 401, 403, 409, 422),
)
async def create_referral(
    body: ReferralCreate, actor: ActorDep, session: SessionDep, now: NowDep
) -> ReferralRead:
    """Orient a person to an offer; sent at once unless ``submit`` is false."""
    return _read(await referral_service.create_referral(session, actor, body, now))


@router.get("", response_model=ReferralPage, responses=error_responses(401, 422))
async def list_referrals(
    actor: ActorDep,
    session: SessionDep,
    now: NowDep,
    box: Box | None = None,
    state: StateFilter = None,
    overdue: bool | None = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> ReferralPage:
    """Referrals the caller's organisation sent (``box=sent``) or received (``box=received``)."""
    page = await referral_service.list_referrals(
        session, actor, now, box=box, state=state, overdue=overdue, cursor=cursor, limit=limit
    )
    return ReferralPage(
        items=[ReferralSummary.model_validate(item) for item in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/{referral_id}", response_model=ReferralRead, responses=error_responses(401, 404, 422))
async def get_referral(referral_id: PathId, actor: ActorDep, session: SessionDep) -> ReferralRead:
    """A referral with its timeline and the caller's allowed actions."""
    return _read(await referral_service.get_referral(session, actor, referral_id))


def _trigger_endpoint(spec: TransitionSpec) -> Callable[..., Awaitable[ReferralRead]]:
    payload_class: Any = spec.payload
    has_required = any(field.is_required() for field in spec.payload.model_fields.values())

    async def endpoint(
        referral_id: PathId,
        actor: ActorDep,
        session: SessionDep,
        now: NowDep,
        fields: Annotated[payload_class | None, Body()] = None,
    ) -> ReferralRead:
        body: BaseModel = fields if fields is not None else EmptyPayload()
        view = await referral_service.fire_referral(
            session, actor, referral_id, spec.trigger, None if fields is None else body, now
        )
        return _read(view)

    if has_required:

        async def endpoint_with_body(
            referral_id: PathId,
            fields: Annotated[payload_class, Body()],
            actor: ActorDep,
            session: SessionDep,
            now: NowDep,
        ) -> ReferralRead:
            view = await referral_service.fire_referral(
                session, actor, referral_id, spec.trigger, fields, now
            )
            return _read(view)

        return endpoint_with_body
    return endpoint


for _spec in REFERRAL.transitions:
    if _spec.is_system:
        continue
    router.add_api_route(
        f"/{{referral_id}}/{_spec.trigger}",
        _trigger_endpoint(_spec),
        methods=["POST"],
        response_model=ReferralRead,
        responses=error_responses(400, 401, 403, 404, 409, 422),
        name=f"referral_{_spec.trigger}",
        summary=f"Action « {_spec.trigger} » sur une orientation",
        description=(_spec.payload.__doc__ or "").strip(),
    )
