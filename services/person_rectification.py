"""The right to rectification: the DPO or a coordinator in scope corrects a person's
identity or contact details.

The fields are those a referral gives, checked the same way (``PersonFields``' types,
``states.identity``, ``services.person_profile``). An identifier another record holds is
refused without naming it; the name key follows the name, and a Mission locale's age limit
follows the birth date. A ``rectified`` person event says which fields changed and who
changed them, never what they were nor what they became.

The person's record has no version column: two rectifications at once run one after the
other (the row is locked), the second over the first's values.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import EmailStr, Field
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import transaction
from core.enums import Territory
from core.errors import IdentityConflict, InvalidInput
from core.models import Person, PersonEvent
from services.person_profile import check_residence
from services.person_rights import person_for_rights
from services.persons import IDENTIFIERS
from services.referral_service import OLDEST_BIRTH_DATE
from states.accompaniments import current_accompaniment, move_age_limit
from states.actor import Actor
from states.fields import Payload, Phone, ShortText
from states.identity import CafNumber, FranceTravailId, name_key

RECTIFIED = "rectified"
"""The kind of the person event a rectification records."""
IDENTIFIER_TAKEN = (
    "Cet {label} est déjà enregistré pour une autre personne. Vérifiez-le ; s'il est juste, "
    "les deux fiches désignent sans doute la même personne : fusionnez-les."
)


class PersonRectification(Payload):
    """The fields to correct; a field left out keeps its value, a contact or identifier
    given as null is removed."""

    first_name: ShortText | SkipJsonSchema[None] = Field(default=None, title="Prénom")
    last_name: ShortText | SkipJsonSchema[None] = Field(default=None, title="Nom")
    birth_date: date | None = Field(default=None, title="Date de naissance")
    email: EmailStr | None = Field(default=None, title="Email de la personne")
    phone: Phone | None = Field(default=None, title="Téléphone de la personne")
    france_travail_id: FranceTravailId = Field(
        default=None, title="Identifiant France Travail (8 caractères, facultatif)"
    )
    caf_number: CafNumber = Field(default=None, title="Numéro allocataire CAF (7 chiffres)")
    residence: Territory | None = Field(
        default=None, title="Arrondissement de résidence (ou Paris Centre)"
    )
    # first_name, last_name and lives_in_qpv are never emptied: null is refused (REQUIRED),
    # and the schema does not offer it.
    lives_in_qpv: bool | SkipJsonSchema[None] = Field(
        default=None, title="Habite un quartier prioritaire de la politique de la ville (QPV)"
    )


REQUIRED = ("first_name", "last_name", "lives_in_qpv")
"""Fields a person always has: null is refused for them."""


def _checked(data: PersonRectification, now: datetime) -> dict[str, Any]:
    """The fields given, checked as at a referral's creation (422 with the field at fault)."""
    given = {name: getattr(data, name) for name in data.model_fields_set}
    for name in REQUIRED:
        if name in given and given[name] is None:
            raise InvalidInput("Ce champ ne peut pas être vidé.", field=name)
    birth_date = given.get("birth_date")
    if birth_date is not None and not OLDEST_BIRTH_DATE <= birth_date <= now.date():
        raise InvalidInput("La date de naissance n'est pas plausible.", field="birth_date")
    check_residence(given.get("residence"), field="residence")
    return given


async def _check_identifiers_free(
    session: AsyncSession, person: Person, changes: dict[str, Any]
) -> None:
    """Refuse an identifier another record holds (409), without saying which record."""
    for kind, label in IDENTIFIERS.items():
        value = changes.get(kind)
        if value is None:
            continue
        taken = await session.scalar(
            select(Person.id).where(getattr(Person, kind) == value, Person.id != person.id)
        )
        if taken is not None:
            raise IdentityConflict(IDENTIFIER_TAKEN.format(label=label), field=kind)


async def rectify_person(
    session: AsyncSession, actor: Actor, person_id: int, data: PersonRectification, now: datetime
) -> Person:
    """Correct the person's record: one transaction, the row locked; returns the record.

    Only fields whose value changes are written and listed in the ``rectified`` event (none:
    nothing is written). 404 out of the actor's scope, 403 without the right, 422 for a bad
    value, 409 for an identifier another record holds.
    """
    given = _checked(data, now)
    conflict = IdentityConflict(IDENTIFIER_TAKEN.format(label="identifiant"), field="person")
    async with transaction(session, conflict=conflict):
        person = await person_for_rights(session, actor, person_id, lock=True)
        changes = {name: value for name, value in given.items() if getattr(person, name) != value}
        if not changes:
            return person
        await _check_identifiers_free(session, person, changes)
        for name, value in changes.items():
            setattr(person, name, value)
        person.name_key = name_key(person.last_name, person.first_name)
        if "birth_date" in changes:
            await session.flush()
            current = await current_accompaniment(session, person.id, lock=True)
            if current is not None:
                await move_age_limit(session, current, now)
        session.add(
            PersonEvent(
                person_id=person.id,
                kind=RECTIFIED,
                actor_id=actor.user_id,
                organisation_id=actor.organisation_id,
                payload={"fields": sorted(changes)},
                occurred_at=now,
            )
        )
    return person
