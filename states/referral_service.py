"""Referral use cases: create, read, list and act, for the API, the command line and flows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.business_days import PARIS
from core.errors import ConcurrentChange, Forbidden, InvalidInput, NotFound
from core.models import Event, Offer, Person, Referral
from core.references import next_reference
from states import engine
from states.policy import Actor, allowed_triggers, may_create_case, sides_of, visible_clause
from states.referral import RECEIVER, REFERRAL, REFERRER, ReferralCreate

Box = Literal["sent", "received"]
BOX_SIDES: dict[str, str] = {"sent": REFERRER, "received": RECEIVER}
OLDEST_BIRTH_DATE = date(1900, 1, 1)


@dataclass(frozen=True)
class ReferralView:
    """A referral as one caller may see it: the case, its trail and what they may do next."""

    referral: Referral
    events: list[Event]
    allowed_actions: list[str]


@dataclass(frozen=True)
class ReferralPage:
    """One page of a referral listing; ``next_cursor`` is None on the last page."""

    items: list[Referral]
    next_cursor: int | None


def _with_details() -> list[Any]:
    return [
        selectinload(Referral.offer),
        selectinload(Referral.person),
        selectinload(Referral.sender_organisation),
        selectinload(Referral.receiver_organisation),
    ]


async def create_referral(
    session: AsyncSession, actor: Actor, data: ReferralCreate, now: datetime
) -> ReferralView:
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
    try:
        offer = await session.get(Offer, data.offer_id)
        if offer is None or not offer.is_active:
            raise InvalidInput(
                f"L'offre {data.offer_id} n'existe pas ou n'est plus ouverte.", field="offer_id"
            )
        person = Person(**data.person.model_dump(), created_at=now)
        session.add(person)
        await session.flush()
        referral = Referral(
            reference=await next_reference(
                session, REFERRAL.reference_prefix, now.astimezone(PARIS).year
            ),
            state=REFERRAL.initial,
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
            created_at=now,
            state_entered_at=now,
        )
        session.add(referral)
        await session.flush()
        await engine.record_creation(session, REFERRAL, referral, actor, now)
        if data.submit:
            await engine.apply_transition(session, REFERRAL, referral, "submit", actor, None, now)
        await session.commit()
    except IntegrityError as error:
        await session.rollback()
        raise ConcurrentChange("Enregistrement concurrent ; réessayez.") from error
    except BaseException:
        await session.rollback()
        raise
    return await get_referral(session, actor, referral.id)


async def get_referral(session: AsyncSession, actor: Actor, referral_id: int) -> ReferralView:
    """The referral with its events and the actor's allowed actions; NotFound if not theirs."""
    referral = (
        await session.execute(
            select(Referral)
            .where(Referral.id == referral_id, visible_clause(actor, REFERRAL))
            .options(*_with_details())
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if referral is None:
        raise NotFound(f"Orientation {referral_id} introuvable.")
    events = list(
        (
            await session.execute(
                select(Event)
                .where(Event.case_kind == REFERRAL.name, Event.case_id == referral.id)
                .order_by(Event.id)
            )
        ).scalars()
    )
    sides = sides_of(actor, REFERRAL, referral)
    return ReferralView(referral, events, allowed_triggers(REFERRAL, sides, referral.state))


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
) -> ReferralPage:
    """Referrals the actor may see, newest first, filtered and paginated by id cursor."""
    if state is not None and state not in REFERRAL.states:
        raise InvalidInput(
            f"État « {state} » inconnu ; états possibles : {', '.join(REFERRAL.states)}.",
            field="state",
        )
    statement = select(Referral).where(visible_clause(actor, REFERRAL))
    if box is not None:
        column = REFERRAL.parties[BOX_SIDES[box]]
        statement = statement.where(column == actor.organisation_id)
    if state is not None:
        statement = statement.where(Referral.state == state)
    if overdue is not None:
        clause = engine.overdue_clause(REFERRAL, now)
        statement = statement.where(clause if overdue else ~clause)
    if cursor is not None:
        statement = statement.where(Referral.id < cursor)
    statement = statement.order_by(Referral.id.desc()).limit(limit + 1).options(*_with_details())
    rows = list((await session.execute(statement)).scalars())
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return ReferralPage(rows[:limit], next_cursor)


async def fire_referral(
    session: AsyncSession,
    actor: Actor,
    referral_id: int,
    trigger: str,
    fields: BaseModel | None,
    now: datetime,
) -> ReferralView:
    """Fire a human trigger on a referral and return it as the actor now sees it."""
    await engine.fire(session, REFERRAL, referral_id, trigger, actor, fields, now)
    return await get_referral(session, actor, referral_id)
