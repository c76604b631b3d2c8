"""Creating a referral and firing a trigger, each in a session of its own, for the engine's
tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

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
