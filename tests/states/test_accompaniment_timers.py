"""An accompaniment's progress check: due 90 business days without news of the person, acted on
by the sweep at that instant and not a second before; news on the person's cases restarts it.

Expected due dates are written literally, worked out by hand on a calendar. Started Monday
2 March 2026, 09:00 in Paris: +90 business days skips Easter Monday (6 April), 1 and 8 May,
Ascension (14 May) and Whit Monday (25 May): Monday 13 July, 09:00 summer time (07:00 UTC);
+100 skips 14 July too: Tuesday 28 July. From Thursday 28 May, 15:00 in Paris: +90 is Friday
2 October and +100 Friday 16 October, 15:00 summer time (13:00 UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import TimerStatus
from core.models import Accompaniment, Event, OutboxMessage, Person, Timer
from services.referral_service import create_referral, open_referral
from states import engine
from states.actor import Actor
from states.referral import REFERRAL
from states.registry import LIFECYCLES
from tests.factories import World, accompany_new_person, actor_of, make_offer, referral_create
from workflows.sweep import sweep_due

Sessions = async_sessionmaker[AsyncSession]
PARIS = ZoneInfo("Europe/Paris")
SECOND = timedelta(seconds=1)
NOTE = {"note": "Entretien mensuel : candidatures envoyées."}


def utc(year: int, month: int, day: int, hour: int) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


async def referred_and_started(sessions: Sessions, world: World, now: datetime) -> int:
    """A referral to the EPI's accompaniment offer, accepted and started at ``now``: the EPI
    becomes the person's référent. The referral's id."""
    async with sessions() as session:
        offer = await make_offer(session, world.receiver, now, is_accompaniment=True)
        view = await create_referral(session, actor_of(world.referrer), referral_create(offer), now)
    for trigger in ("accept", "start"):
        await fire_referral(sessions, view.case.id, trigger, actor_of(world.receiver_member), now)
    return int(view.case.id)


async def fire_referral(
    sessions: Sessions,
    referral_id: int,
    trigger: str,
    actor: Actor,
    now: datetime,
    payload: dict[str, Any] | None = None,
) -> None:
    async with sessions() as session:
        await engine.fire(session, REFERRAL, referral_id, trigger, actor, payload or {}, now)


async def the_accompaniment(sessions: Sessions) -> Accompaniment:
    async with sessions() as session:
        return (await session.execute(select(Accompaniment))).scalar_one()


async def timers_of(sessions: Sessions, case_id: int) -> list[Timer]:
    async with sessions() as session:
        rows = await session.execute(
            select(Timer)
            .where(Timer.case_kind == "accompaniment", Timer.case_id == case_id)
            .order_by(Timer.id)
        )
        return list(rows.scalars())


def due(timers: list[Timer]) -> dict[str, datetime]:
    """Kind -> due instant of the open timers."""
    return {timer.kind.value: timer.due_at for timer in timers if timer.closed_at is None}


async def emails(sessions: Sessions) -> list[tuple[str, str]]:
    """(message, recipient) of every email written about an accompaniment."""
    async with sessions() as session:
        rows = await session.execute(
            select(OutboxMessage.message, OutboxMessage.recipient_email)
            .where(OutboxMessage.case_kind == "accompaniment")
            .order_by(OutboxMessage.id)
        )
        return [(message, email) for message, email in rows.tuples()]


async def test_the_sweep_chases_the_progress_check_at_its_instant_not_a_second_before(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    async with sessionmaker() as session:
        await accompany_new_person(session, world.referrer, clock.now())
    accompaniment = await the_accompaniment(sessionmaker)
    reminder_at, escalation_at = utc(2026, 7, 13, 7), utc(2026, 7, 28, 7)
    timers = await timers_of(sessionmaker, accompaniment.id)
    assert due(timers) == {"reminder": reminder_at, "escalation": escalation_at}
    assert {(t.kind.value, t.target) for t in timers} == {
        ("reminder", "referent"),
        ("escalation", "coordinators"),
    }

    await sweep_due(sessionmaker, LIFECYCLES, reminder_at - SECOND)
    assert await emails(sessionmaker) == []
    report = await sweep_due(sessionmaker, LIFECYCLES, reminder_at)
    assert report.reminders == ["AP-2026-000001 : rappel à 1 destinataire(s)"]
    assert await emails(sessionmaker) == [("reminder", "conseillere@ml-test.fr")]

    await sweep_due(sessionmaker, LIFECYCLES, escalation_at - SECOND)
    assert len(await emails(sessionmaker)) == 1
    await sweep_due(sessionmaker, LIFECYCLES, escalation_at)
    assert await emails(sessionmaker) == [
        ("reminder", "conseillere@ml-test.fr"),
        ("escalation", "coordination@epec-test.fr"),
    ]
    async with sessionmaker() as session:
        contexts = (
            await session.execute(
                select(OutboxMessage.context).where(OutboxMessage.case_kind == "accompaniment")
            )
        ).scalars()
        for context in contexts:
            assert context["subject_line"] == "référent : Mission locale de Paris"
            assert context["expected_action"] == (
                "faire le point d'étape de l'accompagnement, ou y mettre fin"
            )
            assert "Moreau" not in str(context) and "Yanis" not in str(context)


async def test_news_on_the_persons_referral_restarts_the_count(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    referral_id = await referred_and_started(sessionmaker, world, clock.now())
    before = await the_accompaniment(sessionmaker)
    assert due(await timers_of(sessionmaker, before.id)) == {
        "reminder": utc(2026, 7, 13, 7),
        "escalation": utc(2026, 7, 28, 7),
    }

    noted_at = datetime(2026, 5, 28, 15, tzinfo=PARIS)
    receiver = actor_of(world.receiver_member)
    await fire_referral(sessionmaker, referral_id, "note", receiver, noted_at, NOTE)

    timers = await timers_of(sessionmaker, before.id)
    assert due(timers) == {"reminder": utc(2026, 10, 2, 13), "escalation": utc(2026, 10, 16, 13)}
    assert [(t.status, t.closed_at) for t in timers[:2]] == [
        (TimerStatus.CANCELLED, noted_at),
        (TimerStatus.CANCELLED, noted_at),
    ]
    # The accompaniment itself did not move: no event, same state, version and dates.
    after = await the_accompaniment(sessionmaker)
    assert (after.state, after.version, after.state_entered_at) == (
        before.state,
        before.version,
        before.state_entered_at,
    )
    async with sessionmaker() as session:
        triggers = (
            await session.execute(select(Event.trigger).where(Event.case_kind == "accompaniment"))
        ).scalars()
        assert list(triggers) == ["begin"]

    # No progress check at the old instant; at the new one, the EPI is asked.
    await sweep_due(sessionmaker, LIFECYCLES, utc(2026, 10, 2, 13) - SECOND)
    assert await emails(sessionmaker) == []
    await sweep_due(sessionmaker, LIFECYCLES, utc(2026, 10, 2, 13))
    assert await emails(sessionmaker) == [("reminder", "accueil@epi-test.fr")]


async def test_a_progress_note_restarts_the_count(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    await referred_and_started(sessionmaker, world, clock.now())
    accompaniment = await the_accompaniment(sessionmaker)
    noted_at = datetime(2026, 5, 28, 15, tzinfo=PARIS)
    async with sessionmaker() as session:
        await engine.fire(
            session,
            LIFECYCLES["accompaniment"],
            accompaniment.id,
            "note",
            actor_of(world.receiver_member),
            NOTE,
            noted_at,
        )
    assert due(await timers_of(sessionmaker, accompaniment.id)) == {
        "reminder": utc(2026, 10, 2, 13),
        "escalation": utc(2026, 10, 16, 13),
    }


async def test_a_new_referral_of_the_person_is_news_and_its_expiry_is_not(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    """Someone referring the person again restarts the check; relais expiring that referral
    (nobody answered) is no news of the person."""
    async with sessionmaker() as session:
        person_id = await accompany_new_person(session, world.referrer, clock.now())
    accompaniment = await the_accompaniment(sessionmaker)

    referred_at = datetime(2026, 5, 28, 15, tzinfo=PARIS)
    async with sessionmaker() as session:
        person = await session.get_one(Person, person_id)
        await open_referral(
            session, actor_of(world.outsider_member), world.offer, person, "Aide au logement",
            referred_at,
        )  # fmt: skip
    restarted = {"reminder": utc(2026, 10, 2, 13), "escalation": utc(2026, 10, 16, 13)}
    assert due(await timers_of(sessionmaker, accompaniment.id)) == restarted

    # +20 business days: the referral expires (relais fires it), the check stays where it was.
    expired = await sweep_due(sessionmaker, LIFECYCLES, utc(2026, 6, 30, 13))
    assert [line.split(" : ")[1] for line in expired.triggers] == ["expire"]
    timers = await timers_of(sessionmaker, accompaniment.id)
    assert due(timers) == restarted
    assert len(timers) == 4


async def test_a_new_case_that_begins_the_accompaniment_does_not_count_twice(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    """The start of the referral that begins the accompaniment is its first news: one pair of
    timers, not a pair cancelled at once and another."""
    await referred_and_started(sessionmaker, world, clock.now())
    accompaniment = await the_accompaniment(sessionmaker)
    timers = await timers_of(sessionmaker, accompaniment.id)
    assert [t.status for t in timers] == [TimerStatus.PENDING, TimerStatus.PENDING]
