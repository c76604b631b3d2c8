"""Request dependencies as ``Annotated`` aliases, shared by every router."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import UserManager, current_active_user, get_session, get_settings, get_user_manager
from core.clock import Clock
from core.db import MAX_ID
from core.models import User
from core.settings import Settings
from states.policy import Actor


def get_clock(request: Request) -> Clock:
    """The clock the application was built with (the system's, or a test's)."""
    clock: Clock = request.app.state.clock
    return clock


def get_now(clock: Annotated[Clock, Depends(get_clock)]) -> datetime:
    """The current instant for this request, read once."""
    return clock.now()


def get_actor(user: Annotated[User, Depends(current_active_user)]) -> Actor:
    """The authenticated user as the domain sees them."""
    return Actor(
        user_id=user.id,
        organisation_id=user.organisation_id,
        role=user.role,
        scope_territory=user.scope_territory,
    )


SessionDep = Annotated[AsyncSession, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
NowDep = Annotated[datetime, Depends(get_now)]
CurrentUserDep = Annotated[User, Depends(current_active_user)]
ActorDep = Annotated[Actor, Depends(get_actor)]
UserManagerDep = Annotated[UserManager, Depends(get_user_manager)]

PathId = Annotated[int, Path(gt=0, le=MAX_ID)]
"""An id in the path: beyond ``MAX_ID`` it cannot exist and answers 422."""
Cursor = Annotated[int | None, Query(ge=0, le=MAX_ID)]
"""The ``next_cursor`` of the previous page."""
