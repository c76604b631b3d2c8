"""Referral use cases: create, read, list and act, for the API, the command line and flows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.interfaces import ORMOption

from core.errors import Forbidden, InvalidInput
from core.models import Offer, Person, Referral
from states import cases
from states.cases import CasePage, CaseView
from states.policy import Actor, may_create_case
from states.referral import RECEIVER, REFERRAL, REFERRER, ReferralCreate

Box = Literal["sent", "received"]
BOX_SIDES: dict[str, str] = {"sent": REFERRER, "received": RECEIVER}
OLDEST_BIRTH_DATE = date(1900, 1, 1)


DETAILS: tuple[ORMOption, ...] = (
    selectinload(Referral.offer),
    selectinload(Referral.person),
    selectinload(Referral.sender_organisation),
    selectinload(Referral.receiver_organisation),
)
"""What a referral's views load with it (its relationships are ``lazy="raise"``)."""


async def create_referral(
    session: AsyncSession, actor: Actor, data: ReferralCreate, now: datetime
) -> CaseView:
    """Create a referral for the actor's organisation and, unless told not to, submit it.

    Creation and submission are one transaction: either both happened or nothing did.
    """
    if not may_create_case(actor) or actor.organisation_id is None:
        raise Forbidden("Votre rôle ne permet pas d'orienter une personne.")
    if not data.consent:
        raise InvalidInput(
            "L'orientation exige l'attestation que la personne a été informée et a donné "
            "son accord au partage de ses informations.",
            field="consent",
        )
    birth_date = data.person.birth_date
    if birth_date is not None and not OLDEST_BIRTH_DATE <= birth_date <= now.date():
        raise InvalidInput("La date de naissance n'est pas plausible.", field="person.birth_date")
    offer = await session.get(Offer, data.offer_id)
    if offer is None or not offer.is_active:
        raise InvalidInput(
            f"L'offre {data.offer_id} n'existe pas ou n'est plus ouverte.", field="offer_id"
        )
    person = Person(**data.person.model_dump(), created_at=now)
    session.add(person)
    await session.flush()
    referral = Referral(
        offer_id=offer.id,
        sender_organisation_id=actor.organisation_id,
        receiver_organisation_id=offer.organisation_id,
        territory=offer.territory,
        created_by_id=actor.user_id,
        person_id=person.id,
        motive=data.motive,
        situation=data.situation,
        barriers=sorted(set(data.barriers)),
        consent_attested_at=now,
    )
    referral_id = await cases.open_case(
        session, REFERRAL, referral, actor, now, then="submit" if data.submit else None
    )
    return await get_referral(session, actor, referral_id)


async def get_referral(session: AsyncSession, actor: Actor, referral_id: int) -> CaseView:
    """The referral with its events and the actor's allowed actions; NotFound if not theirs."""
    return await cases.get_case(session, REFERRAL, actor, referral_id, DETAILS)


async def list_referrals(
    session: AsyncSession,
    actor: Actor,
    now: datetime,
    *,
    box: Box | None = None,
    state: str | None = None,
    overdue: bool | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> CasePage:
    """Referrals the actor may see, newest first, filtered and paginated by id cursor."""
    return await cases.list_cases(
        session,
        REFERRAL,
        actor,
        now,
        side=BOX_SIDES[box] if box is not None else None,
        state=state,
        overdue=overdue,
        cursor=cursor,
        limit=limit,
        options=DETAILS,
    )


async def fire_referral(
    session: AsyncSession,
    actor: Actor,
    referral_id: int,
    trigger: str,
    fields: BaseModel | None,
    now: datetime,
) -> CaseView:
    """Fire a human trigger on a referral and return it as the actor now sees it."""
    return await cases.fire_case(
        session, REFERRAL, actor, referral_id, trigger, fields, now, DETAILS
    )
