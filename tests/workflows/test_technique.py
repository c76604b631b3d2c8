"""The comité technique's yearly minimum: coordinators alerted once it is out of reach."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.enums import Role, Territory
from core.models import Meeting, OutboxMessage
from core.settings import Settings, refusal_lines
from tests.factories import World, make_committee, make_meeting, make_user
from workflows.runs import governance_checks
from workflows.technique import check_technique

PARIS = ZoneInfo("Europe/Paris")


def paris(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A moment in Paris."""
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


async def alerts(session: AsyncSession) -> list[tuple[str, str]]:
    """(idempotency key without the recipient, recipient) of every technique alert so far."""
    rows = await session.execute(
        select(OutboxMessage.idempotency_key, OutboxMessage.recipient_email)
        .where(OutboxMessage.message == "governance.technique")
        .order_by(OutboxMessage.id)
    )
    await session.commit()
    return [(key.rsplit(":", 2)[0], email) for key, email in rows.tuples()]


def test_the_minimum_is_three_by_default_and_at_least_one() -> None:
    assert Settings(environment="development", secret_key="x" * 40).technique_min_meetings == 3
    with pytest.raises(ValidationError):
        Settings(environment="development", secret_key="x" * 40, technique_min_meetings=0)


async def test_alerts_from_the_first_month_it_is_out_of_reach(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], world: World
) -> None:
    second = await make_user(session, world.coordination, paris(2026, 1, 5), role=Role.COORDINATOR)
    emails = sorted([world.coordinator.email, second.email])
    technique = await make_committee(session, paris(2025, 1, 5), name="Comité technique")
    local = await make_committee(
        session, paris(2025, 1, 5), name="CT 18e", territory=Territory.ARR_18
    )
    pilotage = await make_committee(session, paris(2025, 1, 5), kind="pilotage", name="COPIL")
    held = await make_meeting(session, technique, paris(2026, 2, 10, 14))
    last_year = await make_meeting(session, technique, paris(2025, 12, 10, 14))
    await make_meeting(session, local, paris(2026, 3, 10, 14))  # an arrondissement's
    await make_meeting(session, pilotage, paris(2026, 4, 10, 14))  # another body
    await session.commit()

    # 31 October, last minute: one meeting + November and December = 3, still within reach.
    october = await check_technique(sessionmaker, paris(2026, 10, 31, 23, 59), 3)
    assert (october.counted, october.months_left, october.out_of_reach) == (1, 2, False)
    assert await alerts(session) == []
    # 1 November at midnight in Paris (still 31 October in UTC): 1 + 1 < 3, out of reach.
    november = await check_technique(sessionmaker, paris(2026, 11, 1, 0, 0), 3)
    assert (november.counted, november.months_left, november.out_of_reach) == (1, 1, True)
    assert sorted(november.alerted) == emails
    again = await check_technique(sessionmaker, paris(2026, 11, 2), 3)
    assert (again.alerted, sorted(again.already_alerted)) == ([], emails)
    assert sorted(await alerts(session)) == [
        (f"governance:technique:2026:1:{last_year.id}", email) for email in emails
    ]
    assert "hors d'atteinte" in again.summary()

    # A meeting planned in December makes it reachable again: nothing said.
    planned = await make_meeting(session, technique, paris(2026, 12, 8, 14))
    await session.commit()
    reachable = await check_technique(sessionmaker, paris(2026, 11, 20), 3)
    assert (reachable.counted, reachable.out_of_reach, reachable.alerted) == (2, False, [])
    # Moved into next year: a new shortfall, a new alert for everyone.
    moved = await session.get(Meeting, planned.id)
    assert moved is not None and held.id < planned.id
    moved.starts_at = paris(2027, 1, 12, 14)
    await session.commit()
    dry = await check_technique(sessionmaker, paris(2026, 11, 21), 3, dry_run=True)
    assert sorted(dry.alerted) == emails and len(await alerts(session)) == 2
    renewed = await check_technique(sessionmaker, paris(2026, 11, 21), 3)
    assert sorted(renewed.alerted) == emails
    assert len(await alerts(session)) == 4


async def test_a_higher_minimum_is_out_of_reach_earlier(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], world: World
) -> None:
    technique = await make_committee(session, paris(2025, 1, 5), name="Comité technique")
    await make_meeting(session, technique, paris(2026, 1, 20, 14))
    await session.commit()
    # Six required, one held: reachable in July (1 + 5 months), not in August (1 + 4).
    assert not (await check_technique(sessionmaker, paris(2026, 7, 31, 23, 59), 6)).out_of_reach
    august = await check_technique(sessionmaker, paris(2026, 8, 1, 0), 6)
    assert august.out_of_reach and august.alerted == [world.coordinator.email]


def test_a_minimum_below_one_is_refused_in_french() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(environment="development", secret_key="x" * 40, technique_min_meetings=0)
    assert refusal_lines(refused.value) == [
        "RELAIS_TECHNIQUE_MIN_MEETINGS doit être supérieur ou égal à 1"
    ]


async def test_the_daily_flow_runs_the_three_checks_with_the_settings(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], world: World
) -> None:
    technique = await make_committee(session, paris(2025, 1, 5), name="Comité technique")
    await make_meeting(session, technique, paris(2026, 1, 20, 14))
    await make_meeting(session, technique, paris(2026, 3, 20, 14))
    await session.commit()
    settings = Settings(environment="development", secret_key="x" * 40)
    # Two held, December begun: three are out of reach; with a minimum of two, all is well.
    checks = await governance_checks(settings, sessionmaker, paris(2026, 12, 1, 8, 30))
    assert checks.technique.out_of_reach and checks.technique.alerted == [world.coordinator.email]
    assert checks.pilotage.gap and checks.project_groups.reminded == []
    assert len(checks.summary().splitlines()) == 3
    relaxed = settings.model_copy(update={"technique_min_meetings": 2})
    calm = await governance_checks(relaxed, sessionmaker, paris(2026, 12, 1, 8, 30), dry_run=True)
    assert not calm.technique.out_of_reach
