"""Organisations and offers: the catalogue that cases refer to.

A deactivated organisation keeps its cases (they belong to it, nothing is reassigned), but its
accounts are deactivated and its offers closed in the same transaction, so that it receives no
new referral and nobody signs in for it; reactivating it reopens neither: its admins' accounts
are reactivated one by one, then they reopen their offers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import transaction
from core.enums import OfferCategory, OrganisationKind, Territory, TimerKind
from core.errors import (
    AlreadyExists,
    Conflict,
    DeadlinesOutOfOrder,
    Forbidden,
    NotFound,
    UnknownReference,
)
from core.models import Offer, Organisation, User
from core.pagination import Page, keyset_page
from services.accounts import ACTIVE_USER, keep_an_admin
from services.audit import OFFER_FIELDS, ORGANISATION_FIELDS, record_change, snapshot
from services.auth import end_sessions
from services.inputs import OrganisationUpdate
from services.offer_sub_axes import replace_sub_axes, sub_axes_of
from states.actor import Actor
from states.capacity import places_taken
from states.policy import (
    may_manage_every_offer,
    may_manage_offers,
    may_manage_offers_of,
    may_manage_organisations,
)
from states.referral import PROGRESS_CHECK_DAYS, REFERRAL


async def create_organisation(
    session: AsyncSession,
    actor: Actor,
    *,
    name: str,
    kind: OrganisationKind,
    territory: Territory,
    now: datetime,
) -> Organisation:
    """A new partner organisation (admins only); names are unique, whatever their case."""
    if not may_manage_organisations(actor):
        raise Forbidden("Seul un administrateur de la plateforme crée des organisations.")
    taken = AlreadyExists(f"L'organisation « {name} » existe déjà.")
    if await find_organisation(session, name) is not None:
        raise taken
    organisation = Organisation(name=name, kind=kind, territory=territory, created_at=now)
    async with transaction(session, conflict=taken):
        session.add(organisation)
        await session.flush()
        await record_change(
            session, actor, "organisation", organisation.id, "created", {},
            snapshot(organisation, ORGANISATION_FIELDS), now,
        )  # fmt: skip
    return organisation


ADMINS_ONLY = "Seul un administrateur de la plateforme gère les organisations."


async def _locked_organisation(
    session: AsyncSession, actor: Actor, organisation_id: int
) -> Organisation:
    """The organisation, locked for a change by an admin; call inside a transaction."""
    if not may_manage_organisations(actor):
        raise Forbidden(ADMINS_ONLY)
    organisation = (
        await session.execute(
            select(Organisation)
            .where(Organisation.id == organisation_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if organisation is None:
        raise NotFound(f"Organisation {organisation_id} introuvable.")
    return organisation


async def update_organisation(
    session: AsyncSession,
    actor: Actor,
    organisation_id: int,
    data: OrganisationUpdate,
    *,
    now: datetime,
) -> Organisation:
    """Change an organisation's name, kind or territory (admins); names stay unique."""
    taken = AlreadyExists(f"L'organisation « {data.name} » existe déjà.")
    async with transaction(session, conflict=taken):
        organisation = await _locked_organisation(session, actor, organisation_id)
        if data.name is not None and data.name.lower() != organisation.name.lower():
            same = await find_organisation(session, data.name)
            if same is not None:
                raise taken
        before = snapshot(organisation, ORGANISATION_FIELDS)
        for field in ("name", "kind", "territory"):
            value = getattr(data, field)
            if value is not None:
                setattr(organisation, field, value)
        after = snapshot(organisation, ORGANISATION_FIELDS)
        await record_change(
            session, actor, "organisation", organisation.id, "updated", before, after, now
        )
    return organisation


async def deactivate_organisation(
    session: AsyncSession, actor: Actor, organisation_id: int, *, now: datetime
) -> Organisation:
    """Deactivate an organisation (admins): its accounts are deactivated and its offers
    closed, its cases stay its own. Refused (409) for the admin's own organisation, and when
    it would leave no active admin."""
    async with transaction(session):
        organisation = await _locked_organisation(session, actor, organisation_id)
        if organisation.id == actor.organisation_id:
            raise Conflict(
                "Vous ne pouvez pas désactiver votre propre organisation.", allowed_actions=[]
            )
        if not organisation.is_active:
            raise Conflict(
                "Cette organisation est déjà désactivée.", allowed_actions=["reactivate"]
            )
        members = list(
            (
                await session.execute(
                    select(User)
                    .where(User.organisation_id == organisation.id, ACTIVE_USER)
                    .order_by(User.id)
                    .with_for_update()
                )
            ).scalars()
        )
        await keep_an_admin(session, {user.id for user in members})
        for user in members:
            user.is_active = False
            await end_sessions(session, user)
            await record_change(
                session, actor, "user", user.id, "deactivated",
                {"is_active": True}, {"is_active": False}, now,
            )  # fmt: skip
        await _close_offers(session, actor, organisation.id, now)
        organisation.is_active = False
        await record_change(
            session, actor, "organisation", organisation.id, "deactivated",
            {"is_active": True}, {"is_active": False}, now,
        )  # fmt: skip
    return organisation


async def _close_offers(
    session: AsyncSession, actor: Actor, organisation_id: int, now: datetime
) -> None:
    """Close every open offer of a deactivated organisation, each closing in the trail."""
    closed = await session.execute(
        update(Offer)
        .where(Offer.organisation_id == organisation_id, Offer.is_active.is_(True))
        .values(is_active=False)
        .returning(Offer.id)
    )
    for offer_id in closed.scalars():
        await record_change(
            session, actor, "offer", offer_id, "deactivated",
            {"is_active": True}, {"is_active": False}, now,
        )  # fmt: skip


async def reactivate_organisation(
    session: AsyncSession, actor: Actor, organisation_id: int, *, now: datetime
) -> Organisation:
    """Reactivate an organisation (admins); its accounts and offers stay closed until
    reactivated and reopened one by one."""
    async with transaction(session):
        organisation = await _locked_organisation(session, actor, organisation_id)
        if organisation.is_active:
            raise Conflict("Cette organisation est déjà active.", allowed_actions=["deactivate"])
        organisation.is_active = True
        await record_change(
            session, actor, "organisation", organisation.id, "reactivated",
            {"is_active": False}, {"is_active": True}, now,
        )  # fmt: skip
    return organisation


async def find_organisation(session: AsyncSession, name: str) -> Organisation | None:
    """The organisation called ``name`` (case-insensitive), if any."""
    return (
        await session.execute(
            select(Organisation).where(func.lower(Organisation.name) == name.lower())
        )
    ).scalar_one_or_none()


async def list_organisations(session: AsyncSession) -> list[Organisation]:
    """Every partner organisation, by name: the directory is shared by all partners."""
    return list((await session.execute(select(Organisation).order_by(Organisation.name))).scalars())


async def get_organisation(session: AsyncSession, organisation_id: int) -> Organisation:
    """One organisation; NotFound if it does not exist."""
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(f"Organisation {organisation_id} introuvable.")
    return organisation


DEADLINE_TIMERS = {
    "reminder_days": TimerKind.REMINDER,
    "escalation_days": TimerKind.ESCALATION,
    "expiry_days": TimerKind.TRIGGER,
}
"""An offer's deadline fields and the timer of a submitted referral each one overrides."""


def default_deadlines() -> dict[str, int]:
    """The business days an offer without its own deadlines gives a submitted referral, and
    a referral under way before its progress check."""
    days = {spec.kind: spec.business_days for spec in REFERRAL.timers["submitted"]}
    defaults = {name: days[kind] for name, kind in DEADLINE_TIMERS.items()}
    return {**defaults, "progress_check_days": PROGRESS_CHECK_DAYS}


def _refuse_inactive(organisation: Organisation) -> None:
    """A deactivated organisation opens no offer (409)."""
    if not organisation.is_active:
        raise Conflict(
            f"L'organisation « {organisation.name} » est désactivée : elle n'ouvre pas d'offre.",
            allowed_actions=[],
        )


VOCABULARY_LISTS = ("modes_accueil", "frais", "thematiques")
"""An offer's lists of data·inclusion values, stored sorted and without repeats."""


def _stored_lists(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with its data·inclusion lists as sorted lists of distinct values."""
    return {
        key: sorted({str(item) for item in value}) if key in VOCABULARY_LISTS else value
        for key, value in values.items()
    }


def _check_deadlines(fields: Mapping[str, Any]) -> None:
    defaults = default_deadlines()
    reminder = fields.get("reminder_days") or defaults["reminder_days"]
    escalation = fields.get("escalation_days") or defaults["escalation_days"]
    expiry = fields.get("expiry_days") or defaults["expiry_days"]
    if not reminder < escalation <= expiry:
        raise DeadlinesOutOfOrder(
            "Les délais doivent se suivre : relance avant alerte des coordinateurs, "
            f"alerte au plus tard à l'expiration (ici {reminder}, {escalation}, {expiry} "
            "jours ouvrés).",
            field="escalation_days",
        )


async def create_offer(
    session: AsyncSession,
    actor: Actor,
    *,
    organisation_id: int,
    fields: Mapping[str, Any],
    now: datetime,
) -> Offer:
    """A new offer of ``organisation_id`` (its organisation admins, or a platform admin)."""
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None:
        raise UnknownReference(
            f"L'organisation {organisation_id} n'existe pas.", field="organisation_id"
        )
    if not may_manage_offers_of(actor, organisation_id):
        raise Forbidden("Seuls les administrateurs de l'organisation gèrent ses offres.")
    _refuse_inactive(organisation)
    _check_deadlines(fields)
    values = _stored_lists({key: value for key, value in fields.items() if value is not None})
    sub_axes = values.pop("sub_axes", [])
    values.setdefault("territory", organisation.territory)
    values.setdefault("description", "")
    values.setdefault("eligible_publics", [])
    values.setdefault("is_active", True)
    offer = Offer(organisation_id=organisation_id, created_at=now, **values)
    async with transaction(session):
        session.add(offer)
        await session.flush()
        after = {**snapshot(offer, OFFER_FIELDS), "sub_axes": await replace_sub_axes(
            session, offer.id, sub_axes
        )}  # fmt: skip
        await record_change(session, actor, "offer", offer.id, "created", {}, after, now)
    return offer


async def update_offer(
    session: AsyncSession,
    actor: Actor,
    offer_id: int,
    fields: Mapping[str, Any],
    *,
    now: datetime,
) -> Offer:
    """Change the given fields of an offer; ``None`` leaves a field as it is."""
    offer = await get_offer(session, offer_id)
    if not may_manage_offers_of(actor, offer.organisation_id):
        raise Forbidden("Seuls les administrateurs de l'organisation gèrent ses offres.")
    changes = _stored_lists({key: value for key, value in fields.items() if value is not None})
    sub_axes = changes.pop("sub_axes", None)
    if changes.get("is_active"):
        _refuse_inactive(await session.get_one(Organisation, offer.organisation_id))
    current = {
        "reminder_days": offer.reminder_days,
        "escalation_days": offer.escalation_days,
        "expiry_days": offer.expiry_days,
    }
    _check_deadlines({**current, **changes})
    async with transaction(session):
        before = snapshot(offer, OFFER_FIELDS)
        for key, value in changes.items():
            setattr(offer, key, value)
        after = snapshot(offer, OFFER_FIELDS)
        if sub_axes is not None:
            before["sub_axes"] = (await sub_axes_of(session, [offer.id]))[offer.id]
            after["sub_axes"] = await replace_sub_axes(session, offer.id, sub_axes)
        await record_change(session, actor, "offer", offer.id, "updated", before, after, now)
    return offer


async def places_left_of(session: AsyncSession, offers: Iterable[Offer]) -> dict[int, int]:
    """The places still free of each offer that has a capacity, by offer id: its capacity
    less its referrals accepted or under way (``states.capacity``), never below 0."""
    limited = [offer for offer in offers if offer.capacity is not None]
    taken = await places_taken(session, [offer.id for offer in limited])
    return {offer.id: max((offer.capacity or 0) - taken.get(offer.id, 0), 0) for offer in limited}


async def get_managed_offer(session: AsyncSession, actor: Actor, offer_id: int) -> Offer:
    """One offer that ``actor`` may change; NotFound, or Forbidden if it is not theirs."""
    offer = await get_offer(session, offer_id)
    if not may_manage_offers_of(actor, offer.organisation_id):
        raise Forbidden("Seuls les administrateurs de l'organisation gèrent ses offres.")
    return offer


async def managed_offers(
    session: AsyncSession, actor: Actor, *, cursor: int | None = None, limit: int = 50
) -> Page[Offer]:
    """The offers ``actor`` manages, closed ones included: their organisation's, or every
    offer for a platform admin."""
    if not may_manage_offers(actor):
        raise Forbidden("Seuls les administrateurs d'une organisation gèrent ses offres.")
    everyone = may_manage_every_offer(actor)
    return await list_offers(
        session,
        organisation_id=None if everyone else actor.organisation_id,
        active_only=False,
        cursor=cursor,
        limit=limit,
    )


async def get_offer(session: AsyncSession, offer_id: int) -> Offer:
    """One offer of the catalogue; NotFound if it does not exist."""
    offer = await session.get(Offer, offer_id)
    if offer is None:
        raise NotFound(f"Offre {offer_id} introuvable.")
    return offer


async def list_offers(
    session: AsyncSession,
    *,
    category: OfferCategory | None = None,
    territory: Territory | None = None,
    organisation_id: int | None = None,
    text: str | None = None,
    active_only: bool = True,
    cursor: int | None = None,
    limit: int = 50,
) -> Page[Offer]:
    """Offers of the catalogue, filtered, by id, with the cursor of the next page."""
    statement = select(Offer)
    if active_only:
        statement = statement.where(Offer.is_active.is_(True))
    if category is not None:
        statement = statement.where(Offer.category == category)
    if territory is not None:
        statement = statement.where(
            or_(Offer.territory == territory, Offer.territory == Territory.PARIS)
        )
    if organisation_id is not None:
        statement = statement.where(Offer.organisation_id == organisation_id)
    if text:
        pattern = f"%{text.lower()}%"
        statement = statement.where(
            or_(func.lower(Offer.title).like(pattern), func.lower(Offer.description).like(pattern))
        )
    return await keyset_page(session, statement, Offer.id, cursor, limit)
