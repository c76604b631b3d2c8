"""How an accompaniment ends: its référent ends it (sortie) with an outcome, after which the
person has no référent until another accompaniment begins; or a confirmed handover ends it
(relais fires ``hand_over``) and begins the next one. An open handover must be withdrawn
before the référent ends the accompaniment itself."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import Outcome, TimerStatus
from core.errors import ConcurrentChange, TransitionNotAllowed
from core.models import Accompaniment, Event, Person, Timer
from services.handover_service import HandoverCreate, propose_handover
from services.referral_service import open_referral
from states import engine
from states.accompaniment import ACCOMPANIMENT
from states.accompaniments import current_accompaniment
from states.actor import Actor
from states.handover import HANDOVER
from states.referral import REFERRAL
from tests.factories import World, accompany_new_person, actor_of, handover_json, make_offer

Sessions = async_sessionmaker[AsyncSession]
END = {"outcome": "qualifying_training", "comment": "Entrée en formation qualifiante."}


async def accompanied(sessions: Sessions, world: World, now: datetime) -> tuple[int, int]:
    """A new person the Mission locale accompanies from ``now``: (person, accompaniment)."""
    async with sessions() as session:
        person_id = await accompany_new_person(session, world.referrer, now)
        current = await current_accompaniment(session, person_id)
    assert current is not None
    return person_id, current.id


async def fire(
    sessions: Sessions, lifecycle: Any, case_id: int, trigger: str, actor: Actor, now: datetime,
    payload: dict[str, Any] | None = None,
) -> None:  # fmt: skip
    async with sessions() as session:
        await engine.fire(session, lifecycle, case_id, trigger, actor, payload or {}, now)


async def rows_of(sessions: Sessions, person_id: int) -> list[Accompaniment]:
    async with sessions() as session:
        rows = await session.execute(
            select(Accompaniment)
            .where(Accompaniment.person_id == person_id)
            .order_by(Accompaniment.id)
        )
        return list(rows.scalars())


async def history_of(sessions: Sessions, case_id: int) -> list[tuple[str, str | None, str]]:
    async with sessions() as session:
        rows = await session.execute(
            select(Event.trigger, Event.from_state, Event.to_state)
            .where(Event.case_kind == "accompaniment", Event.case_id == case_id)
            .order_by(Event.id)
        )
        return [(trigger, source, dest) for trigger, source, dest in rows.tuples()]


async def open_timers(sessions: Sessions, case_id: int) -> list[Timer]:
    async with sessions() as session:
        rows = await session.execute(
            select(Timer).where(
                Timer.case_kind == "accompaniment",
                Timer.case_id == case_id,
                Timer.closed_at.is_(None),
            )
        )
        return list(rows.scalars())


async def refer_and_start(sessions: Sessions, world: World, person_id: int, now: datetime) -> int:
    """The Mission locale refers the person to the CAF's accompaniment offer, which accepts
    and starts it. The referral's id."""
    async with sessions() as session:
        offer = await make_offer(session, world.outsider, now, is_accompaniment=True)
        person = await session.get_one(Person, person_id)
        referral_id = await open_referral(
            session, actor_of(world.referrer), offer, person, "Accompagnement social", now
        )
    await fire(sessions, REFERRAL, referral_id, "accept", actor_of(world.outsider_member), now)
    await fire(sessions, REFERRAL, referral_id, "start", actor_of(world.outsider_member), now)
    return referral_id


async def test_an_ended_accompaniment_leaves_no_referent_until_another_begins(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    person_id, first = await accompanied(sessionmaker, world, clock.now())
    # While the Mission locale accompanies the person, no other organisation becomes référent.
    with pytest.raises(ConcurrentChange):
        await refer_and_start(sessionmaker, world, person_id, clock.now())

    ended_at = clock.now() + timedelta(days=30)
    mission_locale = actor_of(world.referrer)
    await fire(sessionmaker, ACCOMPANIMENT, first, "end", mission_locale, ended_at, END)

    [row] = await rows_of(sessionmaker, person_id)
    assert (row.state, row.ended_at, row.exit_outcome, row.exit_comment) == (
        "ended", ended_at, Outcome.QUALIFYING_TRAINING, "Entrée en formation qualifiante.",
    )  # fmt: skip
    assert await open_timers(sessionmaker, first) == []
    assert await history_of(sessionmaker, first) == [
        ("begin", None, "active"),
        ("end", "active", "ended"),
    ]
    async with sessionmaker() as session:
        assert await current_accompaniment(session, person_id) is None

    # Another referral to an accompaniment offer now makes the CAF référent; the history stays.
    later = ended_at + timedelta(days=7)
    await refer_and_start(sessionmaker, world, person_id, later)
    old, new = await rows_of(sessionmaker, person_id)
    assert (old.id, old.state, old.ended_at) == (first, "ended", ended_at)
    assert (new.organisation_id, new.state, new.started_at, new.ended_at) == (
        world.outsider.id, "active", later, None,
    )  # fmt: skip
    assert (new.source.value, new.reference) == ("referral", "AP-2026-000002")
    assert len(await open_timers(sessionmaker, new.id)) == 2


async def test_the_end_waits_for_a_handover_under_way_to_be_withdrawn(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    person_id, case_id = await accompanied(sessionmaker, world, clock.now())
    mission_locale = actor_of(world.referrer)
    async with sessionmaker() as session:
        proposal = await propose_handover(
            session,
            mission_locale,
            HandoverCreate(**handover_json(person_id, world.receiver)),
            clock.now(),
        )
    for accepted in (False, True):
        if accepted:
            meeting = {"first_meeting_at": "2026-03-04T10:00:00+01:00"}
            epi = actor_of(world.receiver_member)
            await fire(
                sessionmaker, HANDOVER, proposal.case.id, "accept", epi, clock.now(), meeting
            )
        with pytest.raises(TransitionNotAllowed) as refused:
            await fire(
                sessionmaker, ACCOMPANIMENT, case_id, "end", mission_locale, clock.now(), END
            )
        assert refused.value.message == (
            f"Un passage de relais de cet accompagnement est en cours "
            f"({proposal.case.reference}) : retirez-le avant de mettre fin à l'accompagnement."
        )
        assert refused.value.allowed_actions == ["add_partner", "note", "remove_partner"]
        [row] = await rows_of(sessionmaker, person_id)
        assert (row.state, row.version, row.ended_at, row.exit_outcome) == ("active", 1, None, None)

    await fire(sessionmaker, HANDOVER, proposal.case.id, "withdraw", mission_locale, clock.now())
    await fire(sessionmaker, ACCOMPANIMENT, case_id, "end", mission_locale, clock.now(), END)
    [row] = await rows_of(sessionmaker, person_id)
    assert (row.state, row.ended_at) == ("ended", clock.now())


async def test_a_confirmed_handover_ends_the_accompaniment_through_hand_over(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    person_id, case_id = await accompanied(sessionmaker, world, clock.now())
    async with sessionmaker() as session:
        proposal = await propose_handover(
            session,
            actor_of(world.referrer),
            HandoverCreate(**handover_json(person_id, world.receiver)),
            clock.now(),
        )
    epi = actor_of(world.receiver_member)
    meeting = {"first_meeting_at": "2026-03-04T10:00:00+01:00"}
    await fire(sessionmaker, HANDOVER, proposal.case.id, "accept", epi, clock.now(), meeting)
    confirmed_at = clock.now() + timedelta(days=3)
    await fire(sessionmaker, HANDOVER, proposal.case.id, "confirm", epi, confirmed_at)

    old, new = await rows_of(sessionmaker, person_id)
    assert (old.state, old.ended_at, old.exit_outcome, old.version) == (
        "ended", confirmed_at, None, 2,
    )  # fmt: skip
    assert await history_of(sessionmaker, case_id) == [
        ("begin", None, "active"),
        ("hand_over", "active", "ended"),
    ]
    async with sessionmaker() as session:
        closed = (
            await session.execute(
                select(Timer.status, Timer.closed_at).where(
                    Timer.case_kind == "accompaniment", Timer.case_id == case_id
                )
            )
        ).all()
        hand_over = (
            await session.execute(
                select(Event.actor_id, Event.organisation_id, Event.occurred_at).where(
                    Event.case_kind == "accompaniment", Event.trigger == "hand_over"
                )
            )
        ).one()
    assert [tuple(row) for row in closed] == [(TimerStatus.CANCELLED, confirmed_at)] * 2
    assert tuple(hand_over) == (None, None, confirmed_at)

    # The EPI's accompaniment begins at the same instant, with its own progress check.
    assert (new.organisation_id, new.state, new.started_at) == (
        world.receiver.id, "active", confirmed_at,
    )  # fmt: skip
    assert (new.source.value, new.source_id, new.territory) == (
        "handover", proposal.case.id, world.receiver.territory,
    )  # fmt: skip
    assert await history_of(sessionmaker, new.id) == [("begin", None, "active")]
    timers = await open_timers(sessionmaker, new.id)
    assert {(t.kind.value, t.created_at) for t in timers} == {
        ("reminder", confirmed_at),
        ("escalation", confirmed_at),
    }
