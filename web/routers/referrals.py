"""Referrals: the inbox, the lists and each referral's page (the form: ``referral_form``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from services import accompaniment_service, decision_service, directory, referral_service
from services.cases import Box, CaseView
from services.governance_inputs import CaseReviewCreate
from services.handover_service import DETAILS as HANDOVER_DETAILS
from services.inbox import escalation_deadlines, todo
from states.accompaniment import ACCOMPANIMENT
from states.actor import Actor
from states.decision import DECISION
from states.handover import HANDOVER
from states.policy import (
    follows_territory,
    may_bring_case_to_committee,
    may_merge_persons,
)
from states.referral import REFERRAL
from web.case_pages import CaseId, CasePages
from web.deps import Cursor, NowDep, SessionDep, WebUserDep
from web.forms import Choice, form_fields
from web.rendering import render
from web.routers.referral_form import may_redirect, offer_choices
from web.routing import page_router
from web.session import WebUser
from web.submission import submit
from web.summaries import case_summary

router = page_router()

SUMMARY_OPTIONS = {
    REFERRAL.name: referral_service.DETAILS,
    HANDOVER.name: HANDOVER_DETAILS,
    ACCOMPANIMENT.name: accompaniment_service.DETAILS,
}
"""What each lifecycle's line of the to-do list needs loaded (``case_summary``)."""


@router.get("/inbox")
async def inbox(request: Request, user: WebUserDep, session: SessionDep, now: NowDep) -> Response:
    """What awaits the user (``GET /api/todo``'s list), soonest deadline first, overdue marked."""
    waiting = await todo(session, user.actor, now, options=SUMMARY_OPTIONS)
    in_progress = await referral_service.list_referrals(
        session, user.actor, now, box="received", state="in_progress", limit=20
    )
    return render(
        request,
        "inbox.html",
        {
            "title": "À traiter",
            "waiting": waiting,
            "territory_wide": follows_territory(user.actor),
            "in_progress": in_progress.items,
            "summary": case_summary,
        },
    )


@router.get("/referrals")
async def referral_list(
    request: Request,
    user: WebUserDep,
    session: SessionDep,
    now: NowDep,
    box: Box | None = None,
    state: Annotated[str | None, Query(max_length=32)] = None,
    cursor: Cursor = None,
) -> Response:
    """Referrals the organisation sent or received, newest first, with their deadline."""
    page = await referral_service.list_referrals(
        session, user.actor, now, box=box, state=state or None, cursor=cursor
    )
    deadlines = await escalation_deadlines(session, REFERRAL, [item.id for item in page.items])
    titles = {"sent": "Orientations envoyées", "received": "Orientations reçues"}
    return render(
        request,
        "referrals.html",
        {
            "title": titles.get(box or "", "Orientations"),
            "page": page,
            "deadlines": deadlines,
            "box": box or "",
            "state": state or "",
            "states": REFERRAL.state_labels,
            "now": now,
        },
    )


async def _referral_choices(
    session: AsyncSession, actor: Actor, view: CaseView, now: datetime
) -> Mapping[str, Sequence[Choice]]:
    if "reassign" not in view.allowed_actions:
        return {}
    return {"offer_id": await offer_choices(session)}


def _resubmit_prefill(view: CaseView) -> Mapping[str, Mapping[str, Any]]:
    referral = view.case
    return {
        "resubmit": {
            "motive": referral.motive,
            "publics": list(referral.person.publics),
            "barriers": list(referral.barriers),
        }
    }


async def _review_form(
    session: AsyncSession, user: WebUser, view: CaseView, now: datetime
) -> Mapping[str, Any]:
    """For the coordination, the form that brings the referral to the comité technique; for
    the referrer, the link that sends a returned or expired referral on."""
    fields = form_fields(CaseReviewCreate) if may_bring_case_to_committee(user.actor) else None
    return {
        "review_fields": fields,
        "review_open": False,
        "may_redirect": may_redirect(user.actor, view),
        **await _accept_capacity(session, view),
        "person_referent": view.extras.get("person_referent"),
        "person_record": may_merge_persons(user.actor),
    }


OVERRIDE_FIELDS = ("capacity_override", "capacity_comment")


async def _accept_capacity(session: AsyncSession, view: CaseView) -> Mapping[str, Any]:
    """The accept form's places left; its override fields only when the offer is full."""
    if "accept" not in view.allowed_actions:
        return {}
    offer = view.case.offer
    places = await directory.places_left_of(session, [offer])
    if offer.id not in places:
        return {"hidden_fields": {"accept": OVERRIDE_FIELDS}}
    left = places[offer.id]
    if left > 0:
        note = f"Places restantes sur cette offre : {left} sur {offer.capacity}."
        return {"hidden_fields": {"accept": OVERRIDE_FIELDS}, "action_notes": {"accept": note}}
    note = (
        f"L'offre est complète (aucune place restante sur {offer.capacity}) : "
        "pour accepter quand même, cochez « Accepter au-delà de la capacité » et expliquez "
        "pourquoi."
    )
    return {"action_notes": {"accept": note}}


REFERRAL_PAGES = CasePages(
    REFERRAL,
    referral_service.get_referral,
    "referral.html",
    choices=_referral_choices,
    prefill=_resubmit_prefill,
    context=_review_form,
)
REFERRAL_PAGES.add_routes(router)


@router.post("/referrals/{referral_id}/review")
async def review_referral(
    request: Request, referral_id: CaseId, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Bring the referral to the comité technique (coordination); only its reference goes."""

    async def review(data: CaseReviewCreate) -> str:
        view = await decision_service.review_case(
            session, user.actor, referral_id, axis=data.axis, now=now
        )
        return f"{DECISION.case_path(view.case.id)}?fait=propose"

    form = await request.form()
    outcome = await submit(session, CaseReviewCreate, form, review, prefix="review-")
    if isinstance(outcome, str):
        return RedirectResponse(outcome, status_code=303)
    return await REFERRAL_PAGES.render_case(
        request, session, user, referral_id, now,
        message=outcome.message, status_code=outcome.status_code,
        extra={"review_fields": form_fields(CaseReviewCreate, values=outcome.values,
                                            errors=outcome.errors), "review_open": True},
    )  # fmt: skip
