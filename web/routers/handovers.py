"""Handovers (passages de relais): the lists, the proposal form, each handover's page, and
the history of a person the organisation knows."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import AccessChannel
from services import directory, handover_service, person_merge
from services.access_log import Reading
from services.cases import Box
from services.handover_service import HandoverCreate
from services.inbox import escalation_deadlines
from states.accompaniment import ACCOMPANIMENT
from states.handover import HANDOVER
from states.policy import (
    can_see,
    follows_territory,
    may_exercise_rights,
    may_hand_over_from,
    may_merge_persons,
    may_propose_handover,
)
from web.case_pages import CasePages
from web.deps import NowDep, PathId, SessionDep, WebUserDep
from web.forms import form_fields
from web.rendering import render
from web.routing import page_router
from web.session import WebUser
from web.submission import FormState, submit
from web.summaries import person_name

router = page_router()

BOXES: tuple[tuple[Box, str], ...] = (
    ("received", "Passages de relais reçus"),
    ("sent", "Passages de relais proposés"),
)


@router.get("/handovers")
async def handover_list(
    request: Request, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Handovers offered to and proposed by the organisation (a coordinator: their scope)."""
    wanted: tuple[tuple[Box | None, str], ...] = (
        ((None, "Passages de relais du périmètre"),) if follows_territory(user.actor)
        else BOXES
    )  # fmt: skip
    sections = []
    for box, title in wanted:
        page = await handover_service.list_handovers(session, user.actor, now, box=box)
        deadlines = await escalation_deadlines(session, HANDOVER, [item.id for item in page.items])
        sections.append({"box": box or "all", "title": title, "items": page.items,
                         "deadlines": deadlines})  # fmt: skip
    return render(
        request,
        "handovers.html",
        {
            "title": "Passages de relais",
            "sections": sections,
            "states": HANDOVER.state_labels,
            "may_propose": may_propose_handover(user.actor),
            "person_name": person_name,
            "now": now,
        },
    )


async def _proposal_page(
    request: Request, session: AsyncSession, user: WebUser, form: FormState
) -> Response:
    persons = await handover_service.accompanied_persons(session, user.actor)
    organisations = [
        (str(item.id), item.name)
        for item in await directory.list_organisations(session)
        if item.id != user.organisation.id
    ]
    fields = form_fields(
        HandoverCreate,
        choices={
            "person_id": [(str(person.id), person_name(person)) for person in persons],
            "to_organisation_id": organisations,
        },
        values=form.values,
        errors=form.errors,
    )
    return render(
        request,
        "handover_new.html",
        {
            "title": "Proposer un passage de relais",
            "fields": [item for item in fields if item.name != "consent"],
            "has_persons": bool(persons),
            "values": form.values,
            "errors": form.errors,
            "error": form.message,
        },
        status_code=form.status_code,
    )


@router.get("/handovers/new")
async def new_handover(
    request: Request,
    user: WebUserDep,
    session: SessionDep,
    personne: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """Choose a person the organisation accompanies, the next organisation and the reason."""
    values = {"person_id": str(personne)} if personne else {}
    return await _proposal_page(request, session, user, FormState(values))


@router.post("/handovers/new")
async def propose_handover(
    request: Request, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Propose the handover; the form comes back with what to correct."""

    async def propose(data: HandoverCreate) -> str:
        view = await handover_service.propose_handover(session, user.actor, data, now)
        return f"{HANDOVER.case_path(view.case.id)}?fait=propose"

    outcome = await submit(session, HandoverCreate, await request.form(), propose)
    if isinstance(outcome, str):
        return RedirectResponse(outcome, status_code=303)
    return await _proposal_page(request, session, user, outcome)


@router.get("/persons/{person_id}")
async def person_page(
    request: Request,
    person_id: PathId,
    user: WebUserDep,
    session: SessionDep,
    now: NowDep,
    fait: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    """Who accompanied the person, and when: for the organisations that know them only; for
    the coordination, the records that may be the same person too. The read is logged."""
    read = Reading(AccessChannel.PAGE, now)
    person = await handover_service.get_person(session, user.actor, person_id, read=read)
    history = await handover_service.person_history(session, user.actor, person_id)
    organisations = {item.id: item.name for item in await directory.list_organisations(session)}
    current = next((item for item in history if item.ended_at is None), None)
    readable = {
        item.id for item in history if await can_see(session, user.actor, ACCOMPANIMENT, item)
    }
    return render(
        request,
        "person.html",
        {
            "title": person_name(person),
            "person": person,
            "history": history,
            "readable": readable,
            "organisation_names": organisations,
            "current": current,
            "may_hand_over": current is not None
            and may_hand_over_from(user.actor, current.organisation_id),
            "merge": await person_merge.person_card(session, user.actor, person_id)
            if may_merge_persons(user.actor)
            else None,
            "merged_notice": fait == "fusion",
            "erased_notice": fait == "efface",
            "may_erase": may_exercise_rights(user.actor) and person.anonymised_at is None,
            "notice": fait,
            "rights": may_exercise_rights(user.actor),
        },
    )


HANDOVER_PAGES = CasePages(HANDOVER, handover_service.get_handover, "handover.html")
HANDOVER_PAGES.add_routes(router)
