"""Request dependencies as ``Annotated`` aliases, shared by every router."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from core.models import User
from services.auth import UserManager, current_active_user, get_user_manager
from services.request_context import Cursor, NowDep, PathId, SessionDep, SettingsDep
from states.actor import Actor

__all__ = [
    "ActorDep",
    "CurrentUserDep",
    "Cursor",
    "NowDep",
    "PathId",
    "SessionDep",
    "SettingsDep",
    "UserManagerDep",
]


def get_actor(user: Annotated[User, Depends(current_active_user)]) -> Actor:
    """The authenticated user as the domain sees them."""
    return Actor.of(user)


CurrentUserDep = Annotated[User, Depends(current_active_user)]
ActorDep = Annotated[Actor, Depends(get_actor)]
UserManagerDep = Annotated[UserManager, Depends(get_user_manager)]
