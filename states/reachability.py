"""Whether anybody can receive a referral sent to an offer: the one place for the rule.

An offer is reachable when it has a contact email, or when its organisation is active and
has at least one active account that works cases (``states.recipients.ORGANISATION_STAFF``:
a member or an organisation admin; a coordinator, secretary or platform admin account works
no case of its organisation). A referral is never sent to an unreachable offer: its
notifications and reminders would reach nobody. A draft may be written for it; its
submission is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Table, and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import OfferUnreachable
from core.models import Offer, Organisation, User
from core.prepared import Prepared
from states.lifecycle import Effect
from states.recipients import ORGANISATION_STAFF, remembered

HAS_CONTACT_EMAIL = and_(Offer.contact_email.is_not(None), Offer.contact_email != "")
"""SQL condition on offers: the offer names an address that receives its referrals."""

USERS = cast(Table, User.__table__)

HAS_STAFF = (
    select(USERS.c.id)
    .join(Organisation, Organisation.id == USERS.c.organisation_id)
    .where(
        USERS.c.organisation_id == Offer.organisation_id,
        USERS.c.is_active.is_(True),
        # One comparison per role rather than IN, whose list is rendered at each execution:
        # the check of one offer is a prepared statement (``core.prepared``).
        or_(*(USERS.c.role == role for role in sorted(ORGANISATION_STAFF))),
        Organisation.is_active.is_(True),
    )
    .exists()
)
"""SQL condition on offers: the organisation is active and someone there works its cases."""

NO_RECEIVER_EXPLAINED = (
    "Personne ne peut recevoir d'orientation pour cette offre : sa structure n'a aucun compte "
    "actif de conseiller·ère ou de responsable, et l'offre n'a pas d'adresse de contact."
)
"""The short explanation beside the « non joignable » badge of the catalogue."""


def reachable_clause() -> ColumnElement[bool]:
    """SQL condition on offers (correlated to ``Offer``): someone can receive its referrals."""
    return or_(HAS_CONTACT_EMAIL, HAS_STAFF)


REACHABLE = Prepared(select(Offer.id).where(Offer.id == bindparam("offer_id"), reachable_clause()))
"""The offer ``offer_id`` if it is reachable: what every submission asks."""


async def is_reachable(session: AsyncSession, offer_id: int) -> bool:
    """Whether a referral sent to the offer ``offer_id`` reaches someone (False if no offer).

    True when the offer has a contact email, or when its organisation is active and has at
    least one active member or organisation admin. Read once per transaction while its
    audiences are remembered (``states.recipients.recipients_remembered``).
    """
    return bool(
        await remembered(session, ("reachable", offer_id), REACHABLE, {"offer_id": offer_id})
    )


async def reachable_offers(session: AsyncSession, offer_ids: Iterable[int]) -> set[int]:
    """Which of ``offer_ids`` are reachable, in one query (a catalogue page, a dashboard)."""
    wanted = sorted(set(offer_ids))
    if not wanted:
        return set()
    rows = await session.execute(select(Offer.id).where(Offer.id.in_(wanted), reachable_clause()))
    return set(rows.scalars())


@dataclass(frozen=True)
class UnreachableOffer:
    """An offer nobody can receive, with its organisation, as the dashboard lists it."""

    offer_id: int
    title: str
    territory: Any
    organisation_id: int
    organisation: str
    organisation_active: bool

    @property
    def reason(self) -> str:
        """Why nobody receives it, in French."""
        return why_unreachable(self.organisation, organisation_active=self.organisation_active)


def why_unreachable(organisation: str, *, organisation_active: bool) -> str:
    """Why nobody can receive the referrals of an offer of ``organisation``, in French."""
    if not organisation_active:
        return (
            f"la structure « {organisation} » est désactivée et l'offre n'a pas d'adresse "
            "de contact"
        )
    return (
        f"la structure « {organisation} » n'a aucun compte actif de conseiller·ère ou de "
        "responsable, et l'offre n'a pas d'adresse de contact"
    )


async def unreachable_offers(
    session: AsyncSession, conditions: Sequence[ColumnElement[bool]] = ()
) -> list[UnreachableOffer]:
    """The open offers nobody can receive, by organisation then title, in one query.

    ``conditions`` narrow the offers (a territory, an organisation).
    """
    rows = await session.execute(
        select(
            Offer.id,
            Offer.title,
            Offer.territory,
            Organisation.id,
            Organisation.name,
            Organisation.is_active,
        )
        .join(Organisation, Organisation.id == Offer.organisation_id)
        .where(Offer.is_active.is_(True), ~reachable_clause(), *conditions)
        .order_by(Organisation.name, Offer.title, Offer.id)
    )
    return [UnreachableOffer(*row) for row in rows.tuples()]


async def check_reachable(
    session: AsyncSession, offer_id: int, *, allowed_actions: Sequence[str] = ()
) -> None:
    """Refuse (``OfferUnreachable``, 409) a referral to an offer nobody can receive.

    The message says why and whom to ask; ``allowed_actions`` are what the caller may still
    do. An unknown offer is left to the caller's own check.
    """
    if await is_reachable(session, offer_id):
        return
    row = (
        await session.execute(
            select(Offer.title, Organisation.name, Organisation.is_active)
            .join(Organisation, Organisation.id == Offer.organisation_id)
            .where(Offer.id == offer_id)
        )
    ).one_or_none()
    if row is None:
        return
    title, organisation, active = row
    raise OfferUnreachable(
        title, why_unreachable(organisation, organisation_active=active),
        offer_id=offer_id, allowed_actions=allowed_actions,
    )  # fmt: skip


def checking_reachability(effect: Effect | None = None) -> Effect:
    """A referral transition's effect that sends it to its offer: ``effect`` (which may
    change the offer, as ``reassign`` does), then the refusal if nobody can receive it.

    Raised inside the transition's transaction: nothing is written when refused.
    """

    async def then_check(
        session: AsyncSession, referral: Any, fields: BaseModel, now: datetime
    ) -> None:
        if effect is not None:
            await effect(session, referral, fields, now)
        # Not flushing the case's pending changes: it is written once, with its new state.
        with session.no_autoflush:
            await check_reachable(session, referral.offer_id)

    return then_check
