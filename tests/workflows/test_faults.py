"""Faults in the middle of the work: afterwards nothing is lost and nothing is doubled.

- The delivery process (``relais deliver``, a real subprocess) is killed with SIGKILL while
  the relay holds one of its messages: its batch is still in flight (marked sent once per
  batch), so after the lease the next run sends all of it, and only the message the relay had
  accepted before the kill arrives twice.
- The sweep's database connection is terminated (``pg_terminate_backend``) in the middle of a
  batch: the batch is rolled back and the next sweep acts on every due timer, once.
- The relay is stopped and started again while a batch is being sent: the message in flight
  is retried, the ones behind it were never charged, and all arrive once.

Emails go to a real SMTP server on loopback and are counted there by Message-ID.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import create_engine
from core.enums import OutboxStatus, TimerKind, TimerStatus
from core.models import OutboxMessage, Timer
from notifications.transport import SmtpTransport
from services.referral_service import create_referral
from states.registry import LIFECYCLES
from tests.factories import SECRET, World, actor_of, make_user, referral_create
from tests.notifications.smtp_server import SmtpServer, running_smtp_server
from workflows.delivery import deliver_due, message_id
from workflows.sweep import SweepPolicy, sweep_due

pytestmark = pytest.mark.postgres

Sessions = async_sessionmaker[AsyncSession]
SUBMITTED_AT = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Monday 2 March, 09:00 in Paris
REMINDED_AT = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)  # reminders due, nothing else
SECOND_MEMBER = "orientation@epi-test.fr"
REFERRALS = 6


@pytest.fixture
def relay() -> Any:
    """A recording SMTP server on loopback, whose sessions wait 30 s when told to hang."""
    with running_smtp_server(hang_seconds=30) as server:
        yield server


async def submit(sessionmaker: Sessions, world: World, count: int) -> None:
    """``count`` referrals submitted: each tells the receiver's two members."""
    for _ in range(count):
        async with sessionmaker() as session:
            await create_referral(
                session, actor_of(world.referrer), referral_create(world.offer), SUBMITTED_AT
            )


async def outbox(sessionmaker: Sessions) -> list[OutboxMessage]:
    """Every outbox row, in id order."""
    async with sessionmaker() as session:
        return list(
            (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        )


async def until(condition: Any, what: str) -> None:
    """Wait (at most 20 s) for ``condition()`` to hold."""
    for _ in range(400):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


async def deliver(sessionmaker: Sessions, relay: SmtpServer, now: datetime) -> None:
    """One delivery run in this process, with a 5 s timeout."""
    await deliver_due(
        sessionmaker,
        lambda: SmtpTransport(relay.host, relay.port, timeout=5),
        now,
        base_url="https://relais.paris.test",
        mail_from="relais <relais@ppie-test.fr>",
    )


async def assert_each_sent_once(sessionmaker: Sessions, relay: SmtpServer) -> None:
    """Every queued message arrived exactly once and is recorded as sent."""
    rows = await outbox(sessionmaker)
    assert len(rows) == 2 * REFERRALS
    assert relay.count_by_message_id() == Counter(
        {message_id(row.idempotency_key): 1 for row in rows}
    )
    assert {row.status for row in rows} == {OutboxStatus.SENT}


async def test_delivery_killed_mid_batch_loses_nothing_and_doubles_only_its_accepted_one(
    sessionmaker: Sessions,
    session: AsyncSession,
    world: World,
    relay: SmtpServer,
    database_url: str,
) -> None:
    await make_user(session, world.receiver, SUBMITTED_AT, email=SECOND_MEMBER)
    await submit(sessionmaker, world, REFERRALS)
    # The relay takes the first message, then holds the second (for the second member).
    relay.hang(only=SECOND_MEMBER)
    environment = {
        **os.environ,
        "RELAIS_ENVIRONMENT": "test",
        "RELAIS_SECRET_KEY": SECRET,
        "RELAIS_DATABASE_URL": database_url,
        "RELAIS_SMTP_HOST": relay.host,
        "RELAIS_SMTP_PORT": str(relay.port),
    }
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "relais.cli",
        "deliver",
        "--now",
        SUBMITTED_AT.isoformat(),
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        await until(lambda: len(relay.refused_messages) == 1, "the relay holds a message")
        worker.send_signal(signal.SIGKILL)
        assert await asyncio.wait_for(worker.wait(), 10) == -signal.SIGKILL
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()
    rows = await outbox(sessionmaker)
    # The batch was not yet marked sent: every message of it is in flight, none charged.
    assert {(row.status, row.attempts) for row in rows} == {(OutboxStatus.PENDING, 0)}
    assert len(relay.messages) == 1
    accepted = relay.messages[0].message_id

    relay.accept()
    # Within the lease nothing is taken again; after it, the whole batch goes, once.
    await deliver(sessionmaker, relay, SUBMITTED_AT + timedelta(minutes=1))
    assert len(relay.messages) == 1
    await deliver(sessionmaker, relay, SUBMITTED_AT + timedelta(minutes=6))
    rows = await outbox(sessionmaker)
    assert {row.status for row in rows} == {OutboxStatus.SENT}
    assert relay.count_by_message_id() == Counter(
        {message_id(row.idempotency_key): 1 for row in rows}
    ) + Counter({accepted: 1})


async def test_sweep_connection_terminated_mid_batch_then_every_timer_acts_once(
    sessionmaker: Sessions, world: World, database_url: str
) -> None:
    await submit(sessionmaker, world, REFERRALS * 5)
    policy = SweepPolicy(batch_size=10)
    statements = await _sweep_until_its_connection_is_terminated(database_url, policy)
    assert statements == 20
    async with sessionmaker() as check:
        fired = await check.scalar(
            select(func.count()).select_from(Timer).where(Timer.status == TimerStatus.FIRED)
        )
    # Whole batches were committed before the interruption; the interrupted one left nothing.
    assert fired is not None and fired % policy.batch_size == 0
    assert fired < REFERRALS * 5

    report = await sweep_due(sessionmaker, LIFECYCLES, REMINDED_AT, policy=policy)
    assert len(report.reminders) == REFERRALS * 5 - fired
    async with sessionmaker() as check:
        reminders = list(
            (
                await check.execute(
                    select(Timer.status, Timer.fired_at).where(Timer.kind == TimerKind.REMINDER)
                )
            ).tuples()
        )
        queued = await check.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.message == "reminder")
        )
    assert reminders == [(TimerStatus.FIRED, REMINDED_AT)] * (REFERRALS * 5)
    assert queued == REFERRALS * 5
    # A sweep again acts on nothing.
    again = await sweep_due(sessionmaker, LIFECYCLES, REMINDED_AT, policy=policy)
    assert again.reminders == again.escalations == again.triggers == []


async def _sweep_until_its_connection_is_terminated(database_url: str, policy: SweepPolicy) -> int:
    """A sweep whose connection is terminated at its twentieth round trip, which must fail
    with a database error; the number of round trips it made."""
    admin = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    statements = 0

    class Victim(AsyncSession):
        """The sweep's session: its connection is terminated at its twentieth round trip."""

        async def _step(self) -> None:
            nonlocal statements
            statements += 1
            if statements == 20:
                pid = (await super().execute(text("SELECT pg_backend_pid()"))).scalar_one()
                assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
                for _ in range(500):
                    if not await admin.fetchval(
                        "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid
                    ):
                        break
                    await asyncio.sleep(0.01)

        async def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
            await self._step()
            return await super().execute(statement, *args, **kwargs)

        async def flush(self, objects: Any = None) -> None:
            await self._step()
            await super().flush(objects)

    # The sweep gets its own engine, as a worker process has its own connections.
    victim_engine = create_engine(database_url)
    victims: Sessions = async_sessionmaker(victim_engine, class_=Victim, expire_on_commit=False)
    try:
        with pytest.raises(DBAPIError):
            await sweep_due(victims, LIFECYCLES, REMINDED_AT, policy=policy)
    finally:
        await admin.close()
        await victim_engine.dispose()
    return statements


async def test_relay_restarted_mid_batch_loses_and_doubles_nothing(
    sessionmaker: Sessions, session: AsyncSession, world: World, relay: SmtpServer
) -> None:
    await make_user(session, world.receiver, SUBMITTED_AT, email=SECOND_MEMBER)
    await submit(sessionmaker, world, REFERRALS)
    relay.hang(only=SECOND_MEMBER)
    run = asyncio.create_task(deliver(sessionmaker, relay, SUBMITTED_AT))
    await until(lambda: len(relay.refused_messages) == 1, "the relay holds a message")
    await asyncio.to_thread(relay.stop)
    relay.accept()
    await asyncio.to_thread(relay.start)
    await run
    rows = await outbox(sessionmaker)
    # The first went, the one in flight is charged an attempt, the others were never tried.
    assert [(row.status, row.attempts) for row in rows] == [
        (OutboxStatus.SENT, 1),
        (OutboxStatus.PENDING, 1),
    ] + [(OutboxStatus.PENDING, 0)] * (2 * REFERRALS - 2)
    await deliver(sessionmaker, relay, SUBMITTED_AT + timedelta(minutes=1))
    await assert_each_sent_once(sessionmaker, relay)
