"""The pages' dependencies as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.inbox import count_todo
from services.request_context import Cursor, NowDep, PathId, SessionDep, SessionsDep, SettingsDep
from services.secretariat import secretariat_count
from states.policy import may_manage_meetings, may_work_cases
from web.rendering import INBOX_PATH, MENU_COUNTS, SECRETARIAT_TODO_PATH
from web.session import SessionUserDep, StrategyDep, WebUser, optional_web_user, web_user

__all__ = [
    "Cursor",
    "FileUserDep",
    "NowDep",
    "OptionalWebUserDep",
    "PathId",
    "SessionDep",
    "SessionUserDep",
    "SessionsDep",
    "SettingsDep",
    "StrategyDep",
    "WebUserDep",
]


async def _signed_in_user(
    request: Request,
    user: Annotated[WebUser, Depends(web_user)],
    session: SessionDep,
    now: NowDep,
) -> WebUser:
    """The signed-in user; for a page (GET), also the counts its menu shows: what awaits the
    user's organisation in « À traiter », the secretariat's « À faire » (one query each; a
    form's POST answers with a redirect and counts nothing)."""
    if request.method != "GET":
        return user
    counts: dict[str, int] = {}
    if may_work_cases(user.actor):
        counts[INBOX_PATH] = await count_todo(session, user.actor, now)
    if may_manage_meetings(user.actor):
        counts[SECRETARIAT_TODO_PATH] = await secretariat_count(session, user.actor, now)
    setattr(request.state, MENU_COUNTS, counts)
    return user


WebUserDep = Annotated[WebUser, Depends(_signed_in_user)]
FileUserDep = Annotated[WebUser, Depends(web_user)]
"""The signed-in user asking for a file (a spreadsheet, a PDF): no menu, nothing to count."""
OptionalWebUserDep = Annotated[WebUser | None, Depends(optional_web_user)]
