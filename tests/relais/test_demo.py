"""The demo is reachable: every offer but the one left so on purpose reaches someone; and it
shows one person's record serving two referrals, and a duplicate pair to merge."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.models import Accompaniment, Offer, Person, Referral, User
from core.settings import Settings
from relais.demo import ACCOUNTS, CONTACTS, PARTNERS, seed_demo
from services.directory import places_left_of
from services.person_merge import person_card
from states.actor import Actor
from states.reachability import reachable_offers, unreachable_offers
from tests.factories import PASSWORDS


async def test_only_the_association_without_account_nor_address_is_unreachable(
    session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    assert await seed_demo(session, settings, clock, password_helper=PASSWORDS)
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
    assert await seed_demo(session, settings, clock, password_helper=PASSWORDS)
    users = (await session.execute(select(User).order_by(User.id))).scalars().all()
    assert [(user.email, user.full_name, user.work_phone) for user in users] == [
        (account.email, account.full_name, account.work_phone) for account in ACCOUNTS
    ]
    # Numbers ARCEP keeps for fiction: nobody real is called from the demo.
    assert all(user.work_phone and user.work_phone.startswith("01 99 00") for user in users)


async def test_one_offer_is_full_and_a_referral_waits_on_it(
    session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    assert await seed_demo(session, settings, clock, password_helper=PASSWORDS)
    full = [offer for offer in (await session.execute(select(Offer))).scalars() if offer.capacity]
    assert [offer.title for offer in full] == ["ParisCode — formations aux métiers du numérique"]
    assert await places_left_of(session, full) == {full[0].id: 0}
    waiting = (
        await session.execute(
            select(Referral.state).where(Referral.offer_id == full[0].id).order_by(Referral.id)
        )
    ).scalars()
    assert list(waiting) == ["submitted", "accepted"]


async def test_one_person_has_two_referrals_and_one_duplicate_pair_is_left_to_merge(
    session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    assert await seed_demo(session, settings, clock, password_helper=PASSWORDS)
    rows = (
        await session.execute(
            select(Person.id, Person.name_key, Person.france_travail_id).join(
                Referral, Referral.person_id == Person.id
            )
        )
    ).all()
    records: dict[str, set[int]] = {}
    for person_id, key, _identifier in rows:
        records.setdefault(key, set()).add(person_id)
    # Inès: two referrals (Mission locale, France Travail), one record, with her identifier.
    assert len(records["martin|ines"]) == 1
    assert [row.france_travail_id for row in rows if row.name_key == "martin|ines"] == [
        "3456789B",
        "3456789B",
    ]
    # Yanis: France Travail's referral joined the record the Mission locale accompanies.
    [yanis] = records["moreau|yanis"]
    assert (
        await session.scalar(
            select(Accompaniment.person_id).where(Accompaniment.ended_at.is_(None))
        )
        == yanis
    )
    # Karim: two records (one without a birth date), each the other's merge candidate.
    first, second = sorted(records["benali|karim"])
    coordinator = await session.scalar(
        select(User).where(User.__table__.c.email == "coordination@relais-demo.paris")
    )
    assert coordinator is not None
    card = await person_card(session, Actor.of(coordinator), first)
    assert [item.id for item in card.candidates] == [second]
