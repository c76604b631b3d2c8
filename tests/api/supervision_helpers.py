"""What the supervision tests (``test_supervision*.py``) share: Paris time in March 2026 and
referrals submitted at a given moment."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.models import Offer
from services.referral_service import create_referral
from tests.factories import World, actor_of, referral_create

PARIS = ZoneInfo("Europe/Paris")
Sessions = async_sessionmaker[AsyncSession]


def paris(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of March 2026 in Paris."""
    return datetime(2026, 3, day, hour, minute, tzinfo=PARIS)


async def submit(sessionmaker: Sessions, world: World, offer: Offer, now: datetime) -> int:
    """A referral created and submitted at ``now`` by the world's referrer."""
    async with sessionmaker() as session:
        view = await create_referral(session, actor_of(world.referrer), referral_create(offer), now)
    return int(view.case.id)
