"""Where the person of a case lives: what widens a coordinator's scope to the case."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import Territory
from core.models import Person
from states.lifecycle import Lifecycle


async def residence_of(session: AsyncSession, lifecycle: Lifecycle, case: Any) -> Territory | None:
    """Where the person of ``case`` lives (None: unknown, or the lifecycle has no person)."""
    if lifecycle.person is None:
        return None
    person_id = getattr(case, lifecycle.person.key)
    residence: Territory | None = await session.scalar(
        select(Person.residence).where(Person.id == person_id)
    )
    return residence
