"""Describing overdue cases reads the organisations and offers they name once per page of
cases, not once per case: the dashboard's and the digest's cost follows the page; the CSV
export describes no case, reads the names once for all its batches, holds no connection
between two, and reads a territory's first lines case by case."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import OrganisationKind, Role, Territory
from core.models import Referral
from services.dashboard import DashboardFilters
from services.overdue import overdue_cases
from services.overdue_export import overdue_export
from services.referral_service import create_referral
from states.policy.scope import territory_clause
from states.referral import REFERRAL, ReferralState
from states.registry import LIFECYCLES
from tests.factories import (
    World,
    actor_of,
    make_offer,
    make_organisation,
    make_user,
    person_fields,
    referral_create,
)
from tests.overdue_lines import exported as exported_lines
from tests.overdue_lines import read_lines
from tests.web.dashboard_helpers import paris

NORTH = Territory("75018")
EAST = Territory("75011")
RECEIVERS = 3
BATCHES = 3
"""How many one-case batches the export tests stream."""


@pytest.fixture
def statements(db_engine: AsyncEngine) -> Any:
    """The SQL statements the engine runs from now on."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(db_engine.sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(db_engine.sync_engine, "before_cursor_execute", record)


async def test_one_read_of_offers_and_one_of_organisations_for_the_page(
    world: World, session: AsyncSession, clock: FixedClock, statements: list[str]
) -> None:
    now = clock.now()
    references = []
    for number in range(RECEIVERS):
        organisation = await make_organisation(
            session, now, name=f"EPI {number}", kind=OrganisationKind.EPI
        )
        await make_user(session, organisation, now, role=Role.MEMBER)
        offer = await make_offer(session, organisation, now, title=f"Atelier {number}")
        view = await create_referral(session, actor_of(world.referrer), referral_create(offer), now)
        references.append(view.case.reference)
    session.expunge_all()
    statements.clear()

    found = await overdue_cases(
        session, [LIFECYCLES["referral"]], actor_of(world.coordinator), paris(10, 10)
    )

    assert [item.reference for item in found] == references
    assert {item.waiting_organisation for item in found} == {f"EPI {n}" for n in range(RECEIVERS)}
    reads = [" ".join(sql.split()) for sql in statements]
    assert sum(sql.startswith("SELECT offers.") for sql in reads) == 1
    assert sum(sql.startswith("SELECT organisations.") for sql in reads) == 1


async def _late_to_one_offer(world: World, session: AsyncSession, now: Any) -> list[str]:
    """``BATCHES`` referrals to the same offer, overdue on 10 March: their references."""
    offer = await make_offer(session, world.receiver, now, title="Atelier CV")
    references = []
    for _ in range(BATCHES):
        view = await create_referral(session, actor_of(world.referrer), referral_create(offer), now)
        references.append(view.case.reference)
    await session.close()
    return references


async def test_the_export_reads_its_lines_with_their_keys_and_each_name_once(
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    statements: list[str],
) -> None:
    """The export describes no case one by one: its lines come with the keys' read (no
    referral read again, no offer), and the organisation they wait on is named once for
    all the batches."""
    references = await _late_to_one_offer(world, session, clock.now())
    statements.clear()

    batches = overdue_export(
        sessionmaker, [LIFECYCLES["referral"]], actor_of(world.coordinator), paris(10, 10), size=1
    )
    exported = [
        [
            (item.reference, item.state_label, item.waiting_organisation)
            for item in read_lines(lines)
        ]
        async for lines in batches
    ]

    waiting = (ReferralState.SUBMITTED.label, world.receiver.name)
    assert exported == [[(reference, *waiting)] for reference in references]
    reads = [" ".join(sql.split()) for sql in statements]
    assert not [sql for sql in reads if sql.startswith("SELECT offers.")]
    assert sum(sql.startswith("SELECT organisations.") for sql in reads) == 1
    referral_reads = [sql for sql in reads if sql.startswith("SELECT referrals.")]
    # Each way of being overdue (past the escalation, expired) for the first batch, then the
    # rest of the one not read to its end: no read of the referrals besides.
    assert len(referral_reads) == 2 + 1


async def test_the_export_holds_no_connection_while_a_batch_is_written_out(
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    db_engine: AsyncEngine,
    clock: FixedClock,
) -> None:
    """Between two batches the export's session has ended its reads (on SQLite a read holds
    the write lock): every connection it took is given back before a batch is handed over."""
    references = await _late_to_one_offer(world, session, clock.now())
    held = [0]

    def took(*_: Any) -> None:
        held[0] += 1

    def gave_back(*_: Any) -> None:
        held[0] -= 1

    event.listen(db_engine.sync_engine, "checkout", took)
    event.listen(db_engine.sync_engine, "checkin", gave_back)
    try:
        batches = overdue_export(
            sessionmaker,
            [LIFECYCLES["referral"]],
            actor_of(world.coordinator),
            paris(10, 10),
            size=1,
        )
        exported: list[str] = []
        async for cases in batches:
            assert held[0] == 0
            exported.extend(item.reference for item in read_lines(cases))
    finally:
        event.remove(db_engine.sync_engine, "checkout", took)
        event.remove(db_engine.sync_engine, "checkin", gave_back)
    assert exported == references


async def test_a_territorys_export_walks_its_first_lines_case_by_case(
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    statements: list[str],
) -> None:
    """A territory's export reads its first lines walking the overdue order and checking
    each case's person by its key (``EXISTS``), so that they come before the rest is read
    (at 180,000 referrals, 30 ms to the first byte where reading the territory's residents
    whole first took 120); the further reads go through the residents at once (``IN``).
    Both shapes keep the same cases: sent to an offer there, or about a person living there.
    """
    now = clock.now()
    there = await make_offer(session, world.receiver, now, title="Atelier", territory=NORTH)
    elsewhere = await make_offer(session, world.receiver, now, title="Stage", territory=EAST)
    kept: list[str] = []
    for offer, residence, name in [
        (there, None, "Moreau"),
        (elsewhere, NORTH, "Durand"),
        (elsewhere, None, "Petit"),
        (there, EAST, "Leroy"),
    ]:
        person = person_fields(last_name=name, residence=residence)
        created = await create_referral(
            session, actor_of(world.referrer), referral_create(offer, person=person), now
        )
        if NORTH in (offer.territory, residence):
            kept.append(created.case.reference)
    for case_by_case in (True, False):
        clause = territory_clause(REFERRAL, NORTH, case_by_case=case_by_case)
        found = await session.scalars(select(Referral.reference).where(clause))
        assert sorted(found) == sorted(kept)
    await session.close()
    statements.clear()

    filters = DashboardFilters(territory=NORTH)
    batches = overdue_export(
        sessionmaker,
        [REFERRAL],
        actor_of(world.coordinator),
        paris(10, 10),
        where=filters.territory_clause,
        size=1,
    )
    exported = [item.reference for item in await exported_lines(batches)]

    assert exported == kept
    reads = [" ".join(sql.split()) for sql in statements if sql.startswith("SELECT referrals.")]
    # Past the escalation and expired: first the first batch's lines, then the rest's.
    first, rest = reads[:2], reads[2:]
    assert rest and all("EXISTS (SELECT" in sql and "IN (SELECT" not in sql for sql in first)
    assert all("IN (SELECT persons.id" in sql and "EXISTS" not in sql for sql in rest)
