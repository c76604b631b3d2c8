"""Describing overdue cases reads the organisations and offers they name once per page of
cases, not once per case: the dashboard's and the digest's cost follows the page."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.clock import FixedClock
from core.enums import OrganisationKind, Role
from services.overdue import overdue_cases
from services.referral_service import create_referral
from states.registry import LIFECYCLES
from tests.factories import (
    World,
    actor_of,
    make_offer,
    make_organisation,
    make_user,
    referral_create,
)
from tests.web.dashboard_helpers import paris

RECEIVERS = 3


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
