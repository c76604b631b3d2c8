"""The demo is reachable: every offer but the one left so on purpose reaches someone; and it
shows one person's record serving two referrals, and a duplicate pair to merge."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.models import Accompaniment, Offer, Person, Referral, User
from core.settings import Settings
from relais.demo import CONTACTS, PARTNERS, seed_demo
from services.person_merge import person_card
from states.actor import Actor
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
    assert states == {"submitted", "returned"}
    assert set(CONTACTS) <= {name for name, *_ in PARTNERS}


async def test_one_person_has_two_referrals_and_one_duplicate_pair_is_left_to_merge(
    session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    assert await seed_demo(session, settings, clock)
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
