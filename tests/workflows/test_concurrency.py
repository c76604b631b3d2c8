"""Two sweeps, and two deliveries, started at the same moment never act twice.

Thirty referrals are submitted on Monday 2 March 2026 at 09:00 in Paris. Their reminders
fall due on Thursday 5 March, their escalations on Monday 9 March and their expiry on Monday
30 March. Two services are then started together with ``asyncio.gather``, each opening its
own sessions on the same engine, in batches of five so that their claims interleave.

On PostgreSQL the claims use ``FOR UPDATE SKIP LOCKED`` and each round is repeated to make
races likely; on SQLite writers are serialised (``BEGIN IMMEDIATE``), and the same checks
run once. Emails go to a real SMTP server on loopback, counted there by Message-ID.

The expiry check uses an offer whose escalation and expiry fall due together, so the two
sweeps split cases between them; a last test pins why that once deadlocked on PostgreSQL
(an expiry waiting for a timer another sweep had claimed) and that a sweep no longer waits.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TypeVar

import pytest
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.enums import OutboxStatus, TimerKind, TimerStatus
from core.models import Event, Offer, OutboxMessage, Timer
from notifications.transport import SmtpTransport
from services.referral_service import create_referral
from states.registry import LIFECYCLES
from tests.factories import World, actor_of, make_offer, referral_create
from tests.notifications.smtp_server import SmtpServer, running_smtp_server
from workflows.delivery import DeliveryPolicy, DeliveryReport, deliver_due
from workflows.sweep import SweepPolicy, SweepReport, sweep_due

Sessions = async_sessionmaker[AsyncSession]
Row = TypeVar("Row", Event, OutboxMessage, Timer)

SUBMITTED_AT = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Monday 2 March, 09:00 in Paris
ESCALATED_AT = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)  # past reminder and escalation
EXPIRED_AT = datetime(2026, 3, 31, 8, 0, tzinfo=UTC)  # past expiry (30 March, 07:00 UTC)
REFERRALS = 30
ROUNDS = [1, 2, 3]
SWEEP = SweepPolicy(batch_size=5)
DELIVERY = DeliveryPolicy(batch_size=5)


@pytest.fixture
def relay() -> Iterator[SmtpServer]:
    """A recording SMTP server on loopback."""
    with running_smtp_server() as server:
        yield server


async def submit_referrals(
    sessionmaker: Sessions, world: World, count: int, offer: Offer | None = None
) -> list[int]:
    """``count`` referrals to ``offer`` (the world's) submitted at SUBMITTED_AT; their ids."""
    ids = []
    for _ in range(count):
        async with sessionmaker() as session:
            view = await create_referral(
                session,
                actor_of(world.referrer),
                referral_create(offer or world.offer),
                SUBMITTED_AT,
            )
            ids.append(int(view.case.id))
    return ids


def skip_on_postgres(is_postgres: bool) -> None:
    """The SQLite variants: on PostgreSQL the repeated rounds above cover them."""
    if is_postgres:
        pytest.skip("covered by the PostgreSQL rounds")


async def sweep(sessionmaker: Sessions, now: datetime) -> SweepReport:
    return await sweep_due(sessionmaker, LIFECYCLES, now, policy=SWEEP)


async def two_sweeps_then_a_final_one(
    sessionmaker: Sessions, now: datetime
) -> tuple[SweepReport, SweepReport, SweepReport]:
    """Two sweeps at once, then one more to pick up what either skipped, then a check."""
    first, second = await asyncio.gather(sweep(sessionmaker, now), sweep(sessionmaker, now))
    final = await sweep(sessionmaker, now)
    idle = await sweep(sessionmaker, now)
    assert idle.reminders == idle.escalations == idle.triggers == idle.skipped == []
    return first, second, final


async def rows(sessionmaker: Sessions, model: type[Row], *where: ColumnElement[bool]) -> list[Row]:
    """Rows of ``model`` matching ``where``, in id order."""
    async with sessionmaker() as session:
        statement = select(model).where(*where).order_by(model.id)
        return list((await session.execute(statement)).scalars())


async def check_reminders_and_escalations_once(sessionmaker: Sessions, world: World) -> None:
    ids = await submit_referrals(sessionmaker, world, REFERRALS)

    reports = await two_sweeps_then_a_final_one(sessionmaker, ESCALATED_AT)

    assert sum(len(report.reminders) for report in reports) == REFERRALS
    assert sum(len(report.escalations) for report in reports) == REFERRALS
    assert [report.triggers for report in reports] == [[], [], []]
    lines = [line for report in reports for line in report.reminders + report.escalations]
    assert len(set(lines)) == 2 * REFERRALS
    outbox = await rows(sessionmaker, OutboxMessage, OutboxMessage.message != "referral.submitted")
    assert Counter((row.message, row.case_id, row.recipient_email) for row in outbox) == Counter(
        {("reminder", case_id, "accueil@epi-test.fr"): 1 for case_id in ids}
        | {("escalation", case_id, "coordination@epec-test.fr"): 1 for case_id in ids}
    )
    timers = await rows(sessionmaker, Timer)
    assert Counter((timer.kind, timer.status, timer.fired_at) for timer in timers) == Counter(
        {
            (TimerKind.REMINDER, TimerStatus.FIRED, ESCALATED_AT): REFERRALS,
            (TimerKind.ESCALATION, TimerStatus.FIRED, ESCALATED_AT): REFERRALS,
            (TimerKind.TRIGGER, TimerStatus.PENDING, None): REFERRALS,
        }
    )


@pytest.mark.postgres
@pytest.mark.parametrize("round_number", ROUNDS)
async def test_two_sweeps_at_once_remind_and_escalate_once_on_postgres(
    sessionmaker: Sessions, world: World, round_number: int
) -> None:
    await check_reminders_and_escalations_once(sessionmaker, world)


async def test_two_sweeps_at_once_remind_and_escalate_once_on_sqlite(
    sessionmaker: Sessions, world: World, is_postgres: bool
) -> None:
    skip_on_postgres(is_postgres)
    await check_reminders_and_escalations_once(sessionmaker, world)


async def check_expiry_once(sessionmaker: Sessions, world: World) -> None:
    # Escalation and expiry both at +20 business days (30 March): each case's two timers are
    # next to each other in the sweeps' order, so batches of five split cases between sweeps.
    async with sessionmaker() as session:
        offer = await make_offer(
            session, world.receiver, SUBMITTED_AT, escalation_days=20, expiry_days=20
        )
    ids = await submit_referrals(sessionmaker, world, REFERRALS, offer)

    reports = await two_sweeps_then_a_final_one(sessionmaker, EXPIRED_AT)

    assert sum(len(report.triggers) for report in reports) == REFERRALS
    expiries = await rows(sessionmaker, Event, Event.trigger == "expire")
    assert sorted(event.case_id for event in expiries) == ids
    told = await rows(sessionmaker, OutboxMessage, OutboxMessage.message == "referral.expired")
    assert sorted((row.case_id, row.recipient_email) for row in told) == [
        (case_id, "conseillere@ml-test.fr") for case_id in ids
    ]
    # A reminder or escalation either fired once, or was cancelled by the expiry first; the
    # expired state's own two timers wait on each referrer.
    timers = await rows(sessionmaker, Timer, Timer.state == "submitted")
    waiting = await rows(sessionmaker, Timer, Timer.state == "expired")
    assert Counter((timer.status, timer.case_id) for timer in waiting) == Counter(
        {(TimerStatus.PENDING, case_id): 2 for case_id in ids}
    )
    assert {timer.status for timer in timers} <= {TimerStatus.FIRED, TimerStatus.CANCELLED}
    fired = Counter(
        (timer.kind.value, timer.case_id) for timer in timers if timer.status is TimerStatus.FIRED
    )
    outbox = await rows(
        sessionmaker, OutboxMessage, OutboxMessage.message.in_(("reminder", "escalation"))
    )
    assert Counter((row.message, row.case_id) for row in outbox) == Counter(
        {key: 1 for key in fired if key[0] != "trigger"}
    )
    assert sorted(case_id for kind, case_id in fired if kind == "trigger") == ids


@pytest.mark.postgres
@pytest.mark.parametrize("round_number", ROUNDS)
async def test_two_sweeps_at_once_expire_each_referral_once_on_postgres(
    sessionmaker: Sessions, world: World, round_number: int
) -> None:
    await check_expiry_once(sessionmaker, world)


async def test_two_sweeps_at_once_expire_each_referral_once_on_sqlite(
    sessionmaker: Sessions, world: World, is_postgres: bool
) -> None:
    skip_on_postgres(is_postgres)
    await check_expiry_once(sessionmaker, world)


async def deliver(sessionmaker: Sessions, relay: SmtpServer) -> DeliveryReport:
    return await deliver_due(
        sessionmaker,
        lambda: SmtpTransport(relay.host, relay.port, timeout=5),
        SUBMITTED_AT,
        base_url="https://relais.paris.test",
        mail_from="relais@ppie-test.fr",
        policy=DELIVERY,
    )


async def check_each_email_once(sessionmaker: Sessions, world: World, relay: SmtpServer) -> None:
    await submit_referrals(sessionmaker, world, REFERRALS)

    first, second = await asyncio.gather(deliver(sessionmaker, relay), deliver(sessionmaker, relay))
    again = await deliver(sessionmaker, relay)

    outbox = await rows(sessionmaker, OutboxMessage)
    assert [(row.status, row.attempts) for row in outbox] == [(OutboxStatus.SENT, 1)] * REFERRALS
    assert sorted(first.sent + second.sent) == sorted(row.idempotency_key for row in outbox)
    assert first.retried + second.retried + first.dead + second.dead == []
    assert again.sent == again.retried == again.dead == []
    received = relay.messages
    assert len(received) == REFERRALS
    assert set(relay.count_by_message_id().values()) == {1}
    assert relay.count_by_recipient() == Counter({"accueil@epi-test.fr": REFERRALS})
    # Batches of five, one connection each, whichever run claimed them.
    per_connection = Counter(message.session for message in received)
    assert max(per_connection.values()) <= 5
    assert relay.sessions == len(per_connection)


@pytest.mark.postgres
@pytest.mark.parametrize("round_number", ROUNDS)
async def test_two_deliveries_at_once_send_each_email_once_on_postgres(
    sessionmaker: Sessions, world: World, relay: SmtpServer, round_number: int
) -> None:
    await check_each_email_once(sessionmaker, world, relay)


async def test_two_deliveries_at_once_send_each_email_once_on_sqlite(
    sessionmaker: Sessions, world: World, relay: SmtpServer, is_postgres: bool
) -> None:
    skip_on_postgres(is_postgres)
    await check_each_email_once(sessionmaker, world, relay)


@pytest.mark.postgres
async def test_a_sweep_never_waits_for_a_timer_another_sweep_claimed(
    sessionmaker: Sessions, world: World, db_engine: AsyncEngine
) -> None:
    # Expiring a referral closes its open timers. If another sweep holds one of them (it
    # claimed the reminder and waits for this case's lock), waiting for it could deadlock:
    # the expiry is left for the next sweep instead.
    [case_id] = await submit_referrals(sessionmaker, world, 1)
    [reminder, escalation, expiry] = await rows(sessionmaker, Timer)
    assert (reminder.kind, escalation.kind, expiry.kind) == (
        TimerKind.REMINDER, TimerKind.ESCALATION, TimerKind.TRIGGER,
    )  # fmt: skip

    async with db_engine.connect() as other_sweep:
        await other_sweep.execute(select(Timer).where(Timer.id == reminder.id).with_for_update())
        report = await asyncio.wait_for(sweep(sessionmaker, EXPIRED_AT), timeout=5)
        await other_sweep.rollback()

    assert (len(report.reminders), len(report.escalations), report.triggers) == (0, 1, [])
    assert report.skipped == [f"referral {case_id} (trigger expire)"]
    later = await sweep(sessionmaker, EXPIRED_AT)
    assert (len(later.reminders), len(later.escalations), len(later.triggers)) == (1, 0, 1)
    timers = await rows(sessionmaker, Timer, Timer.state == "submitted")
    assert [timer.status for timer in timers] == [TimerStatus.FIRED] * 3
