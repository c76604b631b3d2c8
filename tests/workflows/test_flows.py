"""Acceptance 5: the real flows on a real Prefect server (one per test session).

Everything else tests the services directly; this module checks that the flows are thin and
whole: called as Prefect flows against a temporary Prefect server (``prefect_test_harness``),
they act on the database the settings name, return their summary, and their runs are
recorded as Completed by the server. It also pins the deployments and their schedules.
"""

from __future__ import annotations

import gc
import mailbox
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from prefect import get_client
from prefect.client.schemas.filters import FlowFilter, FlowFilterName
from prefect.client.schemas.schedules import CronSchedule, IntervalSchedule
from prefect.testing.utilities import prefect_test_harness
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.business_days import PARIS
from core.clock import FixedClock
from core.enums import OutboxStatus
from core.models import OutboxMessage
from core.settings import get_settings
from services.referral_service import create_referral
from tests.factories import World, actor_of, referral_create
from workflows.flows import deliver_flow, deployments, digest_flow, sweep_flow

# Not ours: each flow run of Prefect 3.9 reads the server's default result storage through a
# synchronous client it never closes (prefect/results.py,
# _read_server_default_result_storage_block_id, ``get_client(sync_client=True)``), so a
# socket to the test server is left for the garbage collector, which reports it whenever it
# happens to run. Ignore exactly that warning in this module, and collect that garbage before
# leaving each test (``_collect_prefect_leftovers``) so it never surfaces in another module.
pytestmark = pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning")

# The referral of these tests is submitted at conftest's T0, Monday 2 March 2026 09:00 Paris.
# Its reminder falls due at +3 business days (Thursday 5 March 09:00), its escalation at +5
# (Monday 9 March 09:00); the digest of Tuesday 10 March 08:00 lists it as overdue.
AFTER_REMINDER = datetime(2026, 3, 6, 9, 0, tzinfo=PARIS)
DIGEST_MORNING = datetime(2026, 3, 10, 8, 0, tzinfo=PARIS)


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A temporary Prefect server on SQLite, started once for the whole session.

    The server is a subprocess that takes its settings from the environment when it starts:
    no analytics (there is no network here), and its home in a temporary directory. The
    environment is restored as soon as it runs, for the tests that follow.
    """
    patch = pytest.MonkeyPatch()
    patch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    patch.setenv("PREFECT_HOME", str(tmp_path_factory.mktemp("prefect-home")))
    try:
        # Starting the server (migrations of its own database) is slow on a small machine.
        with prefect_test_harness(server_startup_timeout=120):
            patch.undo()
            yield
    finally:
        patch.undo()


@pytest.fixture(autouse=True)
def _collect_prefect_leftovers() -> Iterator[None]:
    """Finalise the sockets Prefect left behind while this module's filter is in force."""
    yield
    gc.collect()


@pytest.fixture
def relais_environment(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> Iterator[Path]:
    """The flows' settings: the test database, a temporary ./var, no SMTP relay (Maildir)."""
    monkeypatch.setenv("RELAIS_DATABASE_URL", database_url)
    monkeypatch.setenv("RELAIS_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("RELAIS_SMTP_HOST", raising=False)
    get_settings.cache_clear()
    yield tmp_path / "var"
    get_settings.cache_clear()


async def _flow_runs(flow_name: str) -> list[tuple[str, str | None, dict[str, object]]]:
    """(state type, state name, parameters) of every recorded run of ``flow_name``."""
    async with get_client() as client:
        runs = await client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name]))
        )
    return [
        (run.state_type.value if run.state_type else "", run.state_name, run.parameters)
        for run in runs
    ]


async def _outbox(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> list[tuple[str, str, OutboxStatus]]:
    """(message, recipient, status) of every outbox row, oldest first.

    A short session of its own: on SQLite every transaction takes the write lock, and the
    flows must be able to write in between.
    """
    async with sessionmaker() as session:
        rows = await session.execute(
            select(
                OutboxMessage.message, OutboxMessage.recipient_email, OutboxMessage.status
            ).order_by(OutboxMessage.id)
        )
        return list(rows.tuples())


async def test_the_three_flows_run_on_the_prefect_server_and_act_on_the_database(
    prefect_server: None,
    relais_environment: Path,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    world: World,
    clock: FixedClock,
) -> None:
    await create_referral(
        session, actor_of(world.referrer), referral_create(world.offer), clock.now()
    )
    # Reading the new referral back left a transaction open, which on SQLite holds the lock.
    await session.rollback()

    swept = await sweep_flow(now=AFTER_REMINDER)
    assert swept == (
        "1 rappel(s), 0 alerte(s) aux coordinateurs, 0 action(s) automatique(s), 0 reportée(s)"
    )
    assert await _outbox(sessionmaker) == [
        ("referral.submitted", "accueil@epi-test.fr", OutboxStatus.PENDING),
        ("reminder", "accueil@epi-test.fr", OutboxStatus.PENDING),
    ]

    delivered = await deliver_flow(now=AFTER_REMINDER)
    assert delivered == "2 envoyé(s), 0 à réessayer, 0 abandonné(s)"
    assert await _outbox(sessionmaker) == [
        ("referral.submitted", "accueil@epi-test.fr", OutboxStatus.SENT),
        ("reminder", "accueil@epi-test.fr", OutboxStatus.SENT),
    ]
    maildir = mailbox.Maildir(relais_environment / "mail", create=False)
    assert sorted(str(message["To"]) for message in maildir) == [
        "accueil@epi-test.fr",
        "accueil@epi-test.fr",
    ]

    digested = await digest_flow(now=DIGEST_MORNING)
    assert digested == "1 digest(s) mis en file, 0 déjà envoyé(s), 0 destinataire(s) sans retard"
    assert (await _outbox(sessionmaker))[-1] == (
        "digest",
        "coordination@epec-test.fr",
        OutboxStatus.PENDING,
    )

    # The Prefect server recorded one completed run of each flow, with its moment.
    for flow_name, moment in (
        ("relais-sweep", AFTER_REMINDER),
        ("relais-deliver", AFTER_REMINDER),
        ("relais-digest", DIGEST_MORNING),
    ):
        runs = await _flow_runs(flow_name)
        assert len(runs) == 1, (flow_name, runs)
        state_type, state_name, parameters = runs[0]
        assert (state_type, state_name) == ("COMPLETED", "Completed")
        assert datetime.fromisoformat(str(parameters["now"])) == moment


def test_deployments_declare_the_five_flows_with_their_schedules() -> None:
    declared = {(deployment.flow_name, deployment.name): deployment for deployment in deployments()}
    assert sorted(declared) == [
        ("relais-deliver", "deliver"),
        ("relais-digest", "digest"),
        ("relais-governance", "governance"),
        ("relais-retention", "retention"),
        ("relais-sweep", "sweep"),
    ]
    schedules = {}
    for key, deployment in declared.items():
        assert deployment.concurrency_limit == 1
        assert deployment.schedules is not None and len(deployment.schedules) == 1
        assert deployment.schedules[0].active is True
        schedules[key] = deployment.schedules[0].schedule

    sweep = schedules["relais-sweep", "sweep"]
    assert isinstance(sweep, IntervalSchedule)
    assert (sweep.interval, sweep.timezone) == (timedelta(minutes=5), "Europe/Paris")
    deliver = schedules["relais-deliver", "deliver"]
    assert isinstance(deliver, IntervalSchedule)
    assert (deliver.interval, deliver.timezone) == (timedelta(minutes=1), "Europe/Paris")
    digest = schedules["relais-digest", "digest"]
    assert isinstance(digest, CronSchedule)
    assert (digest.cron, digest.timezone) == ("0 8 * * 1-5", "Europe/Paris")
    governance = schedules["relais-governance", "governance"]
    assert isinstance(governance, CronSchedule)
    assert (governance.cron, governance.timezone) == ("30 8 * * *", "Europe/Paris")
    retention = schedules["relais-retention", "retention"]
    assert isinstance(retention, CronSchedule)
    assert (retention.cron, retention.timezone) == ("0 3 * * *", "Europe/Paris")
