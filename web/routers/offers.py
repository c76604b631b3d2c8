"""Offers: organisation admins list, create and edit their organisation's offers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from core.errors import Forbidden, InvalidInput
from core.models import Offer
from services import directory
from services.inputs import OfferCreate, OfferFields
from services.offer_sub_axes import sub_axes_of
from states.policy import may_manage_every_offer, may_manage_offers_of
from states.reachability import NO_RECEIVER_EXPLAINED, is_reachable, reachable_offers
from web.deps import Cursor, NowDep, PathId, SessionDep, WebUserDep
from web.forms import FormField, form_fields, form_values, posted_values, refusal_of
from web.rendering import render
from web.routing import page_router
from web.session import WebUser

router = page_router()


DEADLINE_FIELDS = (*directory.DEADLINE_TIMERS, "progress_check_days")
MAIN_FIELDS = (
    "title",
    "description",
    "category",
    "territory",
    "eligible_publics",
    "contact_email",
    "capacity",
    "modes_accueil",
    "frais",
    "thematiques",
    "sub_axes",
    "is_active",
    "is_accompaniment",
)


def _fields(
    values: Mapping[str, Any], errors: Mapping[str, str], *, creating: bool
) -> dict[str, list[FormField]]:
    """The offer's form in two parts: what it is, and its response deadlines."""
    drawn = {
        field.name: field
        for field in form_fields(
            OfferCreate if creating else OfferFields, values=values, errors=errors
        )
    }
    return {
        "main": [drawn[name] for name in MAIN_FIELDS],
        "deadlines": [drawn[name] for name in DEADLINE_FIELDS],
    }


async def _offer_values(session: AsyncSession, offer: Offer) -> dict[str, Any]:
    """An offer's current values as its form shows them; deadlines as they apply."""
    defaults = directory.default_deadlines()
    values: dict[str, Any] = {
        name: getattr(offer, name)
        for name in MAIN_FIELDS
        if name not in {"eligible_publics", "is_active", "is_accompaniment", "sub_axes"}
        and name not in directory.VOCABULARY_LISTS
    }
    values["eligible_publics"] = list(offer.eligible_publics)
    for name in directory.VOCABULARY_LISTS:
        values[name] = list(getattr(offer, name))
    values["sub_axes"] = [axis.value for axis in (await sub_axes_of(session, [offer.id]))[offer.id]]
    values["is_active"] = offer.is_active
    values["is_accompaniment"] = offer.is_accompaniment
    for name in DEADLINE_FIELDS:
        values[name] = getattr(offer, name) or defaults[name]
    return values


async def _form_page(
    request: Request,
    session: AsyncSession,
    user: WebUser,
    *,
    offer: Offer | None,
    values: Mapping[str, Any],
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> Response:
    errors = errors or {}
    organisations = []
    if offer is None and may_manage_every_offer(user.actor):
        organisations = await directory.list_organisations(session)
    return render(
        request,
        "offer_form.html",
        {
            "title": "Nouvelle offre" if offer is None else f"Offre « {offer.title} »",
            "offer": offer,
            "fields": _fields(values, errors, creating=offer is None),
            "organisations": organisations,
            "values": values,
            "errors": errors,
            "error": message,
            "defaults": directory.default_deadlines(),
            "saved": request.query_params.get("fait") == "enregistre",
            "unreachable": (
                offer is not None and offer.is_active and not await is_reachable(session, offer.id)
            ),
            "unreachable_help": NO_RECEIVER_EXPLAINED,
            "places_left": (
                await directory.places_left_of(session, [offer]) if offer is not None else {}
            ),
        },
        status_code=status_code,
    )


@router.get("/offers")
async def offer_list(
    request: Request,
    user: WebUserDep,
    session: SessionDep,
    cursor: Cursor = None,
    cree: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """The offers the user manages, closed ones included, with their deadlines; an open
    offer nobody can receive is marked « non joignable »."""
    offers, next_cursor = await directory.managed_offers(session, user.actor, cursor=cursor)
    organisations = {item.id: item.name for item in await directory.list_organisations(session)}
    return render(
        request,
        "offers.html",
        {
            "title": "Offres de votre structure"
            if not may_manage_every_offer(user.actor)
            else "Offres des structures",
            "offers": offers,
            "reachable": await reachable_offers(session, [offer.id for offer in offers]),
            "places_left": await directory.places_left_of(session, offers),
            "unreachable_help": NO_RECEIVER_EXPLAINED,
            "organisations": organisations,
            "all_organisations": may_manage_every_offer(user.actor),
            "next_cursor": next_cursor,
            "defaults": directory.default_deadlines(),
            "created": cree,
        },
    )


@router.get("/offers/new")
async def new_offer(
    request: Request,
    user: WebUserDep,
    session: SessionDep,
    organisation: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """The form of a new offer, for the user's organisation (an admin chooses one)."""
    target = organisation or user.organisation.id
    if not may_manage_offers_of(user.actor, target):
        raise Forbidden("Seuls les administrateurs de l'organisation gèrent ses offres.")
    values: dict[str, Any] = {
        "organisation_id": str(target),
        "territory": user.organisation.territory if target == user.organisation.id else None,
        "is_active": True,
    }
    return await _form_page(request, session, user, offer=None, values=values)


@router.post("/offers/new")
async def create_offer(
    request: Request, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Create the offer; the form comes back with what to correct."""
    form = await request.form()
    try:
        data = OfferCreate.model_validate(posted_values(OfferCreate, form))
        offer = await directory.create_offer(
            session,
            user.actor,
            organisation_id=data.organisation_id,
            fields=data.model_dump(exclude={"organisation_id"}),
            now=now,
        )
    except (ValidationError, InvalidInput) as error:
        # Refused before anything was written: no rollback, which would expire the page's user.
        errors, message = refusal_of(error, OfferCreate)
        return await _form_page(
            request, session, user, offer=None, values=form_values(form), errors=errors,
            message=message, status_code=422,
        )  # fmt: skip
    return RedirectResponse(f"/offers?cree={offer.id}", status_code=303)


@router.get("/offers/{offer_id}")
async def edit_offer(
    request: Request, offer_id: PathId, user: WebUserDep, session: SessionDep
) -> Response:
    """The offer's form, filled with its current values and the deadlines that apply."""
    offer = await directory.get_managed_offer(session, user.actor, offer_id)
    return await _form_page(
        request, session, user, offer=offer, values=await _offer_values(session, offer)
    )


def _changes(offer: Offer, form: FormData) -> dict[str, Any]:
    """The posted fields; a deadline left at the default stays the default."""
    data = OfferFields.model_validate(posted_values(OfferFields, form)).model_dump()
    defaults = directory.default_deadlines()
    for name in DEADLINE_FIELDS:
        if getattr(offer, name) is None and data[name] == defaults[name]:
            data[name] = None
    return data


@router.post("/offers/{offer_id}")
async def update_offer(
    request: Request, offer_id: PathId, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Save the offer's changes; refused ones come back with what to correct."""
    offer = await directory.get_managed_offer(session, user.actor, offer_id)
    form = await request.form()
    try:
        await directory.update_offer(session, user.actor, offer_id, _changes(offer, form), now=now)
    except (ValidationError, InvalidInput) as error:
        # Refused before anything was written: no rollback, which would expire the page's user.
        errors, message = refusal_of(error, OfferFields)
        return await _form_page(
            request, session, user, offer=offer, values=form_values(form), errors=errors,
            message=message, status_code=422,
        )  # fmt: skip
    return RedirectResponse(f"/offers/{offer_id}?fait=enregistre", status_code=303)
