"""What the referral authorization tests (``test_authorization_*.py``) share: the callers,
their tokens, a body for each trigger and referrals brought to a given state.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import Outcome, ReturnReason
from core.models import Offer, Referral, User
from services import referral_service
from states.referral_fields import CompleteFields, ReturnFields
from tests.factories import World, actor_of, auth_headers, referral_create

CALLERS = ("referrer", "receiver", "outsider", "coordinator", "anonymous")

# How each referral is brought to the state under test, starting from a draft.
PREPARATION: dict[str, tuple[tuple[str, str], ...]] = {
    "draft": (),
    "submitted": (("referrer", "submit"),),
    "returned": (("referrer", "submit"), ("receiver", "return")),
    "accepted": (("referrer", "submit"), ("receiver", "accept")),
    "completed": (("referrer", "submit"), ("receiver", "accept"), ("receiver", "complete")),
}


def users_of(world: World) -> dict[str, User]:
    """The user behind each caller but ``anonymous``."""
    return {
        "referrer": world.referrer,
        "receiver": world.receiver_member,
        "outsider": world.outsider_member,
        "coordinator": world.coordinator,
    }


async def headers_of(world: World, caller: str) -> dict[str, str]:
    """The caller's bearer token, or none."""
    if caller == "anonymous":
        return {}
    return await auth_headers(users_of(world)[caller])


TRIGGER_BODIES: dict[str, dict[str, Any]] = {
    "return": {"reason": "no_capacity", "comment": "Plus de place ce trimestre."},
    "complete": {"outcome": "lasting_employment"},
    "cancel": {"reason": "La personne a trouvé un emploi."},
    "resubmit": {"motive": "Demande complétée"},
}


def trigger_body(trigger: str, other_offer: Offer) -> dict[str, Any]:
    """A valid body for ``trigger`` (``reassign`` points at ``other_offer``)."""
    if trigger == "reassign":
        return {"offer_id": other_offer.id}
    return TRIGGER_BODIES.get(trigger, {})


async def referral_in(
    sessionmaker: async_sessionmaker[AsyncSession],
    world: World,
    clock: FixedClock,
    state: str,
    offer: Offer | None = None,
) -> int:
    """A new referral of the world's referrer, brought to ``state`` through the engine."""
    users = users_of(world)
    async with sessionmaker() as session:
        view = await referral_service.create_referral(
            session,
            actor_of(world.referrer),
            referral_create(offer or world.offer, submit=False),
            clock.now(),
        )
        referral_id = int(view.case.id)
        for caller, trigger in PREPARATION[state]:
            fields = {
                "return": ReturnFields(
                    reason=ReturnReason.MISSING_INFORMATION, comment="Coordonnées manquantes"
                ),
                "complete": CompleteFields(outcome=Outcome.QUALIFYING_TRAINING),
            }.get(trigger)
            await referral_service.fire_referral(
                session, actor_of(users[caller]), referral_id, trigger, fields, clock.now()
            )
        await session.commit()
    return referral_id


async def state_and_version(
    sessionmaker: async_sessionmaker[AsyncSession], referral_id: int
) -> tuple[str, int]:
    """The referral's state and version, read in a session of its own."""
    async with sessionmaker() as session:
        row = (
            await session.execute(
                select(Referral.state, Referral.version).where(Referral.id == referral_id)
            )
        ).one()
    return row.state, row.version
