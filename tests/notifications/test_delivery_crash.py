"""A delivery that dies mid-run resends at most the messages in flight and loses none.

Delivery records what the relay accepted once per batch, in one statement. Between a
message's acceptance and that statement, the message is in flight: claimed under a lease and
not marked sent. A run that dies (its task cancelled, or killed at a chosen instant by the
relay's transport) must leave every message either sent or pending; the next run after the
lease sends the pending ones, so that only those in flight at the death arrive twice.

The relay is the real aiosmtpd server of ``smtp_server``; each message is counted there by
its Message-ID. The death is injected by a transport wrapping relais' SMTP transport.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from types import TracebackType
from typing import Self

import pytest

from core.enums import OutboxStatus
from core.settings import Settings
from notifications.transport import OutgoingEmail, SmtpTransport, transport_factory
from tests.factories import World
from tests.notifications.delivery_helpers import (
    FIRST,
    MAIL_FROM,
    Sessions,
    message_id,
    outbox,
    submit,
)
from tests.notifications.smtp_server import SmtpServer
from workflows.delivery import DeliveryPolicy, deliver_due

POLICY = DeliveryPolicy(batch_size=6, lease=timedelta(minutes=5))
LEASE_ENDS = FIRST + POLICY.lease
MESSAGES = 6  # three referrals, two receiving members each


class Killed(BaseException):
    """The process dies: nothing in relais catches it, as nothing survives a SIGKILL."""


class DyingTransport:
    """relais' SMTP transport, dying at a chosen instant of a chosen batch (1, 2...)."""

    def __init__(self, relay: SmtpServer, batch: int, at: str, hang_after: int = -1) -> None:
        self._inner = SmtpTransport(relay.host, relay.port, timeout=5)
        self._batch = batch
        self._at = at
        self._hang_after = hang_after
        self.stuck = asyncio.Event()
        self.sent = 0

    def __call__(self) -> Self:
        """The factory delivery calls once per batch."""
        self._batch -= 1
        return self

    async def __aenter__(self) -> Self:
        await self._inner.__aenter__()
        if self._batch == 0 and self._at == "connect":
            raise Killed
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self._inner.__aexit__(kind, error, trace)
        if self._batch == 0 and self._at == "disconnect" and kind is None:
            raise Killed

    async def send(self, email: OutgoingEmail) -> None:
        """Send, or hang for ever once ``hang_after`` messages were accepted."""
        if self.sent == self._hang_after:
            self.stuck.set()
            await asyncio.Event().wait()
        await self._inner.send(email)
        self.sent += 1


async def run(sessionmaker: Sessions, transport: DyingTransport) -> None:
    """One delivery at ``FIRST`` through ``transport``."""
    await deliver_due(
        sessionmaker,
        transport,
        FIRST,
        base_url="https://relais.paris.test",
        mail_from=MAIL_FROM,
        policy=POLICY,
    )


async def in_flight_after_the_death(sessionmaker: Sessions) -> set[str]:
    """The keys of the messages claimed and not marked sent, each checked uncharged."""
    rows = await outbox(sessionmaker)
    assert len(rows) == MESSAGES
    assert {row.status for row in rows} <= {OutboxStatus.SENT, OutboxStatus.PENDING}
    pending = [row for row in rows if row.status == OutboxStatus.PENDING]
    assert all((row.attempts, row.next_attempt_at) == (0, LEASE_ENDS) for row in pending)
    return {row.idempotency_key for row in pending}


async def resend_and_count(
    sessionmaker: Sessions, settings: Settings, relay: SmtpServer
) -> Counter[str]:
    """Within the lease nothing goes; at its end the rest goes. Every message is sent and
    arrived at least once; how many times each arrived, by key."""
    before = relay.count_by_message_id()
    for now in (LEASE_ENDS - timedelta(seconds=1), LEASE_ENDS):
        await deliver_due(
            sessionmaker,
            transport_factory(settings),
            now,
            base_url=settings.base_url,
            mail_from=MAIL_FROM,
            policy=POLICY,
        )
        if now < LEASE_ENDS:
            assert relay.count_by_message_id() == before
    rows = await outbox(sessionmaker)
    assert {row.status for row in rows} == {OutboxStatus.SENT}
    received = relay.count_by_message_id()
    counts = Counter(
        {row.idempotency_key: received[message_id(row.idempotency_key)] for row in rows}
    )
    assert min(counts.values()) >= 1  # none lost
    assert sum(received.values()) == sum(counts.values())  # nothing foreign
    return counts


@pytest.mark.parametrize("accepted", [0, 1, 5])
async def test_a_run_cancelled_mid_batch_resends_only_what_the_relay_had_accepted(
    sessionmaker: Sessions,
    receiving_world: World,
    smtp_server: SmtpServer,
    smtp_settings: Settings,
    accepted: int,
) -> None:
    await submit(sessionmaker, receiving_world, MESSAGES // 2, FIRST)
    transport = DyingTransport(smtp_server, batch=1, at="never", hang_after=accepted)
    delivery = asyncio.create_task(run(sessionmaker, transport))
    await asyncio.wait_for(transport.stuck.wait(), 10)
    delivery.cancel()
    with pytest.raises(asyncio.CancelledError):
        await delivery

    before_the_death = smtp_server.count_by_message_id()
    assert sum(before_the_death.values()) == accepted
    in_flight = await in_flight_after_the_death(sessionmaker)
    assert len(in_flight) == MESSAGES  # the whole batch, none marked yet
    counts = await resend_and_count(sessionmaker, smtp_settings, smtp_server)
    # Those the relay had accepted arrive twice, the others once.
    assert counts == Counter(
        {key: 2 if message_id(key) in before_the_death else 1 for key in in_flight}
    )


async def test_killed_just_before_the_batch_is_marked_sent_resends_that_batch_once(
    sessionmaker: Sessions,
    receiving_world: World,
    smtp_server: SmtpServer,
    smtp_settings: Settings,
) -> None:
    await submit(sessionmaker, receiving_world, MESSAGES // 2, FIRST)
    with pytest.raises(Killed):
        await run(sessionmaker, DyingTransport(smtp_server, batch=1, at="disconnect"))

    assert len(smtp_server.messages) == MESSAGES
    in_flight = await in_flight_after_the_death(sessionmaker)
    assert len(in_flight) == POLICY.batch_size
    counts = await resend_and_count(sessionmaker, smtp_settings, smtp_server)
    assert counts == Counter(dict.fromkeys(in_flight, 2))


async def test_killed_just_after_a_batch_is_marked_sent_resends_nothing(
    sessionmaker: Sessions,
    receiving_world: World,
    smtp_server: SmtpServer,
    smtp_settings: Settings,
) -> None:
    await submit(sessionmaker, receiving_world, MESSAGES // 2, FIRST)
    two_batches = DeliveryPolicy(batch_size=MESSAGES // 2, lease=POLICY.lease)
    transport = DyingTransport(smtp_server, batch=2, at="connect")
    with pytest.raises(Killed):
        await deliver_due(
            sessionmaker,
            transport,
            FIRST,
            base_url="https://relais.paris.test",
            mail_from=MAIL_FROM,
            policy=two_batches,
        )

    assert len(smtp_server.messages) == MESSAGES // 2
    in_flight = await in_flight_after_the_death(sessionmaker)
    assert len(in_flight) == MESSAGES // 2  # the second batch, claimed and never sent
    counts = await resend_and_count(sessionmaker, smtp_settings, smtp_server)
    assert counts == Counter(dict.fromkeys(counts, 1))
