"""Who may answer a person's rights, on which record: the one check the export, the
rectification and the withdrawal of consent share.

A person the actor may not know of is « introuvable » (404: existence does not leak); one
they know of without the right to answer it is refused (403). The rule itself is
``states.policy.may_exercise_rights``; the persons an actor knows, ``known_persons_clause``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Forbidden, NotFound
from core.models import Person
from services.persons import known_persons_clause
from states.actor import Actor
from states.policy import may_exercise_rights

NO_RIGHT = (
    "Seuls le délégué à la protection des données et la coordination du plan répondent aux "
    "droits d'une personne."
)


async def person_for_rights(
    session: AsyncSession, actor: Actor, person_id: int, *, lock: bool = False
) -> Person:
    """The person whose rights ``actor`` answers (locked ``FOR UPDATE`` when ``lock``):
    NotFound when the actor may not know of them, Forbidden without the right."""
    statement = select(Person).where(Person.id == person_id, known_persons_clause(actor))
    if lock:
        statement = statement.with_for_update()
    person = (
        await session.execute(statement.execution_options(populate_existing=True))
    ).scalar_one_or_none()
    if person is None:
        raise NotFound(f"Personne {person_id} introuvable.")
    if not may_exercise_rights(actor):
        raise Forbidden(NO_RIGHT)
    return person
