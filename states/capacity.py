"""An offer's capacity: how many places its referrals take, and the rule of ``accept``.

A referral takes a place of its offer from its acceptance until it ends: while it is
``accepted`` or ``in_progress``. An offer with a capacity accepts a referral beyond it only on
an explicit override with a comment (``AcceptFields.capacity_override``), which the case's
history keeps. The places are counted with the offer's row locked (``FOR UPDATE`` on
PostgreSQL), inside the transaction of the acceptance: two acceptances at once for the last
place are serialised, and the second one sees the offer full. An offer without a capacity
(or an override) counts nothing and locks nothing: its acceptances do not wait on each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput, NotFound, OfferFull
from core.models import Offer, Referral
from core.prepared import Prepared
from states.referral_fields import AcceptFields

TAKING_STATES = ("accepted", "in_progress")
"""The referral states that take a place of their offer."""


def places_word(count: int) -> str:
    """« 1 place », « 2 places »."""
    return f"{count} place" if count in (0, 1) else f"{count} places"


async def places_taken(session: AsyncSession, offer_ids: Iterable[int]) -> dict[int, int]:
    """How many places each of ``offer_ids`` has taken (offers with none are left out)."""
    ids = sorted(set(offer_ids))
    if not ids:
        return {}
    rows = await session.execute(
        select(Referral.offer_id, func.count())
        .where(Referral.offer_id.in_(ids), Referral.state.in_(TAKING_STATES))
        .group_by(Referral.offer_id)
    )
    return {offer_id: count for offer_id, count in rows.tuples()}


_CAPACITY = select(Offer.id, Offer.capacity, Offer.title).where(Offer.id == bindparam("offer_id"))
READ_OFFER = Prepared(_CAPACITY)
"""The offer's capacity, read without a lock: most offers have none."""
LOCK_OFFER = Prepared(_CAPACITY.with_for_update())
"""The offer's capacity again, its row locked until the acceptance commits: three columns, not
the whole offer (the lock is the row's either way)."""


async def accept_within_capacity(
    session: AsyncSession, referral: Any, fields: BaseModel, now: datetime
) -> None:
    """``accept``'s effect: refuse (409) a referral beyond its offer's capacity unless the
    receiver overrides it with a comment."""
    assert isinstance(fields, AcceptFields)
    if fields.capacity_override and not fields.capacity_comment:
        raise InvalidInput(
            "Expliquez en commentaire pourquoi vous acceptez au-delà de la capacité.",
            field="capacity_comment",
        )
    # No autoflush: the referral, changed by the transition's copies, is written once, with
    # the transition (its version moves by one).
    with session.no_autoflush:
        read = await READ_OFFER.fetch(session, {"offer_id": referral.offer_id})
        if not read:
            raise NotFound(f"Offre {referral.offer_id} introuvable.")
        ((offer_id, capacity, title),) = read
        if capacity is None or fields.capacity_override:
            return
        # Read again under the lock: the capacity as it stands once the others have committed.
        ((offer_id, capacity, title),) = await LOCK_OFFER.fetch(session, {"offer_id": offer_id})
        if capacity is None:
            return
        taken = (await places_taken(session, [offer_id])).get(offer_id, 0)
    if taken < capacity:
        return
    raise OfferFull(
        f"L'offre « {title} » est complète : {places_word(taken)} "
        f"{'occupée' if taken < 2 else 'occupées'} sur {places_word(capacity)}. "
        "Pour accepter quand même, cochez « Accepter au-delà de la capacité » et expliquez "
        "pourquoi en commentaire ; sinon retournez l'orientation au prescripteur.",
        taken=taken,
        capacity=capacity,
    )
