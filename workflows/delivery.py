"""Delivering the outbox: claim due messages in batches, send them, record the outcome.

A message is marked sent only after the transport accepted it. Failures are retried with
exponential backoff and end in the ``dead`` state after the last attempt. Claims are leases
taken with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several deliveries can run at once
without sending a message twice; a run stops handing messages over once half of its lease
has gone by, so that no message is still being sent when another run may claim it.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime

from jinja2 import TemplateError
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import transaction
from core.enums import OutboxStatus
from core.models import OutboxMessage
from core.outbox import OUTBOX
from notifications.mime import alternative, encoded_header, sender
from notifications.render import RenderedEmail, render
from notifications.transport import MailTransport, OutgoingEmail, TransportError

EVERY_ID = 2**63 - 1
"""The largest id an outbox message may have (a 64-bit key): no bound on what is delivered."""

# Each batch's own statements, built once; plain rows, not ORM objects (a profile showed
# the identity map's loading costing as much as the query).
CLAIM = (
    select(
        OUTBOX.c.id,
        OUTBOX.c.idempotency_key,
        OUTBOX.c.message,
        OUTBOX.c.recipient_email,
        OUTBOX.c.attempts,
        OUTBOX.c.context,
    )
    .where(
        OUTBOX.c.status == OutboxStatus.PENDING,
        OUTBOX.c.next_attempt_at <= bindparam("due"),
        OUTBOX.c.id <= bindparam("last_id"),
    )
    .order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id)
    .limit(bindparam("size"))
    .with_for_update(skip_locked=True)
)
LEASE = (
    update(OUTBOX)
    .where(OUTBOX.c.id.in_(bindparam("leased", expanding=True)))
    .values(next_attempt_at=bindparam("until"))
)
MARK_SENT = (
    update(OUTBOX)
    .where(
        OUTBOX.c.id.in_(bindparam("sent_ids", expanding=True)),
        OUTBOX.c.status == OutboxStatus.PENDING,
    )
    .values(
        status=OutboxStatus.SENT,
        sent_at=bindparam("at"),
        attempts=OUTBOX.c.attempts + 1,
        last_error=None,
    )
)


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
    """The MIME message, text with an HTML alternative and a Message-ID stable across retries."""
    header, address = sender(mail_from)
    headers = [
        ("From", header),
        ("To", envelope.recipient),
        ("Subject", encoded_header(rendered.subject)),
        ("Date", format_datetime(now)),
        ("Message-ID", message_id(envelope.key)),
        ("Auto-Submitted", "auto-generated"),
    ]
    return OutgoingEmail(
        address, envelope.recipient, alternative(headers, rendered.text, rendered.html)
    )


async def claim_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    now: datetime,
    policy: DeliveryPolicy,
    last_id: int = EVERY_ID,
) -> list[Envelope]:
    """Lease up to a batch of due messages to this run, among those queued up to
    ``last_id``, and return them."""
    async with sessionmaker() as session, transaction(session):
        values = {"due": now, "size": policy.batch_size, "last_id": last_id}
        rows = (await session.execute(CLAIM, values)).all()
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


async def _mark_sent(session: AsyncSession, accepted: list[Envelope], now: datetime) -> None:
    """Record what the relay accepted in one statement and one transaction.

    Until it commits, those messages are in flight: a run killed before it sends them again
    once their lease has ended, and nothing else.
    """
    if not accepted:
        return
    async with transaction(session):
        await session.execute(
            MARK_SENT, {"sent_ids": [envelope.id for envelope in accepted], "at": now}
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


@dataclass
class _Run:
    """What every batch of one delivery run shares."""

    now: datetime
    base_url: str
    mail_from: str
    policy: DeliveryPolicy
    report: DeliveryReport
    started: float


@dataclass
class _Outcome:
    """Where one batch's messages stand: accepted by the relay, or never handed over."""

    untried: deque[Envelope]
    accepted: list[Envelope] = field(default_factory=list)
    why_untried: str = "connexion SMTP perdue avant l'envoi"


@dataclass(frozen=True)
class _Prepared:
    """A claimed message made ready to send, or why it could not be."""

    envelope: Envelope
    email: OutgoingEmail | None
    error: str = ""


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    transport: Callable[[], MailTransport],
    now: datetime,
    *,
    base_url: str,
    mail_from: str,
    policy: DeliveryPolicy | None = None,
    last_id: int = EVERY_ID,
) -> DeliveryReport:
    """Send every message due at ``now``, batch after batch, one connection per batch.

    ``last_id`` leaves out the messages queued after it: the simulation delivers what an
    hour queued while the next hour's traffic runs, and that traffic's messages must wait
    for the next run, as they would if it ran after (``relais.simulation.delivery_worker``).
    """
    policy = policy or DeliveryPolicy()
    report = DeliveryReport()
    # Every batch's lease ends ``policy.lease`` after ``now``: the run stops within it.
    run = _Run(now, base_url, mail_from, policy, report, policy.stopwatch())
    for _ in range(policy.max_batches):
        if not policy.within_lease(run.started):
            break
        batch = await claim_due(sessionmaker, now, policy, last_id)
        if not batch:
            break
        async with sessionmaker() as session:
            await _send_batch(session, transport(), batch, run)
        if len(batch) < policy.batch_size:
            break
    return report


async def _send_batch(
    session: AsyncSession, transport: MailTransport, batch: list[Envelope], run: _Run
) -> None:
    """Send a claimed batch on one connection, then record it: sent in one statement, the
    failures one by one, the untried given back."""
    outcome = _Outcome(deque(batch))
    try:
        async with transport as channel:
            await _hand_over(session, channel, outcome, run)
    except TransportError as error:
        # The connection could not be opened: each message of the batch counts it an attempt.
        for envelope in outcome.untried:
            await _fail(session, envelope, str(error), run)
        return
    except Exception:
        # A run that fails (not one killed or cancelled) still records what was accepted.
        await _mark_sent(session, outcome.accepted, run.now)
        raise
    await _mark_sent(session, outcome.accepted, run.now)
    run.report.sent.extend(envelope.key for envelope in outcome.accepted)
    # The connection was lost mid-batch, or the run reached half its lease: the messages
    # not handed over wait for the next run without being charged an attempt.
    await _release(
        session, list(outcome.untried), outcome.why_untried, run.now, run.policy, run.report
    )


async def _hand_over(
    session: AsyncSession, channel: MailTransport, outcome: _Outcome, run: _Run
) -> None:
    """Hand the untried messages over one after the other, preparing the next one (render,
    MIME) while the relay answers the current one; stop at half the lease or a lost link."""
    prepared = _prepare_next(outcome.untried, run)
    while prepared is not None:
        if not run.policy.within_lease(run.started):
            outcome.untried.appendleft(prepared.envelope)
            outcome.why_untried = "envoi reporté : le lot a duré plus que la moitié du bail"
            return
        current, prepared = prepared, None
        if current.email is None:
            # A template bug must not lose the message: it waits, then goes dead where a
            # coordinator sees it and can send it again once fixed.
            await _fail(session, current.envelope, current.error, run)
            prepared = _prepare_next(outcome.untried, run)
            continue
        sending = asyncio.ensure_future(channel.send(current.email))
        try:
            await asyncio.sleep(0)  # the first command goes out before the CPU work starts
            prepared = _prepare_next(outcome.untried, run)
            await sending
        except TransportError as error:
            await _fail(session, current.envelope, str(error), run)
            if error.connection_lost:
                if prepared is not None:
                    outcome.untried.appendleft(prepared.envelope)
                return
            continue
        finally:
            sending.cancel()  # only still running if preparing the next one raised
        outcome.accepted.append(current.envelope)


def _prepare_next(untried: deque[Envelope], run: _Run) -> _Prepared | None:
    """Take the next untried message and render and build it, or ``None`` when none is left."""
    if not untried:
        return None
    envelope = untried.popleft()
    try:
        rendered = render(envelope.message, envelope.context, run.base_url)
    except (TemplateError, KeyError) as error:
        return _Prepared(envelope, None, f"rendu impossible : {error!r}")
    return _Prepared(envelope, build_email(envelope, rendered, run.mail_from, run.now))


async def _fail(session: AsyncSession, envelope: Envelope, error: str, run: _Run) -> None:
    """Charge ``envelope`` a failed attempt and report it as retried or dead."""
    dead = await _mark_failed(session, envelope, error, run.now, run.policy)
    (run.report.dead if dead else run.report.retried).append(envelope.key)


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
