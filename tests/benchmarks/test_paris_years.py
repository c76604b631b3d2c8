"""The bulk Paris of ``benchmarks.paris_years`` at a tiny scale: its rows are what the engine
would have written, and the engine carries on from them.

PostgreSQL only: the generator writes with asyncpg's ``COPY`` (skipped on SQLite runs).
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from benchmarks.paris_years import generate
from core.clock import FixedClock
from core.models import Referral, User
from core.settings import Settings
from relais.demo import seed_demo
from states import engine
from states.actor import Actor
from states.referral import REFERRAL

pytestmark = pytest.mark.postgres

REFERRALS = 200


async def _generated(db_engine: AsyncEngine, session: AsyncSession, settings: Settings) -> int:
    await seed_demo(session, settings, FixedClock(datetime.fromisoformat("2026-03-02T09:00Z")))
    await session.commit()
    async with db_engine.connect() as connection:
        raw = await connection.get_raw_connection()
        generated = await generate(raw.driver_connection, referrals=REFERRALS, seed=7)
        await connection.commit()
    assert generated.referrals == REFERRALS
    return generated.rows


async def _scalar(session: AsyncSession, sql: str) -> int:
    return int((await session.execute(text(sql))).scalar_one())


async def test_every_referral_stands_where_its_last_event_left_it(
    db_engine: AsyncEngine, session: AsyncSession, settings: Settings
) -> None:
    await _generated(db_engine, session, settings)
    generated = "FROM referrals r WHERE r.motive = 'Orientation générée pour la mesure.'"
    assert await _scalar(session, f"SELECT count(*) {generated}") == REFERRALS
    assert (
        await _scalar(
            session,
            f"""SELECT count(*) {generated} AND r.state IS DISTINCT FROM (
                SELECT e.to_state FROM events e WHERE e.case_kind = 'referral'
                AND e.case_id = r.id ORDER BY e.id DESC LIMIT 1)""",
        )
        == 0
    )
    # Created then submitted by the sender, as the engine does, before anything else.
    assert (
        await _scalar(
            session,
            f"""SELECT count(*) {generated} AND ARRAY(SELECT e.trigger FROM events e
                WHERE e.case_kind = 'referral' AND e.case_id = r.id ORDER BY e.id LIMIT 2)
                <> ARRAY['create', 'submit']::varchar[]""",
        )
        == 0
    )
    # A returned referral's event carries the reason its row has.
    assert (
        await _scalar(
            session,
            f"""SELECT count(*) {generated} AND r.state = 'returned' AND NOT EXISTS (
                SELECT 1 FROM events e WHERE e.case_kind = 'referral' AND e.case_id = r.id
                AND e.trigger = 'return' AND e.payload->>'reason' = r.return_reason)""",
        )
        == 0
    )
    states = await _scalar(session, f"SELECT count(DISTINCT r.state) {generated}")
    assert states >= 5
    # The milestones the engine stamps (states.milestones) are what the events and timers say.
    assert await _scalar(session, f"SELECT count(*) {generated} AND ({MILESTONES_DIFFER})") == 0
    for milestone in ("first_answered_at", "first_reminder_due_at", "started_at"):
        stamped = f"SELECT count(*) {generated} AND r.{milestone} IS NOT NULL"
        assert await _scalar(session, stamped) > REFERRALS // 4


def _instant(aggregate: str, triggers: str) -> str:
    return (
        f"(SELECT {aggregate}(e.occurred_at) FROM events e WHERE e.case_kind = 'referral' "
        f"AND e.case_id = r.id AND e.trigger IN ({triggers}))"
    )


def _due(kind: str) -> str:
    return (
        "(SELECT min(t.due_at) FROM timers t WHERE t.case_kind = 'referral' "
        f"AND t.case_id = r.id AND t.state = 'submitted' AND t.kind = '{kind}' "
        "AND t.created_at = r.first_submitted_at)"
    )


MILESTONES_DIFFER = " OR ".join(
    f"r.{column} IS DISTINCT FROM {expected}"
    for column, expected in (
        ("first_submitted_at", _instant("min", "'submit'")),
        ("first_answered_at", _instant("min", "'accept', 'return'")),
        ("accepted_at", _instant("max", "'accept'")),
        ("started_at", _instant("max", "'start'")),
        ("first_reminder_due_at", _due("reminder")),
        ("first_escalation_due_at", _due("escalation")),
    )
)


async def test_timers_and_emails_are_those_the_engine_leaves(
    db_engine: AsyncEngine, session: AsyncSession, settings: Settings
) -> None:
    await _generated(db_engine, session, settings)
    # Sent messages have their sending time; none of the generated ones is left pending.
    assert await _scalar(session, "SELECT count(*) FROM outbox WHERE status = 'sent'") > REFERRALS
    assert (
        await _scalar(
            session, "SELECT count(*) FROM outbox WHERE status = 'sent' AND sent_at IS NULL"
        )
        == 0
    )
    # A timer still open belongs to the state its case is in; a closed one was closed.
    assert (
        await _scalar(
            session,
            """SELECT count(*) FROM timers t JOIN referrals r ON t.case_kind = 'referral'
               AND t.case_id = r.id WHERE t.closed_at IS NULL AND t.state <> r.state""",
        )
        == 0
    )
    assert (
        await _scalar(
            session,
            """SELECT count(*) FROM timers WHERE (status = 'fired') <> (fired_at IS NOT NULL)
               OR (status = 'cancelled' AND closed_at IS NULL)
               OR (status = 'pending' AND closed_at IS NOT NULL)""",
        )
        == 0
    )
    # Every fired reminder or escalation sent its email.
    assert (
        await _scalar(
            session,
            """SELECT count(*) FROM timers t WHERE t.status = 'fired' AND t.kind <> 'trigger'
               AND NOT EXISTS (SELECT 1 FROM outbox o
                   WHERE o.idempotency_key LIKE 'timer:' || t.id || ':%')""",
        )
        == 0
    )


async def test_accompaniments_follow_started_referrals_and_the_engine_carries_on(
    db_engine: AsyncEngine, session: AsyncSession, settings: Settings
) -> None:
    await _generated(db_engine, session, settings)
    # An accompaniment from a referral: its receiver, once started, is the référent.
    assert (
        await _scalar(
            session,
            """SELECT count(*) FROM accompaniments a JOIN referrals r ON r.id = a.source_id
               WHERE a.source = 'referral' AND (r.receiver_organisation_id <> a.organisation_id
               OR r.state NOT IN ('in_progress', 'completed'))""",
        )
        == 0
    )
    assert await _scalar(session, "SELECT count(*) FROM accompaniments") > 0
    assert await _scalar(session, "SELECT count(*) FROM offer_sub_axes") >= 300
    # The engine accepts a generated referral still waiting, and numbers a new one after.
    waiting = (
        await session.execute(
            select(Referral).where(Referral.state == "submitted").order_by(Referral.id).limit(1)
        )
    ).scalar_one()
    receiver = (
        await session.execute(
            select(User).where(User.organisation_id == waiting.receiver_organisation_id).limit(1)
        )
    ).scalar_one()
    moment = datetime.fromisoformat("2027-01-04T10:00+01:00")
    await engine.fire(session, REFERRAL, waiting.id, "accept", Actor.of(receiver), {}, moment)
    await session.commit()
    assert (await session.get_one(Referral, waiting.id)).state == "accepted"
