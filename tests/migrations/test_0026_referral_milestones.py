"""Migration ``0026`` (issue 16): the referrals' milestones are filled from their events and
timers, as the engine stamps them from then on; the downgrade drops them again.

The rows are written at ``0009``, in the shape ``test_0010_accompaniment_lifecycle`` writes,
and carried up by every migration since."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import UTCDateTime
from tests.migrations import test_0010_accompaniment_lifecycle as seeded
from tests.migrations.schema_runner import migrate_to, run_in

SCHEMA = "migration_referral_milestones"
SENT = seeded.REFERRED_AT
RETURNED, RESENT = SENT + timedelta(days=1), SENT + timedelta(days=2)
ACCEPTED, STARTED = SENT + timedelta(days=3), SENT + timedelta(days=4)
REMINDER, ESCALATION = SENT + timedelta(days=3, hours=1), SENT + timedelta(days=5, hours=1)
MILESTONES = (
    "first_submitted_at",
    "first_reminder_due_at",
    "first_escalation_due_at",
    "first_answered_at",
    "accepted_at",
    "started_at",
)


def _timer(state: str, kind: str, due: Any, created: Any) -> dict[str, Any]:
    return {
        "case_kind": "referral",
        "case_id": 1,
        "state": state,
        "kind": kind,
        "target": "receiver",
        "status": "cancelled",
        "due_at": due,
        "created_at": created,
        "closed_at": created + timedelta(hours=1),
    }


def _insert(connection: sa.Connection) -> None:
    for target, rows in seeded._directory():
        connection.execute(sa.insert(target), rows)
    case = {"version": 6, "consent_attested_at": SENT, "created_at": SENT}
    referrals = [
        {**case, "id": 1, "reference": "OR-2026-000001", "state": "in_progress", "offer_id": 1,
         "sender_organisation_id": seeded.ML, "receiver_organisation_id": seeded.EPI,
         "territory": "75011", "created_by_id": seeded.MEMBER, "person_id": 1, "motive": "m",
         "barriers": [], "state_entered_at": STARTED},
        {**case, "id": 2, "reference": "OR-2026-000002", "state": "draft", "offer_id": 1,
         "sender_organisation_id": seeded.ML, "receiver_organisation_id": seeded.EPI,
         "territory": "75011", "created_by_id": seeded.MEMBER, "person_id": 2, "motive": "m",
         "barriers": [], "state_entered_at": SENT},
    ]  # fmt: skip
    connection.execute(sa.insert(seeded.REFERRALS), referrals)
    history = [("create", SENT), ("submit", SENT), ("return", RETURNED), ("resubmit", RESENT)]
    history += [("accept", ACCEPTED), ("start", STARTED)]
    events = [seeded._event("referral", 1, trigger, seeded.EPI, at) for trigger, at in history]
    events.append(seeded._event("referral", 2, "create", seeded.ML, SENT))
    connection.execute(sa.insert(seeded.EVENTS), events)
    timers = [
        _timer("submitted", "reminder", REMINDER, SENT),
        _timer("submitted", "escalation", ESCALATION, SENT),
        # The resubmission's timers are not the first transmission's.
        _timer("submitted", "reminder", RESENT + timedelta(days=3), RESENT),
        _timer("returned", "reminder", RETURNED + timedelta(days=5), RETURNED),
    ]
    connection.execute(sa.insert(seeded.TIMERS), timers)


def _milestones(connection: sa.Connection) -> dict[int, tuple[Any, ...]]:
    rows = connection.execute(
        sa.select(*(sa.column(name, UTCDateTime()) for name in MILESTONES))
        .add_columns(sa.column("id"))
        .select_from(sa.table("referrals"))
    ).all()
    return {row[-1]: tuple(row[:-1]) for row in rows}


def _columns(connection: sa.Connection) -> set[str]:
    return {column["name"] for column in sa.inspect(connection).get_columns("referrals")}


async def test_milestones_are_filled_from_the_events_and_timers(engine: AsyncEngine) -> None:
    await migrate_to(engine, SCHEMA, "0009")
    await run_in(engine, SCHEMA, _insert)
    await migrate_to(engine, SCHEMA, "0026")
    milestones = await run_in(engine, SCHEMA, _milestones)
    assert milestones == {
        1: (SENT, REMINDER, ESCALATION, RETURNED, ACCEPTED, STARTED),
        2: (None,) * len(MILESTONES),
    }
    await migrate_to(engine, SCHEMA, "0025", down=True)
    assert not set(MILESTONES) & await run_in(engine, SCHEMA, _columns)
