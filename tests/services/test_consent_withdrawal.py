"""A withdrawal of consent closes every open referral, whatever its state: those a referrer
may cancel are cancelled; one under way, which cannot be cancelled, ends with the code
« Retrait du consentement »; an expired one is closed. Final ones are left as they were."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import Outcome, Role
from core.errors import ConsentWithdrawn
from core.models import Person, Referral
from services import referral_service
from services.consent_withdrawal import REASON, withdraw_consent
from states import engine
from states.actor import Actor
from states.referral import REFERRAL
from states.referral_fields import CompleteFields, StartFields
from tests.factories import World, actor_of, make_user, person_fields, referral_create


async def test_every_open_referral_is_closed_the_way_its_state_allows(
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    now = clock.now()
    dpo = await make_user(session, world.coordination, now, role=Role.DPO, email="dpo@t.fr")
    receiver, referrer = actor_of(world.receiver_member), actor_of(world.referrer)
    person = person_fields(first_name="Lina", last_name="Ferrand", birth_date=date(1988, 6, 1))
    ids = []
    async with sessionmaker() as arrange:
        for _ in range(5):
            view = await referral_service.create_referral(
                arrange, referrer,
                # Five referrals of one person to one offer: each confirmed as no duplicate.
                referral_create(world.offer, person=person, confirm_duplicate=True), now,
            )  # fmt: skip
            ids.append(view.case.id)
        under_way, expired, returned_one, completed, _submitted = ids
        await engine.fire(arrange, REFERRAL, under_way, "accept", receiver, None, now)
        await engine.fire(arrange, REFERRAL, under_way, "start", receiver, StartFields(), now)
        await engine.fire(arrange, REFERRAL, expired, "expire", Actor.system(), None, now)
        returned = {"reason": "missing_information", "comment": "Pièce manquante."}
        await engine.fire(arrange, REFERRAL, returned_one, "return", receiver, returned, now)
        await engine.fire(arrange, REFERRAL, completed, "accept", receiver, None, now)
        ended = CompleteFields(outcome=Outcome.IAE)
        await engine.fire(arrange, REFERRAL, completed, "complete", receiver, ended, now)
        person_id = view.case.person_id

    async with sessionmaker() as acting:
        done = await withdraw_consent(acting, actor_of(dpo), person_id, clock.now())

    async with sessionmaker() as reading:
        rows = {
            row.id: row
            for row in await reading.scalars(select(Referral).where(Referral.id.in_(ids)))
        }
    states = [(rows[i].state, rows[i].outcome, rows[i].cancel_reason) for i in ids]
    assert states == [
        ("completed", Outcome.CONSENT_WITHDRAWN, None),
        ("closed", None, None),
        ("cancelled", None, REASON),
        ("completed", Outcome.IAE, None),
        ("cancelled", None, REASON),
    ]
    assert sorted(done.closed) == sorted(rows[i].reference for i in ids if i != completed)


async def test_a_referral_created_while_a_withdrawal_commits_is_refused(
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    is_postgres: bool,
) -> None:
    if not is_postgres:
        pytest.skip("SQLite runs one writing transaction at a time")
    now = clock.now()
    person = person_fields(first_name="Lina", last_name="Ferrand", birth_date=date(1988, 6, 1))
    referrer = actor_of(world.referrer)
    async with sessionmaker() as arrange:
        view = await referral_service.create_referral(
            arrange, referrer, referral_create(world.offer, person=person), now
        )
    # A withdrawal in flight: the person's row locked and marked, not yet committed.
    async with sessionmaker() as withdrawing:
        row = await withdrawing.scalar(
            select(Person).where(Person.id == view.case.person_id).with_for_update()
        )
        assert row is not None
        row.consent_withdrawn_at = now
        await withdrawing.flush()
        async with sessionmaker() as creating:
            attempt = asyncio.create_task(
                referral_service.create_referral(
                    creating,
                    referrer,
                    referral_create(world.offer, person=person, confirm_duplicate=True),
                    now,
                )
            )
            await asyncio.sleep(0.5)
            assert not attempt.done()
            await withdrawing.commit()
            with pytest.raises(ConsentWithdrawn):
                await attempt
    async with sessionmaker() as reading:
        assert await reading.scalar(select(func.count()).select_from(Referral)) == 1
