"""The insertion offer catalogue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import ActorDep, Cursor, NowDep, PathId, SessionDep
from api.errors import error_responses
from api.schemas import OfferPage, OfferRead
from core.db import MAX_ID, STORABLE_TEXT
from core.enums import OfferCategory, Territory
from core.models import Offer
from services import directory
from services.inputs import OfferCreate, OfferFields

router = APIRouter(prefix="/api/offers", tags=["offres"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=OfferRead,
    responses=error_responses(400, 401, 403, 422),
)
async def create_offer(
    body: OfferCreate, actor: ActorDep, session: SessionDep, now: NowDep
) -> Offer:
    """Create an offer for an organisation (its organisation admins, or platform admins)."""
    return await directory.create_offer(
        session,
        actor,
        organisation_id=body.organisation_id,
        fields=body.model_dump(exclude={"organisation_id"}),
        now=now,
    )


@router.get("", response_model=OfferPage, responses=error_responses(401, 422))
async def list_offers(
    _actor: ActorDep,
    session: SessionDep,
    category: OfferCategory | None = None,
    territory: Territory | None = None,
    organisation_id: Annotated[int | None, Query(gt=0, le=MAX_ID)] = None,
    q: Annotated[str | None, Query(max_length=100, pattern=STORABLE_TEXT)] = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> OfferPage:
    """Open offers, filtered by category, territory, organisation or text."""
    items, next_cursor = await directory.list_offers(
        session,
        category=category,
        territory=territory,
        organisation_id=organisation_id,
        text=q,
        cursor=cursor,
        limit=limit,
    )
    return OfferPage(
        items=[OfferRead.model_validate(item) for item in items], next_cursor=next_cursor
    )


@router.get("/{offer_id}", response_model=OfferRead, responses=error_responses(401, 404, 422))
async def get_offer(offer_id: PathId, _actor: ActorDep, session: SessionDep) -> Offer:
    """One offer."""
    return await directory.get_offer(session, offer_id)


@router.patch(
    "/{offer_id}", response_model=OfferRead, responses=error_responses(400, 401, 403, 404, 422)
)
async def update_offer(
    offer_id: PathId, body: OfferFields, actor: ActorDep, session: SessionDep
) -> Offer:
    """Change an offer's fields and deadlines (its organisation admins)."""
    return await directory.update_offer(session, actor, offer_id, body.model_dump())
