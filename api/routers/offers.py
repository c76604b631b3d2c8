"""The insertion offer catalogue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import ActorDep, Cursor, NowDep, PathId, SessionDep
from api.errors import error_responses
from api.schemas import OfferPage, OfferRead
from core.db import MAX_ID, STORABLE_TEXT
from core.enums import OfferCategory, PlanAxis, Territory
from core.errors import DeadlinesOutOfOrder, UnknownReference
from core.models import Offer
from services import directory
from services.inputs import OfferCreate, OfferFields
from services.offer_sub_axes import sub_axes_of
from states.reachability import is_reachable, reachable_offers

router = APIRouter(prefix="/api/offers", tags=["offres"])


COMPUTED = {"reachable", "places_left", "sub_axes"}


def offer_read(
    offer: Offer,
    *,
    reachable: bool,
    places_left: int | None = None,
    sub_axes: list[PlanAxis] | None = None,
) -> OfferRead:
    """The response body of an offer, with whether a referral to it reaches someone, the
    places it has left (an offer with a capacity) and the plan's sub-axes it serves."""
    fields = {name: getattr(offer, name) for name in OfferRead.model_fields if name not in COMPUTED}
    computed = {"reachable": reachable, "places_left": places_left, "sub_axes": sub_axes or []}
    return OfferRead.model_validate({**fields, **computed})


async def read_one(session: SessionDep, offer: Offer) -> OfferRead:
    """One offer's response body (a query each for its reachability, places and sub-axes)."""
    places = await directory.places_left_of(session, [offer])
    return offer_read(
        offer,
        reachable=await is_reachable(session, offer.id),
        places_left=places.get(offer.id),
        sub_axes=(await sub_axes_of(session, [offer.id]))[offer.id],
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=OfferRead,
    responses=error_responses(400, 401, 403, 422, refusals=(UnknownReference, DeadlinesOutOfOrder)),
)
async def create_offer(
    body: OfferCreate, actor: ActorDep, session: SessionDep, now: NowDep
) -> OfferRead:
    """Create an offer for an organisation (its organisation admins, or platform admins)."""
    offer = await directory.create_offer(
        session,
        actor,
        organisation_id=body.organisation_id,
        fields=body.model_dump(exclude={"organisation_id"}),
        now=now,
    )
    return await read_one(session, offer)


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
    """Open offers, filtered by category, territory, organisation or text; ``reachable``
    says whether a referral to each would reach someone (« non joignable » otherwise)."""
    items, next_cursor = await directory.list_offers(
        session,
        category=category,
        territory=territory,
        organisation_id=organisation_id,
        text=q,
        cursor=cursor,
        limit=limit,
    )
    reachable = await reachable_offers(session, [item.id for item in items])
    places = await directory.places_left_of(session, items)
    sub_axes = await sub_axes_of(session, [item.id for item in items])
    return OfferPage(
        items=[
            offer_read(
                item,
                reachable=item.id in reachable,
                places_left=places.get(item.id),
                sub_axes=sub_axes[item.id],
            )
            for item in items
        ],
        next_cursor=next_cursor,
    )


@router.get("/{offer_id}", response_model=OfferRead, responses=error_responses(401, 404, 422))
async def get_offer(offer_id: PathId, _actor: ActorDep, session: SessionDep) -> OfferRead:
    """One offer."""
    return await read_one(session, await directory.get_offer(session, offer_id))


@router.patch(
    "/{offer_id}",
    response_model=OfferRead,
    responses=error_responses(400, 401, 403, 404, 422, refusals=(DeadlinesOutOfOrder,)),
)
async def update_offer(
    offer_id: PathId, body: OfferFields, actor: ActorDep, session: SessionDep, now: NowDep
) -> OfferRead:
    """Change an offer's fields and deadlines (its organisation admins)."""
    offer = await directory.update_offer(session, actor, offer_id, body.model_dump(), now=now)
    return await read_one(session, offer)
