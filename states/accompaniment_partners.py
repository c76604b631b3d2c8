"""Co-accompanying organisations of an accompaniment (accompagnement global).

Beside its one référent, an accompaniment may have co-accompanying organisations (a France
Travail counsellor, a social worker) that follow the same person with their consent: they read
the person's file and history, read-only (``states.policy.partner_readers``). The référent
adds them (``add_partner``), the référent or the organisation itself removes them
(``remove_partner``); both are self-transitions of the accompaniment, recorded in its history.
They end with the accompaniment, and carry over to the next one on a handover: the
co-accompanying organisation keeps following the person whoever their référent is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import get_kept
from core.enums import MessageKey
from core.errors import AlreadyExists, Conflict, Forbidden, InvalidInput
from core.models import AccompanimentPartner, Organisation
from core.outbox import enqueue
from states.actor import Actor
from states.fields import Id, Payload
from states.recipients import organisation_staff

PARTNER = "partner"
"""The side of a co-accompanying organisation: it may withdraw itself, nothing else."""

CONSENT_REQUIRED = (
    "L'accord de la personne est obligatoire pour associer une organisation à son accompagnement."
)


class AddPartnerFields(Payload):
    """``add_partner``: the référent associates another organisation, with the person's
    consent (accompagnement global)."""

    organisation_id: Id = Field(title="Organisation co-accompagnante")
    consent: bool = Field(title="La personne a donné son accord")


class RemovePartnerFields(Payload):
    """``remove_partner``: the co-accompaniment of an organisation ends (the référent, or the
    organisation itself, withdraws it)."""

    partner_organisation_id: Id = Field(title="Organisation co-accompagnante")


async def _open_partnership(
    session: AsyncSession, accompaniment_id: int, organisation_id: int
) -> AccompanimentPartner | None:
    return (
        await session.execute(
            select(AccompanimentPartner).where(
                AccompanimentPartner.accompaniment_id == accompaniment_id,
                AccompanimentPartner.organisation_id == organisation_id,
                AccompanimentPartner.removed_at.is_(None),
            )
        )
    ).scalar_one_or_none()


async def add_partner(
    session: AsyncSession, accompaniment: Any, fields: BaseModel, actor: Actor, now: datetime
) -> None:
    """Record the co-accompaniment and tell the organisation (no personal data)."""
    assert isinstance(fields, AddPartnerFields)
    if not fields.consent:
        raise InvalidInput(CONSENT_REQUIRED, field="consent")
    organisation = await session.get(Organisation, fields.organisation_id)
    if organisation is None or not organisation.is_active:
        raise InvalidInput(
            f"Organisation {fields.organisation_id} introuvable ou désactivée.",
            field="organisation_id",
        )
    if organisation.id == accompaniment.organisation_id:
        raise InvalidInput(
            f"{organisation.name} est le référent de cet accompagnement.", field="organisation_id"
        )
    with session.no_autoflush:
        if await _open_partnership(session, accompaniment.id, organisation.id) is not None:
            raise AlreadyExists(f"{organisation.name} co-accompagne déjà la personne.")
    partner = AccompanimentPartner(
        accompaniment_id=accompaniment.id,
        organisation_id=organisation.id,
        added_by_id=actor.user_id,
        added_at=now,
        consent_attested_at=now,
    )
    session.add(partner)
    await session.flush([partner])
    referent = await get_kept(session, Organisation, accompaniment.organisation_id)
    await enqueue(
        session,
        MessageKey.ACCOMPANIMENT_PARTNER_ADDED,
        key_prefix=f"partner:{partner.id}",
        case_kind="accompaniment",
        case_id=accompaniment.id,
        recipients=await organisation_staff(session, organisation.id),
        context={
            "reference": accompaniment.reference,
            "organisation": referent.name,
            "partner_organisation": organisation.name,
            "path": f"/accompaniments/{accompaniment.id}",
        },
        now=now,
    )


async def remove_partner(
    session: AsyncSession, accompaniment: Any, fields: BaseModel, actor: Actor, now: datetime
) -> None:
    """End the co-accompaniment of ``fields.organisation_id``, if the actor may."""
    # Imported here: the policy imports the accompaniment lifecycle, which imports this.
    from states.accompaniment import ACCOMPANIMENT
    from states.policy import case_sides, may_remove_partner

    assert isinstance(fields, RemovePartnerFields)
    sides = await case_sides(session, actor, ACCOMPANIMENT, accompaniment)
    if not may_remove_partner(actor, sides, fields.partner_organisation_id):
        raise Forbidden(
            "Seuls le référent et l'organisation elle-même peuvent mettre fin à un "
            "co-accompagnement."
        )
    with session.no_autoflush:
        partner = await _open_partnership(session, accompaniment.id, fields.partner_organisation_id)
    if partner is None:
        raise Conflict("Cette organisation ne co-accompagne pas la personne.")
    partner.removed_at = now
    partner.removed_by_id = actor.user_id


async def current_partners(
    session: AsyncSession, accompaniment_id: int
) -> Sequence[AccompanimentPartner]:
    """The organisations co-accompanying now, oldest first."""
    return (
        (
            await session.execute(
                select(AccompanimentPartner)
                .where(
                    AccompanimentPartner.accompaniment_id == accompaniment_id,
                    AccompanimentPartner.removed_at.is_(None),
                )
                .order_by(AccompanimentPartner.id)
            )
        )
        .scalars()
        .all()
    )


async def end_partnerships(session: AsyncSession, accompaniment_id: int, now: datetime) -> None:
    """The accompaniment ends: so do its co-accompaniments (a handover carries them over).

    Not flushed first: the transition writes the accompaniment's row once, ended."""
    with session.no_autoflush:
        await session.execute(
            update(AccompanimentPartner)
            .where(
                AccompanimentPartner.accompaniment_id == accompaniment_id,
                AccompanimentPartner.removed_at.is_(None),
            )
            .values(removed_at=now)
            .execution_options(synchronize_session=False)
        )


async def carry_over_partners(
    session: AsyncSession,
    partners: Sequence[tuple[int, int | None, datetime]],
    accompaniment: Any,
    now: datetime,
) -> None:
    """The co-accompaniments ``(organisation, added by, consent)`` of the handed-over
    accompaniment go on with the new one, but for its new référent's own."""
    session.add_all(
        AccompanimentPartner(
            accompaniment_id=accompaniment.id,
            organisation_id=organisation_id,
            added_by_id=added_by_id,
            added_at=now,
            consent_attested_at=consent_at,
        )
        for organisation_id, added_by_id, consent_at in partners
        if organisation_id != accompaniment.organisation_id
    )
