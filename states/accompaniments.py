"""Who accompanies a person: starting and reading accompaniments (no permission rules here)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import get_kept
from core.enums import AccompanimentSource
from core.errors import ConcurrentChange
from core.models import Accompaniment, Organisation


async def current_accompaniment(
    session: AsyncSession, person_id: int, *, lock: bool = False
) -> Accompaniment | None:
    """The person's current accompaniment, if any (locked ``FOR UPDATE`` when ``lock``)."""
    statement = select(Accompaniment).where(
        Accompaniment.person_id == person_id, Accompaniment.ended_at.is_(None)
    )
    if lock:
        statement = statement.with_for_update()
    return (
        await session.execute(statement.execution_options(populate_existing=True))
    ).scalar_one_or_none()


async def begin_accompaniment(
    session: AsyncSession,
    person_id: int,
    organisation_id: int,
    source: AccompanimentSource,
    source_id: int | None,
    now: datetime,
    *,
    reason: str | None = None,
    started_by_id: int | None = None,
) -> Accompaniment:
    """Make ``organisation_id`` the person's référent, in the caller's transaction.

    ``reason`` and ``started_by_id`` record why and by whom the coordination started it
    directly (a referral or a handover is its own trail).

    Refused when another organisation already accompanies the person: that change is a
    handover (passage de relais), so that the person is never without, or with two, référents.
    """
    current = await current_accompaniment(session, person_id, lock=True)
    if current is not None and current.organisation_id == organisation_id:
        return current
    if current is not None:
        referent = await get_kept(session, Organisation, current.organisation_id)
        raise ConcurrentChange(
            f"La personne est déjà accompagnée par {referent.name} : proposez-lui plutôt un "
            "passage de relais."
        )
    accompaniment = Accompaniment(
        person_id=person_id,
        organisation_id=organisation_id,
        source=source,
        source_id=source_id,
        started_at=now,
        reason=reason,
        started_by_id=started_by_id,
    )
    session.add(accompaniment)
    await session.flush()
    return accompaniment


async def accompaniments_of(session: AsyncSession, person_id: int) -> list[Accompaniment]:
    """Every accompaniment of the person, oldest first."""
    return list(
        (
            await session.execute(
                select(Accompaniment)
                .where(Accompaniment.person_id == person_id)
                .order_by(Accompaniment.started_at, Accompaniment.id)
            )
        ).scalars()
    )
