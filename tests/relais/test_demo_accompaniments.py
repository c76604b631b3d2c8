"""The demo's accompaniments of issue 14: a co-accompanying organisation, and a young person of
the Mission locale whose 26th birthday is less than three months away."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import MessageKey
from core.models import Accompaniment, AccompanimentPartner, Organisation, OutboxMessage, Person
from core.settings import Settings
from relais.demo import seed_demo
from relais.demo_accompaniments import TURNS_26_IN_DAYS
from states.registry import LIFECYCLES
from tests.factories import PASSWORDS
from workflows.sweep import sweep_due


async def test_the_demo_has_a_partner_and_someone_about_to_turn_26(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FixedClock,
) -> None:
    assert await seed_demo(session, settings, clock, password_helper=PASSWORDS)
    partners = (
        await session.execute(
            select(Person.first_name, Organisation.name)
            .join(Accompaniment, Accompaniment.person_id == Person.id)
            .join(AccompanimentPartner, AccompanimentPartner.accompaniment_id == Accompaniment.id)
            .join(Organisation, Organisation.id == AccompanimentPartner.organisation_id)
            .where(AccompanimentPartner.removed_at.is_(None))
        )
    ).all()
    assert [tuple(row) for row in partners] == [("Sofia", "France Travail Paris")]
    # Léa turns 26 within three months of the demo; Yanis (born in 2001, accompanied by the
    # Mission locale too) has an age limit, months later than hers on the test's clock.
    rows = await session.execute(
        select(Person.first_name, Accompaniment.reference)
        .join(Person, Person.id == Accompaniment.person_id)
        .where(Accompaniment.turns_26_at.is_not(None))
    )
    limits: dict[str, str] = {first_name: reference for first_name, reference in rows}
    assert set(limits) == {"Léa", "Yanis"}
    reference = limits["Léa"]
    turns_26_at = await session.scalar(
        select(Accompaniment.turns_26_at).where(Accompaniment.reference == reference)
    )
    assert turns_26_at is not None
    assert (
        timedelta(days=TURNS_26_IN_DAYS - 1)
        < turns_26_at - clock.now()
        <= timedelta(days=TURNS_26_IN_DAYS)
    )
    await session.commit()

    await sweep_due(sessionmaker, LIFECYCLES, clock.now())
    async with sessionmaker() as reading:
        sent = (
            await reading.execute(
                select(
                    OutboxMessage.message, OutboxMessage.recipient_email, OutboxMessage.context
                ).where(
                    OutboxMessage.message.in_(
                        (MessageKey.ACCOMPANIMENT_TURNING_26, MessageKey.ACCOMPANIMENT_TURNED_26)
                    )
                )
            )
        ).all()
    assert [(message, email) for message, email, _ in sent] == [
        (MessageKey.ACCOMPANIMENT_TURNING_26, "mission-locale@relais-demo.paris")
    ]
    assert sent[0][2]["reference"] == reference
