"""The pages' dependencies as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi_users.authentication import JWTStrategy

from core.models import User
from services.auth import get_jwt_strategy
from services.request_context import Cursor, NowDep, PathId, SessionDep, SettingsDep
from web.session import WebUser, optional_web_user, web_user

__all__ = [
    "Cursor",
    "NowDep",
    "OptionalWebUserDep",
    "PathId",
    "SessionDep",
    "SettingsDep",
    "StrategyDep",
    "WebUserDep",
]

WebUserDep = Annotated[WebUser, Depends(web_user)]
OptionalWebUserDep = Annotated[WebUser | None, Depends(optional_web_user)]
StrategyDep = Annotated[JWTStrategy[User, int], Depends(get_jwt_strategy)]
