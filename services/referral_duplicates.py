"""A second referral of one person to one offer: warned about before it is sent.

The person is looked for with THE matching rule (``services.persons.find_person``); a
referral of theirs to the same offer counts while it is open (any state it may still leave).
The warning names that referral's state and dates; its reference only to the organisations
that sent or received it: nothing else of another organisation's case is told.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import DuplicateReferral
from core.models import Person, Referral
from notifications.render import french_date
from services.persons import find_person
from states.actor import Actor
from states.referral import REFERRAL


async def open_referral_to(session: AsyncSession, person: Person, offer_id: int) -> Referral | None:
    """The newest open referral to ``offer_id`` of the person ``person`` describes (a new,
    unsaved row), if relais already holds their record; None otherwise."""
    found = person if person.id is not None else await find_person(session, person)
    if found is None:
        return None
    statement = (
        select(Referral)
        .where(
            Referral.person_id == found.id,
            Referral.offer_id == offer_id,
            Referral.state.not_in(REFERRAL.final_states),
        )
        .order_by(Referral.id.desc())
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none()


def duplicate_warning(actor: Actor, existing: Referral) -> DuplicateReferral:
    """The refusal naming ``existing``: its state and dates, and its reference only when
    the actor's organisation sent or received it."""
    state = REFERRAL.state_labels[existing.state]
    ours = actor.organisation_id in (
        existing.sender_organisation_id,
        existing.receiver_organisation_id,
    )
    which = f"l'orientation {existing.reference}" if ours else "une orientation"
    return DuplicateReferral(
        f"Cette personne a déjà {which} ouverte vers cette offre, créée le "
        f"{french_date(existing.created_at)}, à l'état « {state} » depuis le "
        f"{french_date(existing.state_entered_at)}. Vérifiez qu'il ne s'agit pas d'un "
        "doublon ; confirmez pour l'envoyer quand même.",
        state=existing.state,
        created_at=existing.created_at.isoformat(),
        reference=existing.reference if ours else None,
    )


async def refuse_duplicate(
    session: AsyncSession, actor: Actor, person: Person, offer_id: int
) -> None:
    """Raise ``DuplicateReferral`` (409) when the person already has an open referral to
    ``offer_id``."""
    existing = await open_referral_to(session, person, offer_id)
    if existing is not None:
        raise duplicate_warning(actor, existing)
