"""The simulation's delivery process: beside the traffic on PostgreSQL, its failures stop the
run with their reason, and the seed still decides every figure.

On SQLite the simulation waits for each delivery run before the traffic goes on; on
PostgreSQL the run goes on beside the next hour's traffic. Both must count the same emails,
refusals and crashes, line for line: the worker sends only what was queued by its hour.
"""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from core.settings import Settings
from relais.simulation.delivery_worker import DeliveryWorker, Faults, WorkerFailed
from relais.simulation.run import SimulationConfig, simulate
from tests.factories import SECRET

SETTINGS = Settings(environment="test", secret_key=SECRET)
NOON = datetime(2026, 1, 5, 11, tzinfo=UTC)
# Seed 1 with these rates: the relay refuses, and both the sweep and the delivery crash.
CONFIG = SimulationConfig(80, 20, 1, 0.3, 0.2)


@pytest.fixture
async def empty_postgres(database_url: str) -> AsyncIterator[str]:
    """An empty database beside the test database, dropped afterwards."""
    parsed = make_url(database_url)
    name = f"{parsed.database}_simulation"
    admin = await asyncpg.connect(parsed.set(drivername="postgresql").render_as_string(False))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield parsed.set(database=name).render_as_string(hide_password=False)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def figures(lines: list[str]) -> list[str]:
    """The report's lines but its duration, which only the machine decides."""
    return [line for line in lines if not line.startswith("duration:")]


@pytest.mark.postgres
async def test_delivery_beside_the_traffic_counts_what_waiting_for_it_counts(
    empty_postgres: str, tmp_path: Path
) -> None:
    beside = await simulate(
        SETTINGS.model_copy(update={"database_url": empty_postgres}), CONFIG, print
    )
    sqlite = f"sqlite+aiosqlite:///{tmp_path / 'simulation.db'}"
    waiting = await simulate(SETTINGS.model_copy(update={"database_url": sqlite}), CONFIG, print)

    assert beside.smtp_refusals > 0
    assert beside.delivery_crashes > 0 and beside.sweep_crashes > 0
    assert beside.emails_received == beside.emails_expected
    assert (beside.lost_emails, beside.duplicate_emails, beside.stalled) == (0, 0, 0)
    assert figures(beside.lines()) == figures(waiting.lines())


async def test_a_failing_delivery_stops_the_simulation_with_its_reason(tmp_path: Path) -> None:
    # A database never migrated: the worker's first claim fails.
    unmigrated = f"sqlite+aiosqlite:///{tmp_path / 'simulation.db'}"
    worker = DeliveryWorker(
        SETTINGS.model_copy(update={"database_url": unmigrated}), Faults(0.0, 0.0, 1)
    )
    try:
        await worker.start_delivery(NOON)
        with pytest.raises(WorkerFailed, match="no such table: outbox"):
            await worker.settle()
    finally:
        worker.kill()


async def test_a_killed_delivery_process_stops_the_simulation(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'simulation.db'}"
    worker = DeliveryWorker(SETTINGS.model_copy(update={"database_url": url}), Faults(0, 0, 1))
    try:
        os.kill(worker.pid, signal.SIGKILL)
        with pytest.raises(WorkerFailed, match="s'est arrêté"):
            await worker.start_delivery(NOON)
            await worker.settle()
    finally:
        worker.kill()
