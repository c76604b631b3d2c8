"""The offers a referrer is shown for a person: those near where they live first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, String, case, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import OfferCategory, Public, Territory
from core.models import Offer
from states.publics import EVERYONE


@dataclass(frozen=True)
class OfferFilters:
    """What the referrer narrows the catalogue with.

    ``territory`` keeps the offers of that territory and the Paris-wide ones; ``text`` is
    looked for in the title and the description; ``public`` keeps the offers that take that
    public (named among their eligible publics, or taking everyone: ``states.publics``).
    """

    category: OfferCategory | None = None
    territory: Territory | None = None
    text: str | None = None
    public: Public | None = None


def _takes(public: Public) -> ColumnElement[bool]:
    """SQL condition on offers: ``public`` is among the eligible publics, or none is named,
    or « tous publics » is (the JSON list is read as text, the same on SQLite and
    PostgreSQL: each value is quoted in it)."""
    stored = cast(Offer.eligible_publics, String)
    return or_(
        Offer.eligible_publics.is_(None),
        stored.in_(["[]", "null"]),
        stored.like(f'%"{public.value}"%'),
        stored.like(f'%"{EVERYONE.value}"%'),
    )


def _conditions(filters: OfferFilters) -> list[ColumnElement[bool]]:
    """The open offers matching ``filters``, as SQL conditions."""
    conditions: list[ColumnElement[bool]] = [Offer.is_active.is_(True)]
    if filters.category is not None:
        conditions.append(Offer.category == filters.category)
    if filters.territory is not None:
        conditions.append(
            or_(Offer.territory == filters.territory, Offer.territory == Territory.PARIS)
        )
    if filters.text:
        pattern = f"%{filters.text.lower()}%"
        conditions.append(
            or_(func.lower(Offer.title).like(pattern), func.lower(Offer.description).like(pattern))
        )
    if filters.public is not None:
        conditions.append(_takes(filters.public))
    return conditions


async def suggested_offers(
    session: AsyncSession,
    residence: Territory | None,
    *,
    category: OfferCategory | None = None,
    territory: Territory | None = None,
    text: str | None = None,
    public: Public | None = None,
    limit: int = 100,
) -> list[Offer]:
    """Open offers matching the search (``OfferFilters``), those of ``residence`` first,
    then the Paris-wide ones, then the others (each group oldest first, as the catalogue
    lists them); at most ``limit``."""
    filters = OfferFilters(category, territory, text, public)
    statement = select(Offer).where(*_conditions(filters))
    order = []
    if residence is not None:
        order.append(
            case(
                (Offer.territory == residence, 0), (Offer.territory == Territory.PARIS, 1), else_=2
            )
        )
    statement = statement.order_by(*order, Offer.id).limit(limit)
    return list((await session.execute(statement)).scalars())


async def count_matching_offers(session: AsyncSession, filters: OfferFilters) -> int:
    """How many open offers match ``filters`` (all of them, not only those shown)."""
    statement = select(func.count()).select_from(Offer).where(*_conditions(filters))
    return int((await session.execute(statement)).scalar_one())
