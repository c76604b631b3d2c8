"""The offers suggested for a person: their arrondissement's first, then all Paris's."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import OfferCategory, Territory
from core.models import Offer
from services.suggestions import suggested_offers
from tests.factories import make_offer, make_organisation


async def test_the_residence_first_then_paris_then_the_others(
    session: AsyncSession, clock: FixedClock
) -> None:
    now = clock.now()
    organisation = await make_organisation(session, now)
    elsewhere = await make_offer(session, organisation, now, territory=Territory.ARR_17)
    paris = await make_offer(session, organisation, now, territory=Territory.PARIS)
    near = await make_offer(session, organisation, now, territory=Territory.ARR_18)
    centre = await make_offer(session, organisation, now, territory=Territory.PARIS_CENTRE)
    await make_offer(session, organisation, now, territory=Territory.ARR_18, is_active=False)

    def ids(offers: list[Offer]) -> list[int]:
        return [offer.id for offer in offers]

    assert ids(await suggested_offers(session, Territory.ARR_18)) == [
        near.id, paris.id, elsewhere.id, centre.id,
    ]  # fmt: skip
    assert ids(await suggested_offers(session, Territory.PARIS_CENTRE)) == [
        centre.id, paris.id, elsewhere.id, near.id,
    ]  # fmt: skip
    # Without a residence, the catalogue's order; the search still narrows.
    assert ids(await suggested_offers(session, None)) == [
        elsewhere.id,
        paris.id,
        near.id,
        centre.id,
    ]
    narrowed = await suggested_offers(session, Territory.ARR_18, territory=Territory.ARR_17)
    assert ids(narrowed) == [paris.id, elsewhere.id]
    other = await suggested_offers(session, Territory.ARR_18, category=OfferCategory("sport"))
    assert other == []
