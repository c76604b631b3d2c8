"""``transaction()``, the one unit of work: all of it or nothing, database refusals as domain
errors. On the suite's database (SQLite, or PostgreSQL with ``RELAIS_TEST_DATABASE_URL``).
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.db import CHANGED_MEANWHILE, end_reads, transaction
from core.enums import OrganisationKind, Territory
from core.errors import AlreadyExists, ConcurrentChange
from core.models import Organisation, Referral
from services.referral_service import create_referral
from tests.factories import World, actor_of, make_organisation, referral_create

Sessions = async_sessionmaker[AsyncSession]


def organisation(name: str, now: datetime) -> Organisation:
    return Organisation(
        name=name, kind=OrganisationKind.ASSOCIATION, territory=Territory.PARIS, created_at=now
    )


async def names(sessionmaker: Sessions) -> list[str]:
    """The organisations' names as another session sees them: only what was committed."""
    async with sessionmaker() as session:
        rows = await session.execute(select(Organisation.name).order_by(Organisation.name))
        return list(rows.scalars())


async def test_commits_when_the_block_ends(sessionmaker: Sessions, clock: FixedClock) -> None:
    async with sessionmaker() as session:
        async with transaction(session):
            session.add(organisation("Alpha", clock.now()))
        assert not session.in_transaction()
    assert await names(sessionmaker) == ["Alpha"]


async def test_rolls_back_on_any_error_and_writes_nothing(
    sessionmaker: Sessions, clock: FixedClock
) -> None:
    async with sessionmaker() as session:
        with pytest.raises(RuntimeError, match="en cours de route"):
            async with transaction(session):
                session.add(organisation("Alpha", clock.now()))
                await session.flush()  # written in the transaction, not yet committed
                raise RuntimeError("en cours de route")
        assert not session.in_transaction()
        # The session is usable again at once.
        async with transaction(session):
            session.add(organisation("Beta", clock.now()))
    assert await names(sessionmaker) == ["Beta"]


async def test_a_dry_run_writes_nothing(sessionmaker: Sessions, clock: FixedClock) -> None:
    async with sessionmaker() as session:
        async with transaction(session, dry_run=True):
            session.add(organisation("Alpha", clock.now()))
            await session.flush()
            assert await session.scalar(select(func.count()).select_from(Organisation)) == 1
        assert not session.in_transaction()
    assert await names(sessionmaker) == []


async def test_an_integrity_error_is_a_concurrent_change_and_nothing_is_written(
    session: AsyncSession, sessionmaker: Sessions, clock: FixedClock
) -> None:
    await make_organisation(session, clock.now(), name="Alpha")
    async with sessionmaker() as other:
        with pytest.raises(ConcurrentChange) as refused:
            async with transaction(other):
                other.add(organisation("Beta", clock.now()))
                other.add(organisation("Alpha", clock.now()))  # the name is unique
        assert refused.value.message == CHANGED_MEANWHILE
        assert isinstance(refused.value.__cause__, IntegrityError)
    assert await names(sessionmaker) == ["Alpha"]


async def test_the_caller_names_the_error_an_integrity_error_means(
    session: AsyncSession, sessionmaker: Sessions, clock: FixedClock
) -> None:
    await make_organisation(session, clock.now(), name="Alpha")
    taken = AlreadyExists("L'organisation « Alpha » existe déjà.")
    async with sessionmaker() as other:
        with pytest.raises(AlreadyExists) as refused:
            async with transaction(other, conflict=taken):
                other.add(organisation("Alpha", clock.now()))
        assert refused.value is taken
        assert isinstance(refused.value.__cause__, IntegrityError)
    assert await names(sessionmaker) == ["Alpha"]


async def test_a_row_changed_since_it_was_read_is_a_concurrent_change(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    async with sessionmaker() as session:
        view = await create_referral(
            session, actor_of(world.referrer), referral_create(world.offer), clock.now()
        )
        referral_id = view.case.id
    async with sessionmaker() as stale:
        referral = await stale.get_one(Referral, referral_id)
        await end_reads(stale)
        async with sessionmaker() as other, transaction(other):
            await other.execute(
                update(Referral)
                .where(Referral.id == referral_id)
                .values(version=Referral.version + 1, motive="Changé ailleurs.")
            )
        with pytest.raises(ConcurrentChange, match="modifié par quelqu'un d'autre"):
            async with transaction(stale):
                referral.motive = "Changé ici."
    async with sessionmaker() as session:
        assert await session.scalar(select(Referral.motive).where(Referral.id == referral_id)) == (
            "Changé ailleurs."
        )


async def test_units_of_work_do_not_nest(sessionmaker: Sessions, clock: FixedClock) -> None:
    async with sessionmaker() as session:
        with pytest.raises(RuntimeError, match="does not nest"):
            async with transaction(session):
                session.add(organisation("Alpha", clock.now()))
                async with transaction(session):
                    pass
    assert await names(sessionmaker) == []


async def test_end_reads_refuses_to_save_pending_changes(
    sessionmaker: Sessions, clock: FixedClock
) -> None:
    async with sessionmaker() as session:
        await session.scalar(select(func.count()).select_from(Organisation))
        await end_reads(session)
        assert not session.in_transaction()
        session.add(organisation("Alpha", clock.now()))
        with pytest.raises(RuntimeError, match="use transaction"):
            await end_reads(session)
    assert await names(sessionmaker) == []
