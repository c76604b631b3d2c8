"""Who accompanies a person: starting and reading accompaniments (no permission rules here)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.business_days import PARIS, birthday_at
from core.db import get_kept
from core.enums import AccompanimentSource, OrganisationKind, Territory
from core.errors import ConcurrentChange
from core.models import Accompaniment, Organisation, Person
from core.references import next_reference
from states.accompaniment import ACCOMPANIMENT, AGE_LIMIT
from states.actor import Actor
from states.timers import replace_anchored_timers


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


async def age_limit_at(
    session: AsyncSession, person_id: int, organisation_id: int
) -> datetime | None:
    """When the person reaches the Mission locale's age limit (26), if ``organisation_id`` is
    a Mission locale and their birth date is known; None otherwise."""
    organisation = await get_kept(session, Organisation, organisation_id)
    if organisation.kind is not OrganisationKind.MISSION_LOCALE:
        return None
    birth_date = await session.scalar(select(Person.birth_date).where(Person.id == person_id))
    return None if birth_date is None else birthday_at(birth_date, AGE_LIMIT)


async def move_age_limit(
    session: AsyncSession, accompaniment: Accompaniment, now: datetime
) -> bool:
    """Recount the accompaniment's Mission locale age limit after the person's birth date was
    corrected: ``turns_26_at`` and its « 26 ans » milestones follow the new date (the other
    timers stay). In the caller's transaction; whether anything moved."""
    turns_26_at = await age_limit_at(
        session, accompaniment.person_id, accompaniment.organisation_id
    )
    if turns_26_at == accompaniment.turns_26_at:
        return False
    accompaniment.turns_26_at = turns_26_at
    await replace_anchored_timers(session, ACCOMPANIMENT, accompaniment, "turns_26_at", now)
    return True


async def begin_accompaniment(
    session: AsyncSession,
    person_id: int,
    organisation_id: int,
    source: AccompanimentSource,
    source_id: int | None,
    now: datetime,
    *,
    territory: Territory,
    reason: str | None = None,
    started_by: Actor | None = None,
) -> Accompaniment:
    """Make ``organisation_id`` the person's référent, in the caller's transaction: a new case
    of the accompaniment lifecycle, with its reference, its first event and its timers.

    ``reason`` and ``started_by`` record why and by whom the coordination started it directly
    (a referral or a handover is its own trail: its first event is then the new référent's,
    whose side started the referral or confirmed the handover).

    Refused when another organisation already accompanies the person: that change is a
    handover (passage de relais), so that the person is never without, or with two, référents.
    """
    # Imported here: the engine imports the policy, which imports the referral lifecycle,
    # whose start begins accompaniments; at the top of this module, that circle would make
    # the first of them imported fail, whichever it is.
    from states import engine

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
        reference=await next_reference(
            session, ACCOMPANIMENT.reference_prefix, now.astimezone(PARIS).year
        ),
        state=ACCOMPANIMENT.initial,
        person_id=person_id,
        organisation_id=organisation_id,
        territory=territory,
        source=source,
        source_id=source_id,
        started_at=now,
        state_entered_at=now,
        reason=reason,
        started_by_id=started_by.user_id if started_by else None,
        turns_26_at=await age_limit_at(session, person_id, organisation_id),
    )
    session.add(accompaniment)
    await session.flush()
    actor = started_by or Actor(user_id=None, organisation_id=organisation_id, role=None)
    await engine.record_creation(session, ACCOMPANIMENT, accompaniment, actor, now)
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
