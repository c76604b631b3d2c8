"""The statements a transition sends: each compiled once; on PostgreSQL the case's row, its
event, timers and emails written by one statement under the version check
(``states.one_statement``), and nothing written when that check fails, on either database.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.engine.interfaces import CacheStats
from sqlalchemy.ext.asyncio import AsyncEngine

from core.clock import FixedClock
from core.db import transaction
from core.errors import ConcurrentChange
from core.models import Event, OutboxMessage, ReferenceSequence, Referral, Timer
from states import engine
from states.referral import REFERRAL
from tests.factories import World, actor_of
from tests.states.engine_helpers import PREPARED, Sessions, Statements, fire, new_referral
from tests.states.test_engine import snapshot


async def test_every_statement_of_a_referrals_life_is_compiled_once(
    world: World, sessionmaker: Sessions, db_engine: AsyncEngine, clock: FixedClock
) -> None:
    """The second referral taken from submission to completion compiles nothing: each of its
    statements comes from SQLAlchemy's cache (a multi-row VALUES or an ON CONFLICT construct
    has no cache key and was compiled again at every transition)."""
    receiver = actor_of(world.receiver_member)

    async def a_whole_life() -> None:
        referral_id = await new_referral(sessionmaker, world, clock.now())
        for trigger, payload in [
            ("accept", {}),
            ("start", {}),
            ("complete", {"outcome": "lasting_employment"}),
        ]:
            await fire(sessionmaker, referral_id, trigger, receiver, payload, now=clock.now())

    await a_whole_life()
    with Statements(db_engine) as statements:
        await a_whole_life()
    assert statements.sent
    compiled_again = [
        sent for sent in statements.sent if sent[0] not in (CacheStats.CACHE_HIT, PREPARED)
    ]
    assert compiled_again == []


@pytest.mark.postgres
async def test_on_postgresql_a_transition_reads_its_case_then_writes_once(
    world: World, sessionmaker: Sessions, db_engine: AsyncEngine, clock: FixedClock
) -> None:
    """``start``: the case read under its lock, then one statement that moves it, appends its
    event, closes the acceptance's timers and opens the progress check's (they were three
    more: the event, the timers, the case's row at commit)."""
    referral_id = await new_referral(sessionmaker, world, clock.now())
    receiver = actor_of(world.receiver_member)
    await fire(sessionmaker, referral_id, "accept", receiver, {}, now=clock.now())
    with Statements(db_engine) as statements:
        await fire(sessionmaker, referral_id, "start", receiver, {}, now=clock.now())
    sent = [statement for _, statement in statements.sent]
    assert sent[0].startswith("SELECT referrals.") and "FOR UPDATE" in sent[0]
    # Between them, reads only (the offer's own delays for the new timers).
    assert all(statement.startswith("SELECT ") for statement in sent[1:-1]), sent
    assert " ".join(sent[-1].split()).startswith("WITH moved AS (UPDATE referrals SET ")
    async with sessionmaker() as session:
        referral = await session.get_one(Referral, referral_id)
        assert referral.state == "in_progress"
        assert referral.started_at == clock.now()
        timers = (
            await session.execute(
                select(Timer.state, Timer.kind, Timer.status, Timer.closed_at.is_(None))
                .where(Timer.case_kind == "referral", Timer.case_id == referral_id)
                .order_by(Timer.id)
            )
        ).all()
    opened = [(state, kind.value) for state, kind, _, is_open in timers if is_open]
    assert opened == [("in_progress", "reminder"), ("in_progress", "escalation")]
    assert all(not is_open for state, *_, is_open in timers if state != "in_progress")


async def test_a_transition_on_a_stale_case_writes_nothing(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    """A case read before someone else moved it: its version check fails, and neither its
    row nor an event, a timer or an email is written (one statement on PostgreSQL, the unit
    of work's flush on SQLite)."""
    referral_id = await new_referral(sessionmaker, world, clock.now())
    receiver = actor_of(world.receiver_member)
    async with sessionmaker() as stale:
        case = await stale.get_one(Referral, referral_id)
        await stale.commit()  # ends the read; the loaded row stays in the session
        await fire(sessionmaker, referral_id, "accept", receiver, {}, now=clock.now())
        before = await snapshot(sessionmaker)
        with pytest.raises(ConcurrentChange):
            async with transaction(stale):
                await engine.apply_transition(
                    stale,
                    REFERRAL,
                    case,
                    "return",
                    receiver,
                    {"reason": "not_eligible", "comment": "Hors du public de l'offre."},
                    clock.now(),
                )
    assert await snapshot(sessionmaker) == before
    async with sessionmaker() as session:
        returned = await session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.case_id == referral_id, Event.trigger == "return")
        )
        emails = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.message == "referral.returned")
        )
    assert (returned, emails) == (0, 0)


@pytest.mark.postgres
async def test_after_its_one_statement_the_case_is_clean(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    """The ORM holds the row as written: the commit that follows has nothing to flush."""
    referral_id = await new_referral(sessionmaker, world, clock.now())
    async with sessionmaker() as session, transaction(session):
        case = await engine.load_case(session, REFERRAL, referral_id, lock=True, now=clock.now())
        version = case.version
        await engine.apply_transition(
            session, REFERRAL, case, "accept", actor_of(world.receiver_member), {}, clock.now()
        )
        assert case not in session.dirty
        assert (case.state, case.version) == ("accepted", version + 1)
    async with sessionmaker() as session:
        stored = await session.get_one(Referral, referral_id)
        assert (stored.state, stored.version) == ("accepted", version + 1)


async def test_a_new_case_is_numbered_in_sequence_with_six_digits_at_least(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    """The reference's number follows the year's counter on either database, in one
    statement with the row on PostgreSQL; past 999,999 it takes a seventh digit."""
    first = await new_referral(sessionmaker, world, clock.now())
    second = await new_referral(sessionmaker, world, clock.now())
    async with sessionmaker() as session, session.begin():
        await session.execute(update(ReferenceSequence).values(last_value=999_998))
    before_million = await new_referral(sessionmaker, world, clock.now())
    past_million = await new_referral(sessionmaker, world, clock.now())
    async with sessionmaker() as session:
        rows = await session.execute(
            select(Referral.id, Referral.reference).where(
                Referral.id.in_([first, second, before_million, past_million])
            )
        )
        references = {case_id: reference for case_id, reference in rows.tuples()}
        creations = await session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.case_kind == "referral", Event.trigger == "create")
        )
    year = clock.now().year
    assert [references[case] for case in (first, second, before_million, past_million)] == [
        f"OR-{year}-000001",
        f"OR-{year}-000002",
        f"OR-{year}-999999",
        f"OR-{year}-1000000",
    ]
    assert creations == 4


@pytest.mark.postgres
async def test_on_postgresql_a_creation_numbers_inserts_and_records_at_once(
    world: World, sessionmaker: Sessions, db_engine: AsyncEngine, clock: FixedClock
) -> None:
    """The reference's counter, the row and its creation event are one statement (they were
    three: the counter's upsert, the row's insert, the event's insert)."""
    with Statements(db_engine) as statements:
        referral_id = await new_referral(sessionmaker, world, clock.now(), submit=False)
    sent = [" ".join(statement.split()) for _, statement in statements.sent]
    assert not [statement for statement in sent if "reference_sequences" in statement][1:]
    (creation,) = [statement for statement in sent if "INSERT INTO referrals" in statement]
    assert creation.startswith("WITH numbered AS (INSERT INTO reference_sequences")
    assert "appended AS (INSERT INTO events" in creation
    async with sessionmaker() as session:
        referral = await session.get_one(Referral, referral_id)
        (event,) = (
            await session.execute(select(Event).where(Event.case_id == referral_id))
        ).scalars()
    assert (referral.state, referral.version, event.trigger, event.to_state) == (
        "draft",
        1,
        "create",
        "draft",
    )
    assert event.actor_id == world.referrer.id and event.occurred_at == clock.now()


@pytest.mark.postgres
async def test_on_postgresql_nothing_is_read_between_a_sent_referrals_number_and_its_commit(
    world: World, sessionmaker: Sessions, db_engine: AsyncEngine, clock: FixedClock
) -> None:
    """The year's counter stays locked from a new reference's number to the commit: every
    creation in Paris waits on it. What the submission reads (its offer, whether anybody
    receives it, its organisations, whom its email goes to) is read before the number, in a
    fresh session as an API call has: after it come the two writes and the commit (there were
    four reads in between)."""
    sent: list[str] = []

    def note(*args: object) -> None:
        sent.append(" ".join(str(args[2]).split()))

    def committed(*_: object) -> None:
        sent.append("COMMIT")

    sync = db_engine.sync_engine
    event.listen(sync, "before_cursor_execute", note)
    event.listen(sync, "commit", committed)
    try:
        referral_id = await new_referral(sessionmaker, world, clock.now())
    finally:
        event.remove(sync, "before_cursor_execute", note)
        event.remove(sync, "commit", committed)
    numbered = next(i for i, sql in enumerate(sent) if "reference_sequences" in sql)
    until_commit = sent[numbered : sent.index("COMMIT", numbered)]
    assert len(until_commit) == 2, until_commit
    assert until_commit[1].startswith("WITH moved AS (UPDATE referrals SET ")
    assert any(sql.startswith("SELECT users.email") for sql in sent[:numbered])
    async with sessionmaker() as session:
        referral = await session.get_one(Referral, referral_id)
        emails = await session.scalar(
            select(func.count()).where(
                OutboxMessage.case_kind == "referral", OutboxMessage.case_id == referral_id
            )
        )
    assert (referral.state, referral.reference[:8], emails) == ("submitted", "OR-2026-", 1)
