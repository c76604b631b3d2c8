"""``relais simulate`` on a small scale: faults happen, and nothing stalls, is lost or doubled.

The simulation is the measure itself (``.ci/run`` runs a larger one); these tests check that
its faults are real (the relay refused messages, batches crashed) and that its counts add up,
and that it refuses to write into a database that already holds data.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from core.settings import Settings
from relais.simulation.run import SimulationConfig, simulate, simulate_in
from relais.simulation.world import NotEmpty
from tests.factories import SECRET

pytestmark = pytest.mark.embedded


def test_a_month_with_faults_stalls_loses_and_doubles_nothing() -> None:
    settings = Settings(environment="test", secret_key=SECRET)
    lines: list[str] = []
    report = simulate_in(settings, None, SimulationConfig(80, 20, 3, 0.3, 0.2), lines.append)

    assert report.referrals == 80
    assert report.smtp_refusals > 0
    assert report.sweep_crashes + report.delivery_crashes > 0
    assert report.emails_received == report.emails_expected > 80
    assert (report.stalled, report.lost_emails, report.duplicate_emails) == (0, 0, 0)
    assert 0 < report.answered_in_time <= 1
    assert "stalled: 0" in report.lines()


def test_the_simulation_refuses_a_database_with_data(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'used.db'}"
    settings = Settings(environment="test", secret_key=SECRET, database_url=url)
    config = SimulationConfig(1, 1, 1, 0.0, 0.0)
    asyncio.run(simulate(settings, config, print))
    with pytest.raises(NotEmpty):
        asyncio.run(simulate(settings, config, print))
