"""Fixtures shared by several API test modules."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from services import referral_service
from tests.api.bad_input_helpers import Case
from tests.factories import World, actor_of, make_offer, referral_create


@pytest.fixture
async def case(
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> Case:
    """The world of the bad-input tests (``test_bad_input*.py``): a closed offer of the
    receiver, and a referral submitted to its open offer."""
    inactive = await make_offer(session, world.receiver, clock.now(), is_active=False)
    async with sessionmaker() as arrange:
        view = await referral_service.create_referral(
            arrange, actor_of(world.referrer), referral_create(world.offer), clock.now()
        )
        await arrange.commit()
    return Case(world, view.case.id, inactive)
