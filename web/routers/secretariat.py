"""The secretariat's to-do page (« À faire »): meetings to plan, minutes to write,
decisions to record."""

from __future__ import annotations

from fastapi import Request, Response

from services.secretariat import secretariat_todo
from web.deps import NowDep, SessionDep, WebUserDep
from web.rendering import SECRETARIAT_TODO_PATH, render
from web.routing import page_router

router = page_router()


@router.get(SECRETARIAT_TODO_PATH)
async def secretariat_page(
    request: Request, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """What awaits the committees' secretariat now, in three lists."""
    todo = await secretariat_todo(session, user.actor, now)
    return render(request, "secretariat.html", {"title": "À faire", "todo": todo})
