"""Accompaniments: the list of those the organisation follows, and each one's page, where its
référent takes stock (point d'étape) or ends it (sortie)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated

from fastapi import Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services import accompaniment_service, directory
from services.cases import CaseView
from services.inbox import escalation_deadlines
from states.accompaniment import ACCOMPANIMENT
from states.actor import Actor
from states.policy import case_sides, may_remove_partner
from web.case_pages import CasePages
from web.deps import Cursor, NowDep, SessionDep, WebUserDep
from web.forms import Choice
from web.rendering import render
from web.routing import page_router
from web.summaries import person_name

router = page_router()


@router.get("/accompaniments")
async def accompaniment_list(
    request: Request,
    user: WebUserDep,
    session: SessionDep,
    now: NowDep,
    state: Annotated[str | None, Query(max_length=32)] = None,
    cursor: Cursor = None,
) -> Response:
    """The persons the organisation accompanies or accompanied (a coordinator: their scope),
    newest first, with the date of the next progress check."""
    page = await accompaniment_service.list_accompaniments(
        session, user.actor, now, state=state or None, cursor=cursor
    )
    ids = [item.id for item in page.items]
    return render(
        request,
        "accompaniments.html",
        {
            "title": "Accompagnements",
            "page": page,
            "deadlines": await escalation_deadlines(session, ACCOMPANIMENT, ids),
            "state": state or "",
            "states": ACCOMPANIMENT.state_labels,
            "person_name": person_name,
            "now": now,
        },
    )


async def partner_choices(
    session: AsyncSession, actor: Actor, view: CaseView, now: datetime
) -> Mapping[str, Sequence[Choice]]:
    """The organisations the référent may associate (active, not yet associated, not itself),
    and those whose co-accompaniment the actor may end (a partner: only its own)."""
    case = view.case
    partners = {partner.organisation_id: partner.organisation.name for partner in case.partners}
    sides = await case_sides(session, actor, ACCOMPANIMENT, case)
    addable = [
        (str(organisation.id), organisation.name)
        for organisation in await directory.list_organisations(session)
        if organisation.is_active
        and organisation.id != case.organisation_id
        and organisation.id not in partners
    ]
    removable = [
        (str(organisation_id), name)
        for organisation_id, name in partners.items()
        if may_remove_partner(actor, sides, organisation_id)
    ]
    return {"organisation_id": addable, "partner_organisation_id": removable}


ACCOMPANIMENT_PAGES = CasePages(
    ACCOMPANIMENT,
    accompaniment_service.get_accompaniment,
    "accompaniment.html",
    choices=partner_choices,
)
ACCOMPANIMENT_PAGES.add_routes(router)
