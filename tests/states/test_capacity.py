"""An acceptance locks its offer's row only to count its places (``states.capacity``), on
PostgreSQL: acceptances to an offer without a capacity do not wait on each other (they all
did, the row locked from the acceptance to its commit), those to an offer with one still
queue for the last place."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, update

from core.clock import FixedClock
from core.models import Offer, Referral
from tests.factories import World, actor_of
from tests.states.engine_helpers import Sessions, fire, new_referral

pytestmark = pytest.mark.postgres

QUICK = 5.0
"""Seconds an acceptance that waits on nothing has, at most (it takes milliseconds)."""
BLOCKED = 0.5
"""Seconds an acceptance queued behind the offer's lock is watched still waiting."""


async def _accept_while_offer_locked(
    world: World, sessionmaker: Sessions, clock: FixedClock, capacity: int | None
) -> tuple[bool, str]:
    """Accept a referral while another transaction holds the offer's row (``FOR UPDATE``):
    whether it ended while the row was held, and the referral's state once it is released."""
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(Offer).where(Offer.id == world.offer.id).values(capacity=capacity)
        )
    referral_id = await new_referral(sessionmaker, world, clock.now())
    receiver = actor_of(world.receiver_member)
    async with sessionmaker() as holder:
        async with holder.begin():
            await holder.execute(
                select(Offer.id).where(Offer.id == world.offer.id).with_for_update()
            )
            accepting = asyncio.create_task(
                fire(sessionmaker, referral_id, "accept", receiver, {}, now=clock.now())
            )
            done, _ = await asyncio.wait(
                {accepting}, timeout=QUICK if capacity is None else BLOCKED
            )
            ended_while_held = accepting in done
        await accepting
    async with sessionmaker() as session:
        state = (await session.get_one(Referral, referral_id)).state
    return ended_while_held, state


async def test_an_acceptance_to_an_offer_without_capacity_waits_on_no_lock(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    assert await _accept_while_offer_locked(world, sessionmaker, clock, None) == (
        True,
        "accepted",
    )


async def test_an_acceptance_to_an_offer_with_a_capacity_waits_for_its_places(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    assert await _accept_while_offer_locked(world, sessionmaker, clock, 3) == (
        False,
        "accepted",
    )
