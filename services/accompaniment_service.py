"""Accompaniment use cases: reading one, and listing those the caller follows.

Starting one is the handovers' business (``services.handover_service.start_accompaniment``),
its progress checks and its end are triggers of its lifecycle (``states.accompaniment``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.interfaces import ORMOption

from core.models import Accompaniment
from services import cases
from services.cases import CasePage, CaseView
from states.accompaniment import ACCOMPANIMENT
from states.actor import Actor

DETAILS: tuple[ORMOption, ...] = (
    selectinload(Accompaniment.person),
    selectinload(Accompaniment.organisation),
)
"""What an accompaniment's views load with it."""


async def get_accompaniment(session: AsyncSession, actor: Actor, accompaniment_id: int) -> CaseView:
    """An accompaniment with its events and the actor's allowed actions: for its référent and
    the coordinators of its territory (NotFound for anyone else)."""
    return await cases.get_case(session, ACCOMPANIMENT, actor, accompaniment_id, DETAILS)


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
