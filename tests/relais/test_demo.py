"""The demo is reachable: every offer but the one left so on purpose reaches someone."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.models import Offer, Referral, User
from core.settings import Settings
from relais.demo import ACCOUNTS, CONTACTS, PARTNERS, seed_demo
from services.directory import places_left_of
from states.reachability import reachable_offers, unreachable_offers


async def test_only_the_association_without_account_nor_address_is_unreachable(
    session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    assert await seed_demo(session, settings, clock)
    listed = await unreachable_offers(session)
    assert [(item.organisation, item.title) for item in listed] == [
        ("Association Solidarités nouvelles Paris 19", "Atelier numérique et démarches en ligne")
    ]
    offers = list((await session.execute(select(Offer.id))).scalars())
    assert len(await reachable_offers(session, offers)) == len(offers) - 1
    # Every demo referral went out to an offer someone receives.
    states = set((await session.execute(select(Referral.state))).scalars())
    assert states == {"submitted", "returned", "accepted"}
    assert set(CONTACTS) <= {name for name, *_ in PARTNERS}


async def test_every_demo_account_has_a_name_and_a_work_phone(
    session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    assert await seed_demo(session, settings, clock)
    users = (await session.execute(select(User).order_by(User.id))).scalars().all()
    assert [(user.email, user.full_name, user.work_phone) for user in users] == [
        (account.email, account.full_name, account.work_phone) for account in ACCOUNTS
    ]
    # Numbers ARCEP keeps for fiction: nobody real is called from the demo.
    assert all(user.work_phone and user.work_phone.startswith("01 99 00") for user in users)


async def test_one_offer_is_full_and_a_referral_waits_on_it(
    session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    assert await seed_demo(session, settings, clock)
    full = [offer for offer in (await session.execute(select(Offer))).scalars() if offer.capacity]
    assert [offer.title for offer in full] == ["ParisCode — formations aux métiers du numérique"]
    assert await places_left_of(session, full) == {full[0].id: 0}
    waiting = (
        await session.execute(
            select(Referral.state).where(Referral.offer_id == full[0].id).order_by(Referral.id)
        )
    ).scalars()
    assert list(waiting) == ["submitted", "accepted"]
