"""The nightly ``relais-retention`` flow runs the retention service on the configured database
(its logic, through ``flow.fn``: the schedule is checked in ``test_flows.py``)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.models import Person
from tests.cli.test_retention_cli import relais_environment as relais_environment
from tests.factories import World
from tests.services.test_retention import completed_referral, in_months
from workflows import flows


@pytest.mark.usefixtures("relais_environment")
async def test_the_retention_flow_anonymises_and_reports_in_french(
    session: AsyncSession, world: World, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Outside a flow run there is no run logger: a plain one stands in.
    monkeypatch.setattr(flows, "get_run_logger", lambda: logging.getLogger("relais.test"))
    await completed_referral(session, world, clock)
    await session.commit()

    summary = await flows.retention_flow.fn(in_months(clock.now(), 25))

    assert summary.startswith("1 personne(s) ont été anonymisée(s).")
    assert await session.scalar(select(Person.first_name)) == ""
