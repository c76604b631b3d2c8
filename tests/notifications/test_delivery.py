"""Delivering the outbox over a real SMTP server (aiosmtpd on loopback) and into a Maildir.

Messages are queued by real transitions: each submitted referral tells the two members of the
receiving organisation. The SMTP server is then down, refuses with 4xx or 5xx, or hangs past
the client's 1 s timeout; delivery runs at the times the backoff names (1 then 2 minutes,
three attempts at most) and each message is either delivered exactly once when the server
returns, or dead after the last attempt. Nothing is lost, nothing is sent twice.

Times: the clock starts on Monday 2 March 2026 at 09:00 in Paris, 08:00 UTC.
"""

from __future__ import annotations

import dataclasses
import hashlib
import mailbox
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.enums import OutboxStatus
from core.models import OutboxMessage
from core.settings import Settings
from notifications.render import RenderedEmail
from notifications.transport import transport_factory
from services.referral_service import create_referral
from tests.factories import SECRET, World, actor_of, make_user, referral_create
from tests.notifications.smtp_server import SmtpServer
from workflows.delivery import (
    DeliveryPolicy,
    DeliveryReport,
    Envelope,
    build_email,
    deliver_due,
)

Sessions = async_sessionmaker[AsyncSession]

POLICY = DeliveryPolicy(max_attempts=3, first_retry=timedelta(minutes=1))
FIRST = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SECOND = datetime(2026, 3, 2, 8, 1, tzinfo=UTC)  # FIRST + 1 minute
THIRD = datetime(2026, 3, 2, 8, 3, tzinfo=UTC)  # SECOND + 2 minutes
AFTER_THIRD = datetime(2026, 3, 2, 8, 7, tzinfo=UTC)  # THIRD + 4 minutes
RECEIVERS = ("accueil@epi-test.fr", "orientation@epi-test.fr")
MAIL_FROM = "Relais PPIE <relais@ppie-test.fr>"


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


@pytest.fixture
async def smtp_settings(database_url: str, smtp_server: SmtpServer) -> Settings:
    """Settings pointing relais at the test relay with a 1 s timeout."""
    return Settings(
        environment="test",
        secret_key=SECRET,
        database_url=database_url,
        base_url="https://relais.paris.test",
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        smtp_timeout_seconds=1,
        mail_from=MAIL_FROM,
    )


@pytest.fixture
async def receiving_world(world: World, session: AsyncSession) -> World:
    """The usual world with a second member on the receiving side: two emails per referral."""
    await make_user(session, world.receiver, world.offer.created_at, email=RECEIVERS[1])
    return world


async def submit(sessionmaker: Sessions, world: World, count: int, now: datetime) -> list[str]:
    """``count`` referrals created and submitted at ``now``; their references."""
    references = []
    for _ in range(count):
        async with sessionmaker() as session:
            view = await create_referral(
                session, actor_of(world.referrer), referral_create(world.offer), now
            )
            references.append(view.case.reference)
    return references


async def outbox(sessionmaker: Sessions) -> list[OutboxMessage]:
    """Every outbox row, in id order."""
    async with sessionmaker() as session:
        return list(
            (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        )


async def deliver(
    sessionmaker: Sessions, settings: Settings, now: datetime, policy: DeliveryPolicy = POLICY
) -> DeliveryReport:
    """One delivery run as the flow does it, with ``settings``' transport."""
    return await deliver_due(
        sessionmaker,
        transport_factory(settings),
        now,
        base_url=settings.base_url,
        mail_from=settings.mail_from,
        policy=policy,
    )


def message_id(key: str) -> str:
    """The Message-ID relais derives from an idempotency key."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@relais>"


def nothing_done(report: DeliveryReport) -> bool:
    return report.sent == report.retried == report.dead == []


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


async def test_one_connection_per_batch(
    sessionmaker: Sessions,
    receiving_world: World,
    smtp_server: SmtpServer,
    smtp_settings: Settings,
) -> None:
    await submit(sessionmaker, receiving_world, 3, FIRST)
    report = await deliver(sessionmaker, smtp_settings, FIRST, DeliveryPolicy(batch_size=4))
    await submit(sessionmaker, receiving_world, 2, SECOND)
    later = await deliver(sessionmaker, smtp_settings, SECOND, DeliveryPolicy(batch_size=100))

    assert (len(report.sent), len(later.sent)) == (6, 4)
    assert smtp_server.sessions == 3
    assert Counter(received.session for received in smtp_server.messages) == Counter(
        {1: 4, 2: 2, 3: 4}
    )


async def test_the_email_is_french_text_with_an_html_alternative(
    sessionmaker: Sessions,
    world: World,
    smtp_server: SmtpServer,
    smtp_settings: Settings,
) -> None:
    [reference] = await submit(sessionmaker, world, 1, FIRST)
    await deliver(sessionmaker, smtp_settings, FIRST)

    [row] = await outbox(sessionmaker)
    [received] = smtp_server.messages
    email = received.email
    assert reference == "OR-2026-000001"
    assert received.mail_from == "relais@ppie-test.fr"
    assert received.recipients == ("accueil@epi-test.fr",)
    assert email["From"] == MAIL_FROM
    assert email["To"] == "accueil@epi-test.fr"
    assert email["Subject"] == "Orientation OR-2026-000001 reçue pour « Accompagnement en EPI »"
    assert email["Message-ID"] == message_id(row.idempotency_key)
    assert email["Auto-Submitted"] == "auto-generated"
    assert email.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in email.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    text = email.get_body(preferencelist=("plain",))
    html = email.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    link = f"https://relais.paris.test/referrals/{row.case_id}"
    assert link in text.get_content()
    assert f'href="{link}"' in html.get_content()
    assert "OR-2026-000001" in text.get_content()


def test_the_built_message_keeps_every_accent_and_line_of_the_rendered_email() -> None:
    rendered = RenderedEmail(
        subject="Orientation OR-2026-000042 retournée : « Accompagnement à l'emploi » — "
        "pièces manquantes pour l'équipe d'accueil",
        text="Bonjour,\n\nL'orientation a été retournée.\n.\nUne ligne qui commence par un point.",
        html="<p>Bonjour, l'orientation a été <strong>retournée</strong>.</p>",
    )
    envelope = Envelope(
        7, "event:1:referral.returned:abc", "referral.returned", RECEIVERS[0], 0, {}
    )
    built = build_email(envelope, rendered, "Équipe Relais <relais@ppie-test.fr>", FIRST)

    assert (built.sender, built.recipient) == ("relais@ppie-test.fr", RECEIVERS[0])
    assert built.content.isascii()  # every accent travels encoded, whatever the relay
    email = message_from_bytes(built.content, policy=policy.default)
    assert email["Subject"] == rendered.subject
    assert email["From"] == "Équipe Relais <relais@ppie-test.fr>"
    assert email["Message-ID"] == message_id(envelope.key)
    assert email["Date"] == "Mon, 02 Mar 2026 08:00:00 +0000"
    text = email.get_body(preferencelist=("plain",))
    html = email.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert text.get_content() == rendered.text
    assert html.get_content() == rendered.html


async def test_without_a_relay_messages_land_in_a_readable_maildir(
    sessionmaker: Sessions, receiving_world: World, database_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        environment="test", secret_key=SECRET, database_url=database_url, var_dir=str(tmp_path)
    )
    await submit(sessionmaker, receiving_world, 2, FIRST)

    report = await deliver(sessionmaker, settings, FIRST)
    again = await deliver(sessionmaker, settings, FIRST + timedelta(hours=1))

    rows = await outbox(sessionmaker)
    box = mailbox.Maildir(tmp_path / "mail", create=False)
    emails = [
        message_from_bytes(box.get_bytes(key), policy=policy.default) for key in box.iterkeys()
    ]
    box.close()
    assert (len(report.sent), len(again.sent)) == (4, 0)
    assert [row.status for row in rows] == [OutboxStatus.SENT] * 4
    assert sorted(str(email["Message-ID"]) for email in emails) == sorted(
        message_id(row.idempotency_key) for row in rows
    )
    assert sorted(str(email["To"]) for email in emails) == sorted(RECEIVERS * 2)
    assert sorted(str(email["Subject"]) for email in emails) == [
        "Orientation OR-2026-000001 reçue pour « Accompagnement en EPI »",
        "Orientation OR-2026-000001 reçue pour « Accompagnement en EPI »",
        "Orientation OR-2026-000002 reçue pour « Accompagnement en EPI »",
        "Orientation OR-2026-000002 reçue pour « Accompagnement en EPI »",
    ]
    assert [email.get_content_type() for email in emails] == ["multipart/alternative"] * 4


async def test_a_mail_folder_that_cannot_be_created_is_retried_then_delivered(
    sessionmaker: Sessions, world: World, database_url: str, tmp_path: Path
) -> None:
    blocker = tmp_path / "var"
    blocker.write_text("a file where the var folder should be")
    settings = Settings(
        environment="test", secret_key=SECRET, database_url=database_url, var_dir=str(blocker)
    )
    await submit(sessionmaker, world, 1, FIRST)

    failed = await deliver(sessionmaker, settings, FIRST)
    [row] = await outbox(sessionmaker)
    assert (failed.sent, len(failed.retried)) == ([], 1)
    assert (row.status, row.attempts, row.next_attempt_at) == (OutboxStatus.PENDING, 1, SECOND)
    assert (row.last_error or "").startswith(f"écriture impossible dans {blocker / 'mail'}")

    blocker.unlink()
    delivered = await deliver(sessionmaker, settings, SECOND)
    [row] = await outbox(sessionmaker)
    assert (len(delivered.sent), row.status, row.attempts) == (1, OutboxStatus.SENT, 2)
    box = mailbox.Maildir(blocker / "mail", create=False)
    assert len(box) == 1
    box.close()
