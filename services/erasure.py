"""The person's right to erasure (or objection), answered now by whoever exercises their rights."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import transaction
from core.enums import ERASURE_REASONS, AnonymisationReason
from core.errors import Forbidden, NotFound, OpenCases
from core.models import Person
from services.anonymisation import anonymise_person, open_case_references
from services.persons import known_persons_clause
from states.actor import Actor
from states.fields import Offered, Payload
from states.policy import may_exercise_rights

ErasureReason = Annotated[AnonymisationReason, Offered(ERASURE_REASONS)]
"""A reason for erasing a person now (``retention`` is relais's own, never offered)."""


class ErasureRequest(Payload):
    """Why the person's data is erased now."""

    reason: ErasureReason = Field(title="Motif de l'effacement")


def _check_may_erase(actor: Actor) -> None:
    if not may_exercise_rights(actor):
        raise Forbidden(
            "Seuls le délégué à la protection des données et la coordination effacent les "
            "données d'une personne."
        )


async def _known_person(
    session: AsyncSession, actor: Actor, person_id: int, *, lock: bool
) -> Person:
    statement = select(Person).where(Person.id == person_id, known_persons_clause(actor))
    person = (
        await session.execute(statement.with_for_update() if lock else statement)
    ).scalar_one_or_none()
    if person is None:
        raise NotFound(f"Personne {person_id} introuvable.")
    return person


async def person_to_erase(session: AsyncSession, actor: Actor, person_id: int) -> Person:
    """The person whose data ``actor`` may erase: Forbidden without the right, NotFound for a
    person they do not know."""
    _check_may_erase(actor)
    return await _known_person(session, actor, person_id, lock=False)


async def erase_person(
    session: AsyncSession,
    actor: Actor,
    person_id: int,
    reason: AnonymisationReason,
    now: datetime,
) -> None:
    """Anonymise the person now, in one transaction, at their request (erasure, objection).

    Forbidden (403) to whoever does not answer persons' rights; NotFound (404) for a person
    the actor does not know; OpenCases (409) while any of their cases is not final (listed:
    they must be cancelled or ended first). An already anonymised person is left as is.
    """
    _check_may_erase(actor)
    async with transaction(session):
        await _known_person(session, actor, person_id, lock=True)
        still_open = await open_case_references(session, person_id)
        if still_open:
            raise OpenCases(
                "Les données de cette personne ne peuvent pas être effacées tant que des "
                f"dossiers sont en cours ({', '.join(still_open)}) : faites-les d'abord "
                "annuler ou clore.",
                open_cases=still_open,
            )
        await anonymise_person(session, person_id, now, reason=reason, actor=actor)
