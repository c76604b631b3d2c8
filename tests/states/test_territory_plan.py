"""A territory rule reads the territory's residents from the persons' residence index alone
(``policy.territory_clause``; migration 0032), on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import Territory
from core.models import Referral
from states.policy.scope import territory_clause
from states.referral import REFERRAL

pytestmark = pytest.mark.postgres


async def test_the_residents_of_a_territory_come_from_the_index_alone(
    session: AsyncSession,
) -> None:
    statement = select(Referral.id).where(territory_clause(REFERRAL, Territory("75018")))
    sql = statement.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
    )
    async with session.begin():
        # An empty test database is read whole by any plan: only the index paths are left.
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        await session.execute(text("SET LOCAL enable_bitmapscan = off"))
        plan = "\n".join((await session.execute(text(f"EXPLAIN {sql}"))).scalars())

    assert "Index Only Scan using ix_persons_residence on persons" in plan, plan
