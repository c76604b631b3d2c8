"""One person, one record: the matching rule, the person's référent as a referrer may learn
it, and the persons an organisation knows.

Whatever creates a person (a referral through the API or the pages, the simulation, the
benchmarks, an accompaniment started by the coordination) goes through ``resolve_person``.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import ColumnElement, exists, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import IdentityConflict
from core.models import Accompaniment, Handover, Organisation, Person, Referral
from core.prepared import insert_row
from states.accompaniment import ACCOMPANIMENT
from states.actor import Actor
from states.handover import HANDOVER
from states.identity import name_key
from states.policy import is_data_protection_officer, visible_clause
from states.referral import REFERRAL

IDENTIFIERS = {
    "france_travail_id": "identifiant France Travail",
    "caf_number": "numéro allocataire CAF",
}
"""The strong identifiers of a person, and what a person reads for each."""
CONTACT = ("email", "phone")
"""What a matched record takes from the new description when it has none."""


async def _lock_identity(session: AsyncSession, person: Person) -> None:
    """Serialise the creations of one human (PostgreSQL: transaction-scoped advisory locks
    on their name and birth date and on each identifier given, taken in one order).

    SQLite needs none: a transaction that may write holds the database's write lock
    (``BEGIN IMMEDIATE``). Homonyms born the same day wait for each other, nothing more.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = [f"{kind}:{value}" for kind in IDENTIFIERS if (value := getattr(person, kind))]
    if person.birth_date is not None:
        keys.append(f"name:{person.name_key}:{person.birth_date.isoformat()}")
    for key in sorted(keys):
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


async def _by_identifiers(session: AsyncSession, person: Person) -> list[Person]:
    """The records holding one of the identifiers ``person`` gives (at most one per kind)."""
    conditions = [
        getattr(Person, kind) == value for kind in IDENTIFIERS if (value := getattr(person, kind))
    ]
    if not conditions:
        return []
    return list((await session.execute(select(Person).where(or_(*conditions)))).scalars())


async def _by_name(session: AsyncSession, person: Person) -> Person | None:
    """The oldest record with the same name key and birth date (none without a birth date)."""
    if person.birth_date is None:
        return None
    return (
        await session.execute(
            select(Person)
            .where(
                Person.name_key == person.name_key,
                Person.birth_date == person.birth_date,
                Person.anonymised_at.is_(None),
            )
            .order_by(Person.id)
            .limit(1)
        )
    ).scalar_one_or_none()


def _check_compatible(found: Person, person: Person) -> None:
    """Refuse an identifier that contradicts the one the matched record holds."""
    for kind, label in IDENTIFIERS.items():
        given, held = getattr(person, kind), getattr(found, kind)
        if given and held and given != held:
            raise IdentityConflict(
                f"Cette personne est déjà enregistrée avec un autre {label}. Vérifiez le "
                f"{label} saisi ; s'il est juste, signalez le doublon à la coordination du "
                "plan, qui peut corriger la fiche.",
                field=f"person.{kind}",
            )


async def find_person(session: AsyncSession, person: Person) -> Person | None:
    """The record of the human ``person`` describes, if there is one: THE matching rule.

    A strong identifier given finds its record (France Travail identifier or CAF number);
    two identifiers naming two different records are refused. Otherwise the normalised last
    and first names and the birth date find it (no birth date: no match by name). A record
    found whose identifier contradicts one given is refused (``IdentityConflict``, 409).
    """
    person.name_key = name_key(person.last_name, person.first_name)
    by_identifier = await _by_identifiers(session, person)
    if len(by_identifier) > 1:
        raise IdentityConflict(
            "L'identifiant France Travail et le numéro allocataire CAF saisis désignent deux "
            "personnes différentes. Vérifiez-les ; s'ils sont justes, signalez le doublon à "
            "la coordination du plan.",
            field="person",
        )
    found = by_identifier[0] if by_identifier else await _by_name(session, person)
    if found is not None:
        _check_compatible(found, person)
    return found


async def resolve_person(session: AsyncSession, person: Person) -> Person:
    """The record to use for ``person`` (a new, unsaved row): the existing one the matching
    rule finds, completed with the identifiers and contact details it lacked, else
    ``person`` itself, added.

    In the caller's unit of work (no commit); two creations of one new person at once make
    one record (``_lock_identity``).
    """
    person.name_key = name_key(person.last_name, person.first_name)
    await _lock_identity(session, person)
    found = await find_person(session, person)
    if found is None:
        await insert_row(session, person)
        return person
    for field in (*IDENTIFIERS, *CONTACT):
        if getattr(found, field) is None and getattr(person, field) is not None:
            setattr(found, field, getattr(person, field))
    await session.flush()
    return found


class Referent(NamedTuple):
    """The organisation that is a person's current référent."""

    organisation_id: int
    name: str


async def current_referent(session: AsyncSession, person_id: int) -> Referent | None:
    """The organisation that is the person's current référent, if any (one query): its
    name is all a referrer learns of a person relais already knows."""
    row = (
        await session.execute(
            select(Organisation.id, Organisation.name)
            .join(Accompaniment, Accompaniment.organisation_id == Organisation.id)
            .where(Accompaniment.person_id == person_id, Accompaniment.ended_at.is_(None))
        )
    ).first()
    return None if row is None else Referent(row.id, row.name)


def known_persons_clause(actor: Actor) -> ColumnElement[bool]:
    """The persons ``actor`` may know of: those of a referral, a handover or an
    accompaniment the actor may see (for a coordinator, those of their territory); every
    person for the data protection officer."""
    if is_data_protection_officer(actor):
        return true()
    return or_(
        exists().where(Referral.person_id == Person.id, visible_clause(actor, REFERRAL)),
        exists().where(Handover.person_id == Person.id, visible_clause(actor, HANDOVER)),
        exists().where(Accompaniment.person_id == Person.id, visible_clause(actor, ACCOMPANIMENT)),
    )
