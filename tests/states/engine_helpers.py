"""Creating a referral and firing a trigger, each in a session of its own, and listening to the
statements sent, for the engine's tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine.interfaces import CacheStats
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.referral_service import create_referral
from states import engine
from states.actor import Actor
from states.lifecycle import Lifecycle
from states.referral import REFERRAL
from tests.factories import World, actor_of, referral_create

Sessions = async_sessionmaker[AsyncSession]


async def new_referral(
    sessionmaker: Sessions, world: World, now: datetime, *, submit: bool = True
) -> int:
    """A referral of the world's referrer to its offer, sent unless ``submit`` is false."""
    async with sessionmaker() as session:
        view = await create_referral(
            session, actor_of(world.referrer), referral_create(world.offer, submit=submit), now
        )
        await session.commit()
    return int(view.case.id)


async def fire(
    sessionmaker: Sessions,
    referral_id: int,
    trigger: str,
    actor: Actor,
    payload: dict[str, Any] | None = None,
    *,
    now: datetime,
    lifecycle: Lifecycle = REFERRAL,
) -> None:
    """Fire ``trigger`` on the referral (or a case of ``lifecycle``) as ``actor``."""
    async with sessionmaker() as session:
        await engine.fire(session, lifecycle, referral_id, trigger, actor, payload, now)


PREPARED = "prepared"
"""A statement ``core.prepared`` ran itself: compiled once, when first run."""


class Statements:
    """The compiled statements sent on an engine while it listens (not BEGIN or COMMIT)."""

    def __init__(self, db_engine: AsyncEngine) -> None:
        self.sent: list[tuple[CacheStats | str, str]] = []
        self._engine = db_engine.sync_engine

    def _note(self, *args: Any) -> None:
        context = args[4]
        if context is None:
            # A prepared statement (``core.prepared``), compiled once when first run.
            self.sent.append((PREPARED, args[2]))
        # A statement sent as a string (SQLite's BEGIN IMMEDIATE) is not compiled at all.
        elif context.compiled is not None:
            self.sent.append((context.cache_hit, str(context.statement)))

    def __enter__(self) -> Statements:
        event.listen(self._engine, "before_cursor_execute", self._note)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self._engine, "before_cursor_execute", self._note)
