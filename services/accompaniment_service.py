"""Accompaniment use cases: reading one, and listing those the caller follows.

Starting one is the handovers' business (``services.handover_service.start_accompaniment``),
its progress checks and its end are triggers of its lifecycle (``states.accompaniment``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.interfaces import ORMOption

from core.models import Accompaniment, AccompanimentPartner
from services import cases
from services.access_log import Reading
from services.cases import CasePage, CaseView
from states.accompaniment import ACCOMPANIMENT
from states.accompaniment_partners import AddPartnerFields, RemovePartnerFields
from states.actor import Actor

DETAILS: tuple[ORMOption, ...] = (
    selectinload(Accompaniment.person),
    selectinload(Accompaniment.organisation),
    selectinload(Accompaniment.partners).selectinload(AccompanimentPartner.organisation),
)
"""What an accompaniment's views load with it."""


async def get_accompaniment(
    session: AsyncSession, actor: Actor, accompaniment_id: int, *, read: Reading | None = None
) -> CaseView:
    """An accompaniment with its events and the actor's allowed actions: for its référent and
    the coordinators of its territory (NotFound for anyone else). ``read``: shown to the
    actor, which the access log records (``cases.get_case``)."""
    return await cases.get_case(session, ACCOMPANIMENT, actor, accompaniment_id, DETAILS, read=read)


async def add_partner(
    session: AsyncSession,
    actor: Actor,
    accompaniment_id: int,
    fields: AddPartnerFields,
    now: datetime,
) -> CaseView:
    """The référent associates a co-accompanying organisation, with the person's consent
    (the ``add_partner`` trigger)."""
    return await cases.fire_case(
        session, ACCOMPANIMENT, actor, accompaniment_id, "add_partner", fields, now, DETAILS
    )


async def remove_partner(
    session: AsyncSession, actor: Actor, accompaniment_id: int, organisation_id: int, now: datetime
) -> None:
    """The référent, or the organisation itself, ends a co-accompaniment (the
    ``remove_partner`` trigger); the organisation then no longer reads the person's file."""
    fields = RemovePartnerFields(partner_organisation_id=organisation_id)
    await cases.fire_only(
        session, ACCOMPANIMENT, actor, accompaniment_id, "remove_partner", fields, now
    )


async def list_accompaniments(
    session: AsyncSession,
    actor: Actor,
    now: datetime,
    *,
    state: str | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> CasePage:
    """The accompaniments of the actor's organisation (a coordinator: their scope), newest
    first."""
    return await cases.list_cases(
        session,
        ACCOMPANIMENT,
        actor,
        now,
        state=state,
        cursor=cursor,
        limit=limit,
        options=DETAILS,
    )
