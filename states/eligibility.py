"""Sending a person to an offer whose publics they match, or saying why: the one check.

Every way a referral is sent to an offer (created and submitted, submitted, resubmitted,
redirected by its referrer, reassigned by a coordinator) asks ``check_eligible``. A person
whose effective publics (``states.publics``) match none of the offer's eligible publics is
refused (``NotEligible``, 422) unless the sender writes an ``eligibility_justification``;
the justification is then recorded in the payload of the transition's event, where the
case's history shows it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from core.business_days import paris_date
from core.db import get_kept
from core.errors import NotEligible
from core.models import Offer, Person
from states.lifecycle import Effect
from states.publics import effective_publics, is_eligible, labels, takes_everyone

JUSTIFICATION_TITLE = (
    "Justification de l'orientation hors publics (si la personne ne correspond à aucun des "
    "publics de l'offre)"
)
"""The label of ``eligibility_justification``, the field every sending payload carries."""


async def check_eligible(
    session: AsyncSession,
    person_id: int,
    offer_id: int,
    now: datetime,
    justification: str | None,
) -> None:
    """Refuse (``NotEligible``) sending the person to the offer if they match none of its
    publics on the day of ``now`` and no justification was written."""
    if justification:
        return
    offer = await get_kept(session, Offer, offer_id)
    if takes_everyone(offer.eligible_publics):
        return
    person = await session.get_one(Person, person_id)
    publics = effective_publics(person, paris_date(now))
    if is_eligible(offer.eligible_publics, publics):
        return
    raise NotEligible(
        offer.title,
        labels(offer.eligible_publics),
        labels(public.value for public in publics),
    )


def checking_eligibility(effect: Effect | None = None) -> Effect:
    """A referral transition's effect that sends it to its offer: ``effect`` (which may
    change the offer or the person's publics), then the eligibility check, with the
    payload's ``eligibility_justification``."""

    async def then_check(
        session: AsyncSession, referral: Any, fields: BaseModel, now: datetime
    ) -> None:
        if effect is not None:
            await effect(session, referral, fields, now)
        with session.no_autoflush:
            await check_eligible(
                session,
                referral.person_id,
                referral.offer_id,
                now,
                getattr(fields, "eligibility_justification", None),
            )

    return then_check
