"""The referral form: writing a referral, and sending a returned or expired one on to another
offer (the redirect)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import AccessChannel, OfferCategory, Public, Territory
from core.errors import (
    Conflict,
    DuplicateReferral,
    Forbidden,
    IdentityConflict,
    InvalidInput,
    OfferUnreachable,
)
from core.models import Offer, Referral
from services import directory, referral_service
from services.access_log import Reading
from services.cases import CaseView
from services.referral_service import RedirectFields
from services.suggestions import OfferFilters, count_matching_offers, suggested_offers
from states.actor import Actor
from states.policy import (
    may_create_case,
    may_redirect_referral,
    sides_of,
)
from states.publics import DERIVED, EVERYONE, labels, takes_everyone
from states.reachability import NO_RECEIVER_EXPLAINED, reachable_offers
from states.referral import REFERRAL
from states.referral_fields import ReferralCreate, ReferralPersonFields
from web.case_pages import CaseId
from web.deps import NowDep, SessionDep, WebUserDep
from web.forms import Choice, form_fields, form_values, posted_values, refusal_of
from web.notice import information_notice
from web.rendering import render
from web.routing import page_router
from web.session import WebUser

router = page_router()
SearchText = Annotated[str, Query(max_length=100)]
"""What the referrer types to find an offer."""
CARDS_SHOWN = 20
"""The offer cards a page shows at most; the count says how many more match."""
REFUSED = (ValidationError, InvalidInput, OfferUnreachable, IdentityConflict, DuplicateReferral)
"""What sends the referral form back with what to correct (or, a duplicate, to confirm)."""


async def offer_choices(session: AsyncSession) -> list[Choice]:
    """The offers a referral may be sent on to: open, and someone receives them."""
    organisations = {item.id: item.name for item in await directory.list_organisations(session)}
    offers, _next = await directory.list_offers(session, limit=500)
    reachable = await reachable_offers(session, [offer.id for offer in offers])
    return [
        (str(offer.id), f"{offer.title} — {organisations[offer.organisation_id]}")
        for offer in offers
        if offer.id in reachable
    ]


@dataclass(frozen=True)
class OfferSearch:
    """What the referrer typed to find an offer (kept across the form's round trips)."""

    category: str = ""
    territory: str = ""
    text: str = ""
    # The person's residence: its offers come first, then Paris-wide ones, then the others.
    residence: str = ""
    public: str = ""

    @classmethod
    def of(cls, form: Any) -> OfferSearch:
        """The search carried by a posted form's hidden fields, ordered for the residence
        typed in the person's fields (or, failing it, the one the search named)."""
        return cls(
            str(form.get("category") or ""), str(form.get("territory") or ""),
            str(form.get("q") or "")[:100],
            str(form.get("person_residence") or form.get("residence") or ""),
            str(form.get("public") or ""),
        )  # fmt: skip

    @property
    def filters(self) -> OfferFilters:
        """The filters it names (a value that names nothing filters nothing)."""
        return OfferFilters(
            OfferCategory(self.category) if self.category in set(OfferCategory) else None,
            self.territory_named(self.territory),
            self.text or None,
            Public(self.public) if self.public in set(Public) else None,
        )

    @staticmethod
    def territory_named(value: str) -> Territory | None:
        """``value`` as a territory, if it names one (old codes 75001..75004 included)."""
        try:
            return Territory(value) if value else None
        except ValueError:
            return None


def _publics_label(eligible: list[str]) -> str:
    """An offer's publics as its card says them."""
    return "Tous publics" if takes_everyone(eligible) else labels(eligible)


async def _with_chosen(session: AsyncSession, offers: list[Offer], chosen: Any) -> list[Offer]:
    """``offers``, with the offer already chosen first when the filters leave it out: a new
    search never loses the choice."""
    # Whatever was posted: only a plain number that fits an id is looked up.
    if not isinstance(chosen, str) or not (chosen.isascii() and chosen.isdigit()):
        return offers
    if len(chosen) > 9:
        return offers
    if any(offer.id == int(chosen) for offer in offers):
        return offers
    offer = await session.get(Offer, int(chosen))
    return [offer, *offers] if offer is not None and offer.is_active else offers


def _person_form(values: Mapping[str, Any], errors: Mapping[str, str], residence: str) -> list[Any]:
    """The person's fields; a residence is never all Paris, derived publics are not typed."""
    fields = form_fields(
        ReferralPersonFields,
        values={
            "residence": residence,
            **{k.removeprefix("person_"): v for k, v in values.items()},
        },
        errors={k.removeprefix("person_").removeprefix("person."): v for k, v in errors.items()},
    )
    # Derived publics are never typed, and nobody is « tous publics » (an offer's word).
    derived = {public.value for public in DERIVED} | {EVERYONE.value}
    for field in fields:
        if field.name == "residence":
            field.choices = [choice for choice in field.choices if choice[0] != Territory.PARIS]
        elif field.name == "publics":
            field.choices = [choice for choice in field.choices if choice[0] not in derived]
    return fields


async def _creation_page(
    request: Request,
    session: AsyncSession,
    search: OfferSearch,
    *,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
    status_code: int = 200,
    redirect_from: Referral | None = None,
) -> Response:
    """The offer search and the referral form; ``redirect_from`` sends a returned one on."""
    organisations = {item.id: item for item in await directory.list_organisations(session)}
    residence = search.territory_named(search.residence)
    values = values or {}
    filters = search.filters
    offers = await suggested_offers(
        session,
        residence if residence is not None and residence.is_residence else None,
        category=filters.category, territory=filters.territory, text=filters.text,
        public=filters.public, limit=CARDS_SHOWN,
    )  # fmt: skip
    offers = await _with_chosen(session, offers, values.get("offer_id"))
    kept = {"motive", "eligibility_justification"}
    if not redirect_from:
        kept |= {"barriers"}
    return render(
        request,
        "referral_new.html",
        {
            "title": (
                f"Réorienter l'orientation {redirect_from.reference}"
                if redirect_from
                else "Orienter une personne"
            ),
            "redirect_from": redirect_from,
            "offers": offers,
            "matching": await count_matching_offers(session, filters),
            "cards_shown": CARDS_SHOWN,
            "publics_label": _publics_label,
            "public_choices": [(item.value, item.label) for item in Public if item != EVERYONE],
            "public": search.public,
            "duplicate": bool(errors and "confirm_duplicate" in errors),
            "reachable": await reachable_offers(session, [offer.id for offer in offers]),
            "places_left": await directory.places_left_of(session, offers),
            "unreachable_help": NO_RECEIVER_EXPLAINED,
            "organisations": organisations,
            "category": search.category,
            "territory": search.territory,
            "text": search.text,
            "residence": residence.value if residence is not None else "",
            "person_fields": _person_form(values, errors or {}, search.residence),
            "fields": [
                field
                for field in form_fields(ReferralCreate, values=values, errors=errors)
                if field.name in kept
            ],
            "values": values,
            "errors": errors or {},
            "error": message,
            "information_notice": information_notice(request.app.state.settings),
        },
        status_code=status_code,
    )


@router.get("/referrals/new")
async def new_referral(
    request: Request,
    user: WebUserDep,
    session: SessionDep,
    now: NowDep,
    category: Annotated[str, Query(max_length=64)] = "",
    territory: Annotated[str, Query(max_length=16)] = "",
    q: SearchText = "",
    offre: Annotated[int | None, Query(ge=1)] = None,
    residence: Annotated[str, Query(max_length=16)] = "",
    public: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """Choose an offer (category, territory, text; those of the person's ``residence``
    first), then describe the person and the need."""
    if not may_create_case(user.actor):
        raise Forbidden("Votre rôle ne permet pas d'orienter une personne.")
    values = {"offer_id": str(offre)} if offre else None
    return await _creation_page(
        request, session, OfferSearch(category, territory, q, residence, public), values=values
    )


def _read_creation(form: Any) -> ReferralCreate:
    data = posted_values(ReferralCreate, form)
    data["person"] = posted_values(ReferralPersonFields, form, "person_")
    data["submit"] = True  # the page sends at once; drafts exist only through the API
    return ReferralCreate.model_validate(data)


def _refusal(
    error: ValidationError | InvalidInput | OfferUnreachable | IdentityConflict | DuplicateReferral,
) -> tuple[dict[str, str], str]:
    """The fields to correct and the message of a refused referral form."""
    if isinstance(error, DuplicateReferral):
        return {"confirm_duplicate": error.message}, error.message
    if isinstance(error, OfferUnreachable):
        return {"offer_id": error.message}, error.message
    if isinstance(error, IdentityConflict):
        return {(error.field or "person").replace(".", "_"): error.message}, error.message
    errors, message = refusal_of(error, ReferralCreate)
    return {name.replace(".", "_"): text for name, text in errors.items()}, message


@router.post("/referrals/new")
async def create_referral(
    request: Request, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Create and send the referral; the form comes back with what to correct."""
    form = await request.form()
    search = OfferSearch.of(form)
    if form.get("action") in {"suggest", "filter"}:
        # « Proposer les offres de son arrondissement », « Filtrer les offres »: the same
        # form comes back, the offers listed anew, nothing typed lost.
        return await _creation_page(request, session, search, values=form_values(form))
    try:
        data = _read_creation(form)
        view = await referral_service.create_referral(session, user.actor, data, now)
    except REFUSED as refused:
        errors, message = _refusal(refused)
        return await _creation_page(
            request, session, search, values=form_values(form), errors=errors, message=message,
            status_code=409 if isinstance(refused, Conflict) else 422,
        )  # fmt: skip
    return RedirectResponse(f"{REFERRAL.case_path(view.case.id)}?fait=submit", status_code=303)


REDIRECTABLE_STATES = frozenset({"returned", "expired"})


def may_redirect(actor: Actor, view: CaseView) -> bool:
    """Whether the page offers to send the referral on to another offer."""
    return (
        view.case.state in REDIRECTABLE_STATES
        and "close" in view.allowed_actions
        and may_redirect_referral(sides_of(actor, REFERRAL, view.case))
    )


async def _redirectable(
    session: AsyncSession, user: WebUser, referral_id: int, now: datetime
) -> Referral:
    read = Reading(AccessChannel.PAGE, now)  # the page shows the person's name and motive
    view = await referral_service.get_referral(session, user.actor, referral_id, read=read)
    if not may_redirect_referral(sides_of(user.actor, REFERRAL, view.case)):
        raise Forbidden("Seule la structure qui a orienté la personne peut la réorienter.")
    if not may_redirect(user.actor, view):
        raise Conflict(
            "Seule une orientation retournée ou expirée peut être réorientée, par la "
            "structure qui l'a envoyée.",
            allowed_actions=view.allowed_actions,
        )
    referral: Referral = view.case
    return referral


@router.get("/referrals/{referral_id}/redirect")
async def redirect_page(
    request: Request,
    referral_id: CaseId,
    user: WebUserDep,
    session: SessionDep,
    now: NowDep,
    category: Annotated[str, Query(max_length=64)] = "",
    territory: Annotated[str, Query(max_length=16)] = "",
    q: SearchText = "",
    public: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """Send a returned or expired referral on to another offer: choose it, say why."""
    referral = await _redirectable(session, user, referral_id, now)
    return await _creation_page(
        request, session, OfferSearch(category, territory, q, public=public),
        values={"motive": referral.motive}, redirect_from=referral,
    )  # fmt: skip


@router.post("/referrals/{referral_id}/redirect")
async def redirect(
    request: Request, referral_id: CaseId, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Close the referral and send a new one, for the same person, to the chosen offer."""
    form = await request.form()
    if form.get("action") == "filter":
        referral = await _redirectable(session, user, referral_id, now)
        return await _creation_page(
            request, session, OfferSearch.of(form), values=form_values(form),
            redirect_from=referral,
        )  # fmt: skip
    try:
        data = RedirectFields.model_validate(posted_values(RedirectFields, form))
        view = await referral_service.redirect_referral(session, user.actor, referral_id, data, now)
    except (ValidationError, InvalidInput, OfferUnreachable) as refused:
        referral = await _redirectable(session, user, referral_id, now)
        errors, message = _refusal(refused)
        return await _creation_page(
            request, session, OfferSearch.of(form), values=form_values(form), errors=errors,
            message=message, status_code=409 if isinstance(refused, Conflict) else 422,
            redirect_from=referral,
        )  # fmt: skip
    return RedirectResponse(f"{REFERRAL.case_path(view.case.id)}?fait=submit", status_code=303)
