"""Privacy pages: the information notice (public, printable), the register entry
(« Données personnelles », public) and the trail of administrative changes (admins, DPO)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from core.db import MAX_ID
from services import audit
from states.referral_fields import INFORMATION_NOTICE_PATH
from web.deps import NowDep, OptionalWebUserDep, SessionDep, SettingsDep, WebUserDep
from web.downloads import printable_page
from web.notice import information_notice, register_entry
from web.rendering import environment, render
from web.routing import page_router

router = page_router()

KINDS = list(audit.ENTITY_LABELS.items())


@router.get(INFORMATION_NOTICE_PATH)
async def notice_page(settings: SettingsDep, now: NowDep) -> Response:
    """The information notice the referrer gives the person, ready to print (no login)."""
    html = (
        environment()
        .get_template("information_notice.html")
        .render(notice=information_notice(settings), today=now)
    )
    return printable_page(html)


@router.get("/donnees-personnelles")
@router.get("/privacy")
async def privacy_page(request: Request, user: OptionalWebUserDep) -> Response:
    """« Données personnelles »: the register entry of the processing (no login), at its
    French address (every page's footer) and at its first one."""
    request.state.web_user = user
    return render(
        request, "privacy.html", {"title": "Données personnelles", "register": register_entry()}
    )


@router.get("/audit")
async def audit_page(
    request: Request,
    user: WebUserDep,
    session: SessionDep,
    kind: str = "",
    entity_id: Annotated[int | None, Query(gt=0, le=MAX_ID)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """« Journal des modifications »: who changed what in the directory, newest first."""
    found = await audit.read_audit(
        session, user.actor, kind=kind or None, entity_id=entity_id, page=page
    )
    return render(
        request,
        "audit.html",
        {
            "title": "Journal des modifications",
            "lines": found.lines,
            "page": found.page,
            "has_next": found.has_next,
            "kinds": KINDS,
            "kind": kind,
            "entity_id": entity_id,
        },
    )
