"""Accompaniments: the list of those the organisation follows, and each one's page, where its
référent takes stock (point d'étape) or ends it (sortie)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from services import accompaniment_service
from services.inbox import escalation_deadlines
from states.accompaniment import ACCOMPANIMENT
from web.case_pages import CasePages
from web.deps import Cursor, NowDep, SessionDep, WebUserDep
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


ACCOMPANIMENT_PAGES = CasePages(
    ACCOMPANIMENT, accompaniment_service.get_accompaniment, "accompaniment.html"
)
ACCOMPANIMENT_PAGES.add_routes(router)
