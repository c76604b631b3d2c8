"""The governance rule: coordinators are alerted once per gap without a comité de pilotage."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.enums import Role
from core.models import OutboxMessage
from tests.factories import World, make_committee, make_meeting, make_user
from workflows.governance import check_pilotage, twelve_months_before

PARIS = ZoneInfo("Europe/Paris")


def paris(year: int, month: int, day: int, hour: int = 9) -> datetime:
    """A moment in Paris."""
    return datetime(year, month, day, hour, tzinfo=PARIS)


async def alerts(session: AsyncSession) -> list[tuple[str, str]]:
    """(idempotency key, recipient) of every governance alert queued so far."""
    rows = await session.execute(
        select(OutboxMessage.idempotency_key, OutboxMessage.recipient_email)
        .where(OutboxMessage.message == "governance.pilotage")
        .order_by(OutboxMessage.id)
    )
    await session.commit()
    return [(key.rsplit(":", 1)[0], email) for key, email in rows.tuples()]


def test_twelve_months_before_keeps_the_paris_wall_clock() -> None:
    assert twelve_months_before(paris(2026, 3, 2)) == paris(2025, 3, 2)
    # 29 February 2028 has no twin in 2027: the 28th stands in.
    assert twelve_months_before(paris(2028, 2, 29)) == paris(2027, 2, 28)


async def test_alerts_once_per_gap_and_again_after_a_new_gap(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], world: World
) -> None:
    second = await make_user(session, world.coordination, paris(2026, 1, 5), role=Role.COORDINATOR)
    await make_user(session, world.coordination, paris(2026, 1, 5), role=Role.SECRETARY)
    emails = sorted([world.coordinator.email, second.email])
    pilotage = await make_committee(session, paris(2024, 1, 5), kind="pilotage", name="COPIL")
    technique = await make_committee(session, paris(2024, 1, 5), name="Comité technique")
    await make_meeting(session, pilotage, paris(2025, 2, 10, 14))
    await make_meeting(session, technique, paris(2026, 2, 10, 14))  # not a pilotage one
    await session.commit()

    # Held less than twelve months ago: nothing to say.
    quiet = await check_pilotage(sessionmaker, paris(2026, 2, 9))
    assert (quiet.gap, quiet.alerted) == (False, [])
    assert await alerts(session) == []

    # Twelve months and a day later: every coordinator, once.
    first = await check_pilotage(sessionmaker, paris(2026, 2, 11))
    assert first.gap and sorted(first.alerted) == emails
    again = await check_pilotage(sessionmaker, paris(2026, 2, 12))
    assert (again.alerted, sorted(again.already_alerted)) == ([], emails)
    assert sorted(await alerts(session)) == [
        ("governance:pilotage:2025-02-10:governance.pilotage", email) for email in emails
    ]

    # A meeting planned ahead closes the gap; a dry run changes nothing.
    await make_meeting(session, pilotage, paris(2026, 6, 15, 14))
    await session.commit()
    assert (await check_pilotage(sessionmaker, paris(2026, 3, 1))).gap is False
    # A year after that one, a new gap: a new alert for everyone.
    dry = await check_pilotage(sessionmaker, paris(2027, 6, 20), dry_run=True)
    assert sorted(dry.alerted) == emails
    assert len(await alerts(session)) == 2
    late = await check_pilotage(sessionmaker, paris(2027, 6, 20))
    assert sorted(late.alerted) == emails
    assert sorted(key for key, _ in await alerts(session)) == [
        "governance:pilotage:2025-02-10:governance.pilotage",
        "governance:pilotage:2025-02-10:governance.pilotage",
        "governance:pilotage:2026-06-15:governance.pilotage",
        "governance:pilotage:2026-06-15:governance.pilotage",
    ]


async def test_no_pilotage_meeting_ever_is_a_gap_too(
    sessionmaker: async_sessionmaker[AsyncSession], world: World, session: AsyncSession
) -> None:
    report = await check_pilotage(sessionmaker, paris(2026, 3, 2))
    assert report.gap and report.alerted == [world.coordinator.email]
    assert await alerts(session) == [
        ("governance:pilotage:aucune:governance.pilotage", world.coordinator.email)
    ]
    assert "aucun comité de pilotage" in report.summary().lower()
