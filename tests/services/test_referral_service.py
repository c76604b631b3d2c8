"""What a referral's creation reads about its person: nothing more for a record it has just
written, the consent lock and the follow-up for a person relais already holds."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncEngine

from core.clock import FixedClock
from services.referral_service import create_referral
from states.referral_fields import PersonFields
from tests.factories import World, actor_of, make_offer, referral_create
from tests.states.engine_helpers import Sessions, Statements

CONSENT_READ = "SELECT persons.consent_withdrawn_at"
FOLLOW_UP_READ = "FROM accompaniments"
# With a birth date, the matching rule finds the record again (``services.persons``).
PERSON = PersonFields(first_name="Zoé", last_name="Quatremer", birth_date=date(1990, 5, 4))


async def _reads_of_a_referral(
    sessionmaker: Sessions, db_engine: AsyncEngine, world: World, offer_id: int, now: FixedClock
) -> list[str]:
    async with sessionmaker() as session, session.begin():
        offer = await session.get_one(type(world.offer), offer_id)
    with Statements(db_engine) as statements:
        async with sessionmaker() as session:
            await create_referral(
                session,
                actor_of(world.referrer),
                referral_create(offer, person=PERSON),
                now.now(),
            )
    return [statement for _, statement in statements.sent]


async def test_a_new_persons_record_is_not_read_again(
    world: World, sessionmaker: Sessions, db_engine: AsyncEngine, clock: FixedClock
) -> None:
    """The first referral writes the person's record: no consent can have been withdrawn from
    it and no accompaniment follows it, so neither is read (two statements fewer)."""
    sent = await _reads_of_a_referral(sessionmaker, db_engine, world, world.offer.id, clock)
    assert any(statement.startswith("INSERT INTO persons") for statement in sent)
    assert not [statement for statement in sent if CONSENT_READ in statement]
    assert not [statement for statement in sent if FOLLOW_UP_READ in statement]


async def test_a_known_person_is_checked_under_the_consent_lock(
    world: World, sessionmaker: Sessions, db_engine: AsyncEngine, clock: FixedClock
) -> None:
    """The same person referred again, to another offer: relais holds their record, whose
    consent may have been withdrawn and whose accompaniment a referral restarts."""
    await _reads_of_a_referral(sessionmaker, db_engine, world, world.offer.id, clock)
    async with sessionmaker() as session:
        other = await make_offer(session, world.receiver, clock.now(), title="Atelier CV")
    sent = await _reads_of_a_referral(sessionmaker, db_engine, world, other.id, clock)
    assert not any(statement.startswith("INSERT INTO persons") for statement in sent)
    assert len([statement for statement in sent if CONSENT_READ in statement]) == 1
    assert len([statement for statement in sent if FOLLOW_UP_READ in statement]) >= 1
