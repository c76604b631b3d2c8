"""The offers a referrer is shown for a person: those near where they live first."""

from __future__ import annotations

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import OfferCategory, Territory
from core.models import Offer


async def suggested_offers(
    session: AsyncSession,
    residence: Territory | None,
    *,
    category: OfferCategory | None = None,
    territory: Territory | None = None,
    text: str | None = None,
    limit: int = 100,
) -> list[Offer]:
    """Open offers matching the search, those of ``residence`` first, then the Paris-wide
    ones, then the others (each group oldest first, as the catalogue lists them).

    ``territory`` keeps the offers of that territory and the Paris-wide ones; ``text`` is
    looked for in the title and the description.
    """
    statement = select(Offer).where(Offer.is_active.is_(True))
    if category is not None:
        statement = statement.where(Offer.category == category)
    if territory is not None:
        statement = statement.where(
            or_(Offer.territory == territory, Offer.territory == Territory.PARIS)
        )
    if text:
        pattern = f"%{text.lower()}%"
        statement = statement.where(
            or_(func.lower(Offer.title).like(pattern), func.lower(Offer.description).like(pattern))
        )
    order = []
    if residence is not None:
        order.append(
            case(
                (Offer.territory == residence, 0), (Offer.territory == Territory.PARIS, 1), else_=2
            )
        )
    statement = statement.order_by(*order, Offer.id).limit(limit)
    return list((await session.execute(statement)).scalars())
