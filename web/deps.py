"""The pages' dependencies as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.request_context import Cursor, NowDep, PathId, SessionDep, SessionsDep, SettingsDep
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

WebUserDep = Annotated[WebUser, Depends(web_user)]
OptionalWebUserDep = Annotated[WebUser | None, Depends(optional_web_user)]
