"""Delivering the outbox when the SMTP relay fails: retries, backoff, lease and dead letters.

Messages are queued by real transitions: each submitted referral tells the two members of the
receiving organisation. The SMTP server (aiosmtpd on loopback) is then down, refuses with 4xx
or 5xx, or hangs past the client's 1 s timeout; delivery runs at the times the backoff names
(1 then 2 minutes, three attempts at most) and each message is either delivered exactly once
when the server returns, or dead after the last attempt. Nothing is lost, nothing is sent
twice. Delivery when the relay works, and the email itself: ``test_delivery.py``.

Times: the clock starts on Monday 2 March 2026 at 09:00 in Paris, 08:00 UTC.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest

from core.enums import OutboxStatus
from core.models import OutboxMessage
from core.settings import Settings
from tests.factories import World
from tests.notifications.delivery_helpers import (
    AFTER_THIRD,
    FIRST,
    POLICY,
    RECEIVERS,
    SECOND,
    THIRD,
    Sessions,
    deliver,
    message_id,
    nothing_done,
    outbox,
    submit,
)
from tests.notifications.smtp_server import SmtpServer


@dataclass(frozen=True)
class Fault:
    """A way for the relay to fail, and what relais records of it."""

    apply: Callable[[SmtpServer], None]
    first_error: str
    other_error: str
    refused_at_data: int


FAULTS = {
    "server down": Fault(
        SmtpServer.stop, "connexion SMTP impossible", "connexion SMTP impossible", 0
    ),
    "451 at RCPT": Fault(
        lambda server: server.refuse(451), "destinataire refusé", "SMTPRecipientRefused(451", 0
    ),
    "451 at DATA": Fault(
        lambda server: server.refuse(451, stage="DATA"), "refus SMTP 451", "refus SMTP 451", 6
    ),
    "550 at RCPT": Fault(
        lambda server: server.refuse(550), "destinataire refusé", "SMTPRecipientRefused(550", 0
    ),
    "554 at DATA": Fault(
        lambda server: server.refuse(554, stage="DATA"), "refus SMTP 554", "refus SMTP 554", 6
    ),
}


def recover(server: SmtpServer) -> None:
    """The relay is back and accepts everything."""
    if not server.running:
        server.start()
    server.accept()


async def fail_twice(
    sessionmaker: Sessions, settings: Settings, server: SmtpServer, fault: Fault
) -> list[OutboxMessage]:
    """Attempts 1 and 2 under ``fault``, checked against the backoff; the rows after them."""
    fault.apply(server)
    for attempt, (now, retry_at) in enumerate(((FIRST, SECOND), (SECOND, THIRD)), start=1):
        report = await deliver(sessionmaker, settings, now)
        rows = await outbox(sessionmaker)
        assert report.sent == report.dead == []
        assert sorted(report.retried) == sorted(row.idempotency_key for row in rows)
        assert [(row.status, row.attempts, row.next_attempt_at) for row in rows] == [
            (OutboxStatus.PENDING, attempt, retry_at)
        ] * 6
        assert fault.first_error in (rows[0].last_error or "")
        assert all(fault.other_error in (row.last_error or "") for row in rows[1:])
        assert rows[0].sent_at is None
        assert server.messages == []
        # Before the next attempt is due, a run leaves every message alone.
        assert nothing_done(await deliver(sessionmaker, settings, retry_at - timedelta(seconds=1)))
    return rows


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
async def test_retried_messages_are_delivered_exactly_once_when_the_server_returns(
    sessionmaker: Sessions,
    receiving_world: World,
    smtp_server: SmtpServer,
    smtp_settings: Settings,
    fault: Fault,
) -> None:
    await submit(sessionmaker, receiving_world, 3, FIRST)
    rows = await fail_twice(sessionmaker, smtp_settings, smtp_server, fault)
    keys = [row.idempotency_key for row in rows]

    recover(smtp_server)
    sessions_before = smtp_server.sessions
    report = await deliver(sessionmaker, smtp_settings, THIRD)

    assert sorted(report.sent) == sorted(keys)
    assert report.retried == report.dead == []
    assert smtp_server.sessions == sessions_before + 1
    assert smtp_server.count_by_message_id() == Counter({message_id(key): 1 for key in keys})
    assert smtp_server.count_by_recipient() == Counter({RECEIVERS[0]: 3, RECEIVERS[1]: 3})
    rows = await outbox(sessionmaker)
    assert [(row.status, row.attempts, row.sent_at, row.last_error) for row in rows] == [
        (OutboxStatus.SENT, 3, THIRD, None)
    ] * 6
    # What the server refused at DATA (twice) had the Message-ID it finally accepted once.
    refused = Counter(received.message_id for received in smtp_server.refused_messages)
    assert refused == Counter({message_id(key): 2 for key in keys[: fault.refused_at_data]})

    # Running again, now or later, sends nothing more.
    assert nothing_done(await deliver(sessionmaker, smtp_settings, THIRD))
    assert nothing_done(await deliver(sessionmaker, smtp_settings, THIRD + timedelta(days=1)))
    assert len(smtp_server.messages) == 6
    assert smtp_server.sessions == sessions_before + 1


async def test_a_timeout_charges_only_the_message_in_flight(
    sessionmaker: Sessions,
    receiving_world: World,
    smtp_server: SmtpServer,
    smtp_settings: Settings,
) -> None:
    # The first message waits for a DATA answer that never comes in time; aiosmtplib then
    # drops the connection. The five behind it were never tried: they wait, uncharged.
    await submit(sessionmaker, receiving_world, 3, FIRST)
    smtp_server.hang(stage="DATA")
    for attempt, now in enumerate((FIRST, SECOND), start=1):
        report = await deliver(sessionmaker, smtp_settings, now)
        rows = await outbox(sessionmaker)
        assert report.sent == report.dead == []
        assert len(report.retried) == 6
        assert (rows[0].attempts, rows[0].next_attempt_at) == (
            attempt,
            now + POLICY.retry_delay(attempt),
        )
        assert "Timed out waiting for server response" in (rows[0].last_error or "")
        assert [(row.status, row.attempts, row.next_attempt_at) for row in rows[1:]] == [
            (OutboxStatus.PENDING, 0, now + POLICY.first_retry)
        ] * 5
        assert all("connexion SMTP perdue" in (row.last_error or "") for row in rows[1:])
    assert smtp_server.messages == []

    recover(smtp_server)
    report = await deliver(sessionmaker, smtp_settings, THIRD + timedelta(minutes=1))
    assert len(report.sent) == 6
    keys = [row.idempotency_key for row in rows]
    assert smtp_server.count_by_message_id() == Counter({message_id(key): 1 for key in keys})
    assert [row.attempts for row in await outbox(sessionmaker)] == [3, 1, 1, 1, 1, 1]


class SteppingStopwatch:
    """A stopwatch that moves one second each time it is read."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        self.seconds += 1
        return self.seconds


async def test_a_run_stops_sending_at_half_its_lease_and_the_next_run_sends_the_rest(
    sessionmaker: Sessions,
    receiving_world: World,
    smtp_server: SmtpServer,
    smtp_settings: Settings,
) -> None:
    # A slow relay: every message takes a second and the lease is ten seconds. Past five
    # seconds another run could soon claim what this one holds, so it hands nothing more
    # over and gives the rest back, uncharged, instead of racing a second sender.
    await submit(sessionmaker, receiving_world, 3, FIRST)
    slow = dataclasses.replace(POLICY, lease=timedelta(seconds=10), stopwatch=SteppingStopwatch())
    report = await deliver(sessionmaker, smtp_settings, FIRST, slow)

    rows = await outbox(sessionmaker)
    keys = [row.idempotency_key for row in rows]
    assert report.sent == keys[:3]
    assert report.retried == keys[3:]
    assert [(row.status, row.attempts) for row in rows] == [(OutboxStatus.SENT, 1)] * 3 + [
        (OutboxStatus.PENDING, 0)
    ] * 3
    assert all("moitié du bail" in (row.last_error or "") for row in rows[3:])
    assert smtp_server.count_by_message_id() == Counter({message_id(key): 1 for key in keys[:3]})

    report = await deliver(sessionmaker, smtp_settings, SECOND)
    assert report.sent == keys[3:]
    assert smtp_server.count_by_message_id() == Counter({message_id(key): 1 for key in keys})


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
async def test_messages_are_dead_after_the_last_failed_attempt(
    sessionmaker: Sessions,
    receiving_world: World,
    smtp_server: SmtpServer,
    smtp_settings: Settings,
    fault: Fault,
) -> None:
    await submit(sessionmaker, receiving_world, 3, FIRST)
    keys = [
        row.idempotency_key
        for row in await fail_twice(sessionmaker, smtp_settings, smtp_server, fault)
    ]

    report = await deliver(sessionmaker, smtp_settings, THIRD)

    assert sorted(report.dead) == sorted(keys)
    assert report.sent == report.retried == []
    rows = await outbox(sessionmaker)
    assert [(row.status, row.attempts, row.next_attempt_at, row.sent_at) for row in rows] == [
        (OutboxStatus.DEAD, 3, AFTER_THIRD, None)
    ] * 6
    assert fault.first_error in (rows[0].last_error or "")
    # A dead message stays dead (and listed) even once the relay works again.
    recover(smtp_server)
    assert nothing_done(await deliver(sessionmaker, smtp_settings, THIRD + timedelta(days=1)))
    assert smtp_server.messages == []


async def test_a_refused_recipient_holds_back_no_one_and_nothing_is_sent_twice(
    sessionmaker: Sessions,
    receiving_world: World,
    smtp_server: SmtpServer,
    smtp_settings: Settings,
) -> None:
    await submit(sessionmaker, receiving_world, 3, FIRST)
    smtp_server.refuse(452, only=RECEIVERS[1])

    first = await deliver(sessionmaker, smtp_settings, FIRST)
    smtp_server.accept()
    second = await deliver(sessionmaker, smtp_settings, SECOND)

    rows = await outbox(sessionmaker)
    by_recipient = {
        address: [
            (row.status, row.attempts, row.sent_at)
            for row in rows
            if row.recipient_email == address
        ]
        for address in RECEIVERS
    }
    assert by_recipient == {
        RECEIVERS[0]: [(OutboxStatus.SENT, 1, FIRST)] * 3,
        RECEIVERS[1]: [(OutboxStatus.SENT, 2, SECOND)] * 3,
    }
    assert (len(first.sent), len(first.retried), len(second.sent), len(second.retried)) == (
        3, 3, 3, 0,
    )  # fmt: skip
    assert smtp_server.count_by_message_id() == Counter(
        {message_id(row.idempotency_key): 1 for row in rows}
    )
    assert smtp_server.sessions == 2
