"""A territory rule reads the territory's residents from the persons' residence index alone
(``policy.territory_clause``; migration 0032), on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import Territory
from core.models import Referral
from states.policy.scope import territory_clause
from states.referral import REFERRAL
from tests.plans import index_plan

pytestmark = pytest.mark.postgres


async def test_the_residents_of_a_territory_come_from_the_index_alone(
    session: AsyncSession,
) -> None:
    statement = select(Referral.id).where(territory_clause(REFERRAL, Territory("75018")))
    plan = await index_plan(session, statement)

    assert "Index Only Scan using ix_persons_residence on persons" in plan, plan
