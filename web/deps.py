"""The pages' dependencies as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.request_context import Cursor, NowDep, PathId, SessionDep, SessionsDep, SettingsDep
from services.secretariat import secretariat_count
from states.policy import may_manage_meetings
from web.rendering import MENU_COUNTS, SECRETARIAT_TODO_PATH
from web.session import SessionUserDep, StrategyDep, WebUser, optional_web_user, web_user

__all__ = [
    "Cursor",
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
    """The signed-in user; for the secretariat, also the count its « À faire » menu entry
    shows (one query)."""
    if may_manage_meetings(user.actor):
        count = await secretariat_count(session, user.actor, now)
        setattr(request.state, MENU_COUNTS, {SECRETARIAT_TODO_PATH: count})
    return user


WebUserDep = Annotated[WebUser, Depends(_signed_in_user)]
OptionalWebUserDep = Annotated[WebUser | None, Depends(optional_web_user)]
