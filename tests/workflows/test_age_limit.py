"""The Mission locale's age limit (issue 14, point 4): a person it accompanies turns 26.

Three calendar months before the 26th birthday (midnight, Paris) the référent is reminded to
propose a handover, and on the birthday the coordinators are alerted, unless a handover was
proposed. The two milestones count from the birthday whatever happens on the case: progress
notes do not restart them and each falls due once. Nothing of the kind for any other référent.

The person was born on 15 August 2000: 26 on Saturday 15 August 2026 at 00:00 in Paris
(22:00 UTC the day before), the reminder on Friday 15 May 2026 at 00:00 in Paris.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import MessageKey, Role
from core.models import Accompaniment, OutboxMessage, Timer, User
from services.handover_service import AccompanimentStart, HandoverCreate, start_accompaniment
from services.handover_service import propose_handover as propose
from states import engine
from states.accompaniment import ACCOMPANIMENT
from states.actor import Actor
from states.registry import LIFECYCLES
from tests.factories import ACCOMPANIMENT_REASON, World, actor_of, person_fields
from workflows.sweep import sweep_due

Sessions = async_sessionmaker[AsyncSession]
BIRTH_DATE = date(2000, 8, 15)
TURNS_26 = datetime(2026, 8, 14, 22, 0, tzinfo=UTC)
REMINDER = datetime(2026, 5, 14, 22, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
MILESTONES = (MessageKey.ACCOMPANIMENT_TURNING_26, MessageKey.ACCOMPANIMENT_TURNED_26)


async def _accompany(
    sessions: Sessions, user: User, now: datetime, birth_date: date | None = BIRTH_DATE
) -> int:
    """A new person whom ``user``'s organisation accompanies from ``now``; the case's id."""
    coordination = Actor(user_id=None, organisation_id=user.organisation_id, role=Role.COORDINATOR)
    start = AccompanimentStart(
        person=person_fields(birth_date=birth_date),
        organisation_id=user.organisation_id,
        reason=ACCOMPANIMENT_REASON,
        consent=True,
    )
    async with sessions() as session:
        accompaniment = await start_accompaniment(session, coordination, start, now)
        return accompaniment.id


async def _milestones(sessions: Sessions, case_id: int) -> list[tuple[str, str, datetime, str]]:
    """The case's milestone timers: (message, status, due, closed or not), oldest first."""
    async with sessions() as session:
        rows = await session.execute(
            select(Timer.message, Timer.status, Timer.due_at, Timer.closed_at)
            .where(Timer.case_id == case_id, Timer.message.is_not(None))
            .order_by(Timer.id)
        )
        return [
            (str(message), status.value, due_at, "closed" if closed_at else "open")
            for message, status, due_at, closed_at in rows.tuples()
        ]


async def _sent(sessions: Sessions, case_id: int) -> list[tuple[str, str]]:
    """The milestone emails queued about the case: (message, recipient)."""
    async with sessions() as session:
        rows = await session.execute(
            select(OutboxMessage.message, OutboxMessage.recipient_email)
            .where(OutboxMessage.case_id == case_id, OutboxMessage.message.in_(MILESTONES))
            .order_by(OutboxMessage.id)
        )
        return [(message, email) for message, email in rows.tuples()]


async def test_the_reminder_falls_due_three_months_before_and_not_a_second_earlier(
    sessionmaker: Sessions, world: World, clock: FixedClock
) -> None:
    case_id = await _accompany(sessionmaker, world.referrer, clock.now())
    async with sessionmaker() as session:
        case = await session.get(Accompaniment, case_id)
        assert case is not None and case.turns_26_at == TURNS_26
    assert await _milestones(sessionmaker, case_id) == [
        (MessageKey.ACCOMPANIMENT_TURNING_26, "pending", REMINDER, "open"),
        (MessageKey.ACCOMPANIMENT_TURNED_26, "pending", TURNS_26, "open"),
    ]
    for early in (REMINDER - timedelta(days=1), REMINDER - SECOND):
        await sweep_due(sessionmaker, LIFECYCLES, early)
        assert await _sent(sessionmaker, case_id) == []
    await sweep_due(sessionmaker, LIFECYCLES, REMINDER)
    assert await _sent(sessionmaker, case_id) == [
        (MessageKey.ACCOMPANIMENT_TURNING_26, world.referrer.email)
    ]

    for early in (TURNS_26 - timedelta(days=1), TURNS_26 - SECOND):
        await sweep_due(sessionmaker, LIFECYCLES, early)
        assert len(await _sent(sessionmaker, case_id)) == 1
    await sweep_due(sessionmaker, LIFECYCLES, TURNS_26)
    assert (MessageKey.ACCOMPANIMENT_TURNED_26, world.coordinator.email) in await _sent(
        sessionmaker, case_id
    )


async def test_progress_notes_neither_restart_nor_repeat_the_milestones(
    sessionmaker: Sessions, world: World, clock: FixedClock
) -> None:
    case_id = await _accompany(sessionmaker, world.referrer, clock.now())
    actor = actor_of(world.referrer)
    note = {"note": "Entretien : recherche d'apprentissage."}
    async with sessionmaker() as session:
        await engine.fire(session, ACCOMPANIMENT, case_id, "note", actor, note, clock.now())
    assert [due for _, _, due, state in await _milestones(sessionmaker, case_id) if state == "open"]
    assert {due for *_, due, _ in await _milestones(sessionmaker, case_id)} == {REMINDER, TURNS_26}

    await sweep_due(sessionmaker, LIFECYCLES, REMINDER)
    after_reminder = REMINDER + timedelta(days=1)
    async with sessionmaker() as session:
        await engine.fire(session, ACCOMPANIMENT, case_id, "note", actor, note, after_reminder)
    open_ones = [
        (message, status, due)
        for message, status, due, state in await _milestones(sessionmaker, case_id)
        if state == "open"
    ]
    # The reminder fell due once: the note brought back only the birthday's alert.
    assert open_ones == [(MessageKey.ACCOMPANIMENT_TURNED_26, "pending", TURNS_26)]
    await sweep_due(sessionmaker, LIFECYCLES, TURNS_26)
    sent = [message for message, _ in await _sent(sessionmaker, case_id)]
    assert sent.count(MessageKey.ACCOMPANIMENT_TURNING_26) == 1
    assert MessageKey.ACCOMPANIMENT_TURNED_26 in sent


async def test_no_alert_once_a_handover_was_proposed(
    sessionmaker: Sessions, world: World, clock: FixedClock
) -> None:
    case_id = await _accompany(sessionmaker, world.referrer, clock.now())
    async with sessionmaker() as session:
        person_id = await session.scalar(
            select(Accompaniment.person_id).where(Accompaniment.id == case_id)
        )
        assert person_id is not None
        proposal = HandoverCreate(
            person_id=person_id,
            to_organisation_id=world.receiver.id,
            reason="Passage vers l'EPI avant ses 26 ans",
            consent=True,
        )
        await propose(session, actor_of(world.referrer), proposal, REMINDER - timedelta(days=3))
    report = await sweep_due(sessionmaker, LIFECYCLES, TURNS_26)
    assert await _sent(sessionmaker, case_id) == []
    # The proposal was news of the person: the milestones were reopened, as they were due.
    assert [
        (status, due)
        for _, status, due, state in await _milestones(sessionmaker, case_id)
        if state == "open"
    ] == [("fired", REMINDER), ("fired", TURNS_26)]
    assert sum("proposé avant les 26 ans" in line for line in report.skipped) == 2


async def test_nothing_for_another_referent_nor_without_a_birth_date(
    sessionmaker: Sessions, world: World, clock: FixedClock
) -> None:
    at_the_epi = await _accompany(sessionmaker, world.receiver_member, clock.now())
    no_birth_date = await _accompany(sessionmaker, world.referrer, clock.now(), birth_date=None)
    for case_id in (at_the_epi, no_birth_date):
        async with sessionmaker() as session:
            case = await session.get(Accompaniment, case_id)
            assert case is not None and case.turns_26_at is None
        assert await _milestones(sessionmaker, case_id) == []
    await sweep_due(sessionmaker, LIFECYCLES, TURNS_26 + timedelta(days=1))
    assert await _sent(sessionmaker, at_the_epi) == []


async def test_someone_already_26_under_a_mission_locale_is_escalated_at_once(
    sessionmaker: Sessions, world: World, clock: FixedClock
) -> None:
    case_id = await _accompany(sessionmaker, world.referrer, clock.now(), date(1998, 1, 10))
    await sweep_due(sessionmaker, LIFECYCLES, clock.now())
    sent = await _sent(sessionmaker, case_id)
    assert (MessageKey.ACCOMPANIMENT_TURNED_26, world.coordinator.email) in sent
    assert (MessageKey.ACCOMPANIMENT_TURNING_26, world.referrer.email) in sent
