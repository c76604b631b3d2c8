"""The database guards the lifecycles' invariants itself: no undeclared state, no state
without the fields it requires (migration 0003)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import Outcome, ReturnReason
from core.models import Referral
from services.referral_service import create_referral
from states.registry import LIFECYCLES
from tests.factories import World, actor_of, referral_create

Sessions = async_sessionmaker[AsyncSession]


async def _check_clauses(session: AsyncSession, table: str, is_postgres: bool) -> dict[str, str]:
    """Every CHECK constraint of ``table``, by name, as the database itself holds it."""
    if is_postgres:
        rows = await session.execute(
            text(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = CAST(:table AS regclass) AND contype = 'c'"
            ),
            {"table": table},
        )
        return {name: clause for name, clause in rows}
    sql = await session.scalar(
        text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :table"),
        {"table": table},
    )
    assert sql is not None
    found = re.findall(r"CONSTRAINT (\w+) CHECK \((.*?)\)(?:,|\s*\)$)", sql, flags=re.S)
    return dict(found)


@pytest.mark.parametrize("lifecycle", sorted(LIFECYCLES))
async def test_the_state_check_lists_exactly_the_declared_states(
    lifecycle: str, session: AsyncSession, is_postgres: bool
) -> None:
    declared = LIFECYCLES[lifecycle]
    table = declared.model.__tablename__
    clauses = await _check_clauses(session, table, is_postgres)
    clause = clauses[f"ck_{table}_state"]
    assert set(re.findall(r"'(\w+)'", clause)) == set(declared.states)


async def _referral(sessionmaker: Sessions, world: World, clock: FixedClock) -> int:
    async with sessionmaker() as session:
        view = await create_referral(
            session, actor_of(world.referrer), referral_create(world.offer), clock.now()
        )
        return int(view.case.id)


async def _set(sessionmaker: Sessions, referral_id: int, **values: object) -> None:
    async with sessionmaker() as session:
        await session.execute(update(Referral).where(Referral.id == referral_id).values(**values))
        await session.commit()


async def test_every_declared_state_is_accepted_and_an_undeclared_one_refused(
    sessionmaker: Sessions, world: World, clock: FixedClock
) -> None:
    referral_id = await _referral(sessionmaker, world, clock)
    await _set(
        sessionmaker,
        referral_id,
        outcome=Outcome.EMPLOYMENT,
        return_reason=ReturnReason.NO_CAPACITY,
    )
    for state in LIFECYCLES["referral"].states:
        await _set(sessionmaker, referral_id, state=state)
    with pytest.raises(IntegrityError):
        await _set(sessionmaker, referral_id, state="lost")


async def test_a_completed_referral_has_an_outcome_and_a_returned_one_a_reason(
    sessionmaker: Sessions, world: World, clock: FixedClock
) -> None:
    referral_id = await _referral(sessionmaker, world, clock)
    with pytest.raises(IntegrityError):
        await _set(sessionmaker, referral_id, state="completed")
    with pytest.raises(IntegrityError):
        await _set(sessionmaker, referral_id, state="returned")
    # Refused above for the missing field only: with it, each state is accepted.
    await _set(sessionmaker, referral_id, state="completed", outcome=Outcome.TRAINING)
    await _set(sessionmaker, referral_id, state="returned", return_reason=ReturnReason.WRONG_OFFER)
    with pytest.raises(IntegrityError):
        await _set(sessionmaker, referral_id, return_reason=None)
