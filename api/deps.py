"""Request dependencies as ``Annotated`` aliases, shared by every router."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from core.enums import AccessChannel
from core.models import User
from services.access_log import Reading
from services.auth import UserManager, current_active_user, get_user_manager
from services.request_context import Cursor, NowDep, PathId, SessionDep, SettingsDep
from states.actor import Actor

__all__ = [
    "ActorDep",
    "CurrentUserDep",
    "Cursor",
    "NowDep",
    "PathId",
    "ReadDep",
    "SessionDep",
    "SettingsDep",
    "UserManagerDep",
]


def get_actor(user: Annotated[User, Depends(current_active_user)]) -> Actor:
    """The authenticated user as the domain sees them."""
    return Actor.of(user)


def api_read(now: NowDep) -> Reading:
    """An API read of a case or a person: logged (``services.access_log``)."""
    return Reading(AccessChannel.API, now)


CurrentUserDep = Annotated[User, Depends(current_active_user)]
ActorDep = Annotated[Actor, Depends(get_actor)]
UserManagerDep = Annotated[UserManager, Depends(get_user_manager)]
ReadDep = Annotated[Reading, Depends(api_read)]
