"""Coordinators' view of a person's record: its possible duplicates, and merging two records
of one human into one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import Field
from sqlalchemy import Column, Table, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Base, transaction
from core.errors import Conflict, Forbidden, IdentityConflict, InvalidInput, NotFound
from core.models import AccessLogEntry, Accompaniment, Organisation, Person, PersonEvent
from services.access_log import Reading, record_access
from services.persons import CONTACT, IDENTIFIERS, current_referent, known_persons_clause
from states.actor import Actor
from states.fields import Id, Payload
from states.identity import KEY_SEPARATOR
from states.policy import may_merge_persons


class PersonMerge(Payload):
    """Which record to merge into this one (it is deleted; its cases move here)."""

    other_id: Id = Field(title="Fiche à fusionner")


MERGE = "merge"
"""The kind of the person event a merge records."""
CANDIDATES_SHOWN = 20


@dataclass(frozen=True)
class PersonCard:
    """A person's record as a coordinator compares it: identity, identifiers, référent."""

    person: Person
    referent: str | None
    cases: int
    candidates: list[Person]


def _check_may_merge(actor: Actor) -> None:
    if not may_merge_persons(actor):
        raise Forbidden("Seule la coordination du plan fusionne les fiches d'une personne.")


async def _known_person(session: AsyncSession, actor: Actor, person_id: int) -> Person:
    """The person, if ``actor`` may know of them; NotFound otherwise."""
    person = (
        await session.execute(
            select(Person).where(Person.id == person_id, known_persons_clause(actor))
        )
    ).scalar_one_or_none()
    if person is None:
        raise NotFound(f"Personne {person_id} introuvable.")
    return person


async def merge_candidates(session: AsyncSession, actor: Actor, person: Person) -> list[Person]:
    """Other records of the coordinator's scope that may be the same human: the same
    normalised name, or the same birth date and the same last or first name. Oldest first."""
    _check_may_merge(actor)
    last, _, first = person.name_key.partition(KEY_SEPARATOR)
    similar = or_(
        Person.name_key == person.name_key,
        and_(
            Person.birth_date.is_not(None),
            Person.birth_date == person.birth_date,
            or_(
                Person.name_key.startswith(last + KEY_SEPARATOR, autoescape=True),
                Person.name_key.endswith(KEY_SEPARATOR + first, autoescape=True),
            ),
        ),
    )
    rows = await session.execute(
        select(Person)
        .where(
            Person.id != person.id,
            Person.anonymised_at.is_(None),
            similar,
            known_persons_clause(actor),
        )
        .order_by(Person.id)
        .limit(CANDIDATES_SHOWN)
    )
    return list(rows.scalars())


async def person_card(
    session: AsyncSession, actor: Actor, person_id: int, *, read: Reading | None = None
) -> PersonCard:
    """A person of the coordinator's scope, with their référent, how many cases name them
    and their possible duplicates (``merge_candidates``); NotFound out of scope. ``read``:
    shown to the actor, which the access log records."""
    _check_may_merge(actor)
    person = await _known_person(session, actor, person_id)
    current = await current_referent(session, person_id)
    referent = None if current is None else current.name
    cases = 0
    for table, column in _person_columns():
        if table.name not in NOT_CASES:
            cases += (
                await session.scalar(
                    select(func.count()).select_from(table).where(column == person_id)
                )
                or 0
            )
    card = PersonCard(person, referent, cases, await merge_candidates(session, actor, person))
    if read is not None:
        await record_access(session, actor, person_id=person_id, channel=read.channel, now=read.now)
    return card


NOT_CASES = frozenset({PersonEvent.__tablename__, AccessLogEntry.__tablename__})
"""Tables naming a person that hold no case of theirs (what happened to the record, who read
it): a merge moves their rows too, the card does not count them."""


def _person_columns() -> list[tuple[Table, Column[Any]]]:
    """Every column that names a person (referrals, accompaniments, handovers, their
    history, and whatever table is added later): what a merge moves."""
    return [
        (table, foreign_key.parent)
        for table in Base.metadata.sorted_tables
        for foreign_key in table.foreign_keys
        if foreign_key.column.table.name == Person.__tablename__
    ]


TWO_REFERENTS = (
    "Ces deux fiches ont chacune un référent en cours ({first} et {second}) : une personne "
    "n'a qu'un référent. Faites d'abord terminer l'un des deux accompagnements (sortie ou "
    "passage de relais), puis fusionnez les fiches."
)


async def _check_mergeable(session: AsyncSession, kept: Person, merged: Person) -> None:
    """Refuse a merge that would give the person two current référents, or two different
    identifiers of one kind."""
    referents = list(
        await session.scalars(
            select(Organisation.name)
            .join(Accompaniment, Accompaniment.organisation_id == Organisation.id)
            .where(
                Accompaniment.person_id.in_([kept.id, merged.id]),
                Accompaniment.ended_at.is_(None),
            )
            .order_by(Accompaniment.person_id)
        )
    )
    if len(referents) > 1:
        raise Conflict(TWO_REFERENTS.format(first=referents[0], second=referents[1]))
    for kind, label in IDENTIFIERS.items():
        if (
            getattr(kept, kind)
            and getattr(merged, kind)
            and getattr(kept, kind) != getattr(merged, kind)
        ):
            raise IdentityConflict(
                f"Ces deux fiches portent chacune un {label} différent : ce ne sont sans "
                "doute pas la même personne. Vérifiez-les avant toute fusion.",
                field=kind,
            )


async def merge_persons(
    session: AsyncSession, actor: Actor, person_id: int, other_id: int, now: datetime
) -> Person:
    """A coordinator merges the record ``other_id`` into ``person_id``, which remains.

    One transaction: both rows locked (in id order, as whatever changes who accompanies a
    person locks it), every referral, accompaniment, handover and history row of the other
    record moved to the remaining one, which takes the identifiers and contact details it
    lacked; the other record deleted, and a ``merge`` person event recorded. Refused when
    both have a current référent (409), or different identifiers of one kind (409).
    """
    _check_may_merge(actor)
    if person_id == other_id:
        raise InvalidInput("Choisissez une autre fiche que celle-ci.", field="other_id")
    async with transaction(session):
        await session.execute(
            select(Person.id)
            .where(Person.id.in_([person_id, other_id]))
            .order_by(Person.id)
            .with_for_update()
        )
        kept = await _known_person(session, actor, person_id)
        merged = await _known_person(session, actor, other_id)
        await session.refresh(kept)
        await session.refresh(merged)
        await _check_mergeable(session, kept, merged)
        moved: dict[str, int] = {}
        for table, column in _person_columns():
            result = await session.execute(
                update(table).where(column == merged.id).values({column.name: kept.id})
            )
            moved[table.name] = result.rowcount  # type: ignore[attr-defined]
        taken = {
            field: getattr(merged, field)
            for field in (*IDENTIFIERS, *CONTACT, "birth_date")
            if getattr(kept, field) is None and getattr(merged, field) is not None
        }
        await session.execute(delete(Person).where(Person.id == merged.id))
        session.expunge(merged)
        for field, value in taken.items():
            setattr(kept, field, value)
        session.add(
            PersonEvent(
                person_id=kept.id,
                kind=MERGE,
                actor_id=actor.user_id,
                organisation_id=actor.organisation_id,
                payload={
                    "merged_person_id": other_id,
                    "moved": {name: count for name, count in moved.items() if count},
                    "fields_taken": sorted(taken),
                },
                occurred_at=now,
            )
        )
    return kept


async def merge_and_read(
    session: AsyncSession, actor: Actor, person_id: int, other_id: int, now: datetime
) -> PersonCard:
    """``merge_persons``, then the remaining record as ``person_card`` shows it."""
    await merge_persons(session, actor, person_id, other_id, now)
    return await person_card(session, actor, person_id)
