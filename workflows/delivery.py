"""Delivering the outbox: claim due messages in batches, send them, record the outcome.

A message is marked sent only after the transport accepted it. Failures are retried with
exponential backoff and end in the ``dead`` state after the last attempt. Claims are leases
taken with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several deliveries can run at once
without sending a message twice; a run stops handing messages over once half of its lease
has gone by, so that no message is still being sent when another run may claim it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.charset import QP, Charset
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import format_datetime, formataddr, parseaddr

from jinja2 import TemplateError
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import transaction
from core.enums import OutboxStatus
from core.models import OutboxMessage
from core.outbox import OUTBOX
from notifications.render import RenderedEmail, render
from notifications.transport import MailTransport, OutgoingEmail, TransportError

# Each message's and each batch's own statements, built once.
LEASE = (
    update(OUTBOX)
    .where(OUTBOX.c.id.in_(bindparam("leased", expanding=True)))
    .values(next_attempt_at=bindparam("until"))
)
MARK_SENT = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("sent_id"), OUTBOX.c.status == OutboxStatus.PENDING)
    .values(
        status=OutboxStatus.SENT,
        sent_at=bindparam("at"),
        attempts=bindparam("tries"),
        last_error=None,
    )
)

UTF8 = Charset("utf-8")
UTF8.body_encoding = QP  # French text stays readable in the raw message
UTF8.header_encoding = QP


@dataclass(frozen=True)
class DeliveryPolicy:
    """How delivery batches, leases and retries."""

    batch_size: int = 100
    max_batches: int = 50
    max_attempts: int = 8
    first_retry: timedelta = timedelta(minutes=1)
    longest_retry: timedelta = timedelta(hours=6)
    lease: timedelta = timedelta(minutes=5)
    # Seconds elapsed, to keep a run within its lease (time.monotonic; a test may step it).
    stopwatch: Callable[[], float] = time.monotonic

    def within_lease(self, started: float) -> bool:
        """Whether a run that started at ``started`` (stopwatch seconds) may send one more.

        Half the lease is the margin: the last message handed over is recorded well before
        another run may claim what this one holds.
        """
        return self.stopwatch() - started < self.lease.total_seconds() / 2

    def retry_delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failure: 1, 2, 4, 8... minutes, capped."""
        delay: timedelta = self.first_retry * 2 ** max(attempts - 1, 0)
        return min(delay, self.longest_retry)


@dataclass
class DeliveryReport:
    """What one delivery run did, for the command line and the flows' logs."""

    sent: list[str] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line in French."""
        return (
            f"{len(self.sent)} envoyé(s), {len(self.retried)} à réessayer, "
            f"{len(self.dead)} abandonné(s)"
        )


@dataclass(frozen=True)
class Envelope:
    """A claimed message, detached from its session."""

    id: int
    key: str
    message: str
    recipient: str
    attempts: int
    context: dict[str, object]


def message_id(key: str) -> str:
    """The Message-ID of the email queued under ``key``: the same on every attempt."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@relais>"


def build_email(
    envelope: Envelope, rendered: RenderedEmail, mail_from: str, now: datetime
) -> OutgoingEmail:
    """The MIME message, text with an HTML alternative and a Message-ID stable across retries.

    Built with the ``email.mime`` classes and serialised once, as Django does: the same
    message on the wire as ``EmailMessage`` would send, for a third of its cost.
    """
    email = MIMEMultipart("alternative")
    name, address = parseaddr(mail_from)
    email["From"] = formataddr((name, address), charset=UTF8)
    email["To"] = envelope.recipient
    email["Subject"] = Header(rendered.subject, UTF8, header_name="Subject").encode()
    email["Date"] = format_datetime(now)
    email["Message-ID"] = message_id(envelope.key)
    email["Auto-Submitted"] = "auto-generated"
    email.attach(_text_part(rendered.text, "plain"))
    email.attach(_text_part(rendered.html, "html"))
    return OutgoingEmail(address, envelope.recipient, email.as_bytes())


def _text_part(body: str, subtype: str) -> MIMENonMultipart:
    part = MIMENonMultipart("text", subtype)
    part.set_payload(body, UTF8)
    return part


async def claim_due(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime, policy: DeliveryPolicy
) -> list[Envelope]:
    """Lease up to a batch of due messages to this run and return them."""
    async with sessionmaker() as session, transaction(session):
        rows = (
            (
                await session.execute(
                    select(OutboxMessage)
                    .where(
                        OutboxMessage.status == OutboxStatus.PENDING,
                        OutboxMessage.next_attempt_at <= now,
                    )
                    .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                    .limit(policy.batch_size)
                    .with_for_update(skip_locked=True)
                )
            )
            .scalars()
            .all()
        )
        if rows:
            await session.execute(
                LEASE, {"leased": [row.id for row in rows], "until": now + policy.lease}
            )
        envelopes = [
            Envelope(
                row.id,
                row.idempotency_key,
                row.message,
                row.recipient_email,
                row.attempts,
                dict(row.context),
            )
            for row in rows
        ]
    return envelopes


async def _mark_sent(session: AsyncSession, envelope: Envelope, now: datetime) -> None:
    async with transaction(session):
        await session.execute(
            MARK_SENT, {"sent_id": envelope.id, "at": now, "tries": envelope.attempts + 1}
        )


async def _mark_failed(
    session: AsyncSession,
    envelope: Envelope,
    error: str,
    now: datetime,
    policy: DeliveryPolicy,
) -> bool:
    attempts = envelope.attempts + 1
    dead = attempts >= policy.max_attempts
    async with transaction(session):
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == envelope.id, OutboxMessage.status == OutboxStatus.PENDING)
            .values(
                status=OutboxStatus.DEAD if dead else OutboxStatus.PENDING,
                attempts=attempts,
                last_error=error[:2000],
                next_attempt_at=now + policy.retry_delay(attempts),
            )
        )
    return dead


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    transport: Callable[[], MailTransport],
    now: datetime,
    *,
    base_url: str,
    mail_from: str,
    policy: DeliveryPolicy | None = None,
) -> DeliveryReport:
    """Send every message due at ``now``, batch after batch, one connection per batch."""
    policy = policy or DeliveryPolicy()
    report = DeliveryReport()
    # Every batch's lease ends ``policy.lease`` after ``now``: the run stops within it.
    started = policy.stopwatch()
    for _ in range(policy.max_batches):
        if not policy.within_lease(started):
            break
        batch = await claim_due(sessionmaker, now, policy)
        if not batch:
            break
        async with sessionmaker() as session:
            await _send_batch(
                session, transport(), batch, now, base_url, mail_from, policy, report, started
            )
        if len(batch) < policy.batch_size:
            break
    return report


async def _send_batch(
    session: AsyncSession,
    transport: MailTransport,
    batch: list[Envelope],
    now: datetime,
    base_url: str,
    mail_from: str,
    policy: DeliveryPolicy,
    report: DeliveryReport,
    started: float,
) -> None:
    pending = list(batch)
    untried_because = "connexion SMTP perdue avant l'envoi"

    async def fail(envelope: Envelope, error: str) -> None:
        dead = await _mark_failed(session, envelope, error, now, policy)
        (report.dead if dead else report.retried).append(envelope.key)

    try:
        async with transport as channel:
            while pending:
                if not policy.within_lease(started):
                    untried_because = "envoi reporté : le lot a duré plus que la moitié du bail"
                    break
                envelope = pending.pop(0)
                try:
                    rendered = render(envelope.message, envelope.context, base_url)
                except (TemplateError, KeyError) as error:
                    # A template bug must not lose the message: it waits, then goes dead
                    # where a coordinator sees it and can send it again once fixed.
                    await fail(envelope, f"rendu impossible : {error!r}")
                    continue
                try:
                    await channel.send(build_email(envelope, rendered, mail_from, now))
                except TransportError as error:
                    await fail(envelope, str(error))
                    if error.connection_lost:
                        break
                    continue
                await _mark_sent(session, envelope, now)
                report.sent.append(envelope.key)
    except TransportError as error:
        # The connection could not be opened: each message of the batch counts it an attempt.
        for envelope in pending:
            await fail(envelope, str(error))
        return
    # The connection was lost mid-batch, or the run reached half its lease: the messages
    # not handed over wait for the next run without being charged an attempt.
    await _release(session, pending, untried_because, now, policy, report)


async def _release(
    session: AsyncSession,
    untried: list[Envelope],
    error: str,
    now: datetime,
    policy: DeliveryPolicy,
    report: DeliveryReport,
) -> None:
    """Give back claimed messages that were never handed over, without charging an attempt.

    A relay that times out on one message must not exhaust the attempts of the messages
    queued behind it, which it never saw.
    """
    if not untried:
        return
    async with transaction(session):
        await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_([envelope.id for envelope in untried]),
                OutboxMessage.status == OutboxStatus.PENDING,
            )
            .values(last_error=error[:2000], next_attempt_at=now + policy.first_retry)
        )
    report.retried.extend(envelope.key for envelope in untried)
