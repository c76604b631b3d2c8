"""The DPO's page: the access log, searched by person and by reader, page by page."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request, Response

from core.business_days import PARIS
from services import access_log
from web.deps import SessionDep, WebUserDep
from web.rendering import render
from web.routing import page_router

router = page_router()

SearchText = Annotated[str, Query(max_length=320)]


def _day(text: str) -> date | None:
    """A day typed in the form (``AAAA-MM-JJ``), or None when empty or not a day."""
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


def _start_of(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(0), tzinfo=PARIS)


@router.get("/access-log")
async def access_log_page(
    request: Request,
    user: WebUserDep,
    session: SessionDep,
    personne: SearchText = "",
    utilisateur: SearchText = "",
    depuis: Annotated[str, Query(max_length=10)] = "",
    jusqua: Annotated[str, Query(max_length=10)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Who read which person's data: by person (an id, or a case's reference), by reader
    (an id or an address) and by days (Paris), newest first. The DPO only (403)."""
    actor = user.actor
    person_id = await access_log.find_person(session, actor, personne) if personne else None
    user_id = await access_log.find_user(session, actor, utilisateur) if utilisateur else None
    since, until = _day(depuis), _day(jusqua)
    unknown = (personne and person_id is None) or (utilisateur and user_id is None)
    found = await access_log.search_access_log(
        session,
        actor,
        person_id=person_id,
        user_id=user_id,
        since=_start_of(since),
        until=_start_of(until + timedelta(days=1) if until else None),
        page=page,
    )
    query = {"personne": personne, "utilisateur": utilisateur, "depuis": depuis, "jusqua": jusqua}
    kept = urlencode({name: value for name, value in query.items() if value})
    return render(
        request,
        "access_log.html",
        {
            "title": "Journal des accès",
            "lines": [] if unknown else found.lines,
            "found": found,
            "unknown": unknown,
            "query": query,
            "page_link": f"/access-log?{kept}&page=" if kept else "/access-log?page=",
        },
    )
