"""What every request reads: its database session, the settings, the clock, the time.

Shared by the API and the pages as ``Annotated`` aliases.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import Clock
from core.db import MAX_ID
from core.settings import Settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One database session per request, closed (and rolled back if open) at the end."""
    async with request.app.state.sessionmaker() as session:
        yield session


def get_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    """The application's sessionmaker, for a request that reads several things at once, each
    on its own connection (the indicators page)."""
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return sessions


def get_settings(request: Request) -> Settings:
    """The settings the application was built with."""
    settings: Settings = request.app.state.settings
    return settings


def get_clock(request: Request) -> Clock:
    """The clock the application was built with (the system's, or a test's)."""
    clock: Clock = request.app.state.clock
    return clock


def get_now(clock: Annotated[Clock, Depends(get_clock)]) -> datetime:
    """The current instant for this request, read once."""
    return clock.now()


SessionDep = Annotated[AsyncSession, Depends(get_session)]
SessionsDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessionmaker)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
NowDep = Annotated[datetime, Depends(get_now)]

PathId = Annotated[int, Path(gt=0, le=MAX_ID)]
"""An id in the path: beyond ``MAX_ID`` it cannot exist and answers 422."""
Cursor = Annotated[int | None, Query(ge=0, le=MAX_ID)]
"""The ``next_cursor`` of the previous page."""
