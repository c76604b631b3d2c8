"""What the delivery tests (``test_delivery*.py``) share: the times of the backoff, the
receiving members, and how to submit referrals, run a delivery and read the outbox.

Messages are queued by real transitions: each submitted referral tells the members of the
receiving organisation. Times: the clock starts on Monday 2 March 2026 at 09:00 in Paris,
08:00 UTC. The fixtures (``smtp_server``, ``smtp_settings``, ``receiving_world``) are in
``tests/notifications/conftest.py``.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.models import OutboxMessage
from core.settings import Settings
from notifications.transport import transport_factory
from services.referral_service import create_referral
from tests.factories import World, actor_of, referral_create
from workflows.delivery import EVERY_ID, DeliveryPolicy, DeliveryReport, deliver_due

Sessions = async_sessionmaker[AsyncSession]

POLICY = DeliveryPolicy(max_attempts=3, first_retry=timedelta(minutes=1))
FIRST = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SECOND = datetime(2026, 3, 2, 8, 1, tzinfo=UTC)  # FIRST + 1 minute
THIRD = datetime(2026, 3, 2, 8, 3, tzinfo=UTC)  # SECOND + 2 minutes
AFTER_THIRD = datetime(2026, 3, 2, 8, 7, tzinfo=UTC)  # THIRD + 4 minutes
RECEIVERS = ("accueil@epi-test.fr", "orientation@epi-test.fr")
MAIL_FROM = "Relais PPIE <relais@ppie-test.fr>"


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
    sessionmaker: Sessions,
    settings: Settings,
    now: datetime,
    policy: DeliveryPolicy = POLICY,
    last_id: int = EVERY_ID,
) -> DeliveryReport:
    """One delivery run as the flow does it, with ``settings``' transport, of the messages
    queued up to ``last_id``."""
    return await deliver_due(
        sessionmaker,
        transport_factory(settings),
        now,
        base_url=settings.base_url,
        mail_from=settings.mail_from,
        policy=policy,
        last_id=last_id,
    )


def message_id(key: str) -> str:
    """The Message-ID relais derives from an idempotency key."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@relais>"


def nothing_done(report: DeliveryReport) -> bool:
    """Whether a delivery run sent, retried and buried nothing."""
    return report.sent == report.retried == report.dead == []
