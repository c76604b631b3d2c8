"""Migration ``coaccompaniment`` (issue 14): the Mission locales' active accompaniments get the
person's 26th birthday and their two « 26 ans » timers; nobody else does.

A database at revision 0010 holds four accompaniments: (1) active at the Mission locale, the
person born on 15 August 2000, (2) active at the Mission locale, no birth date, (3) active at
an EPI, a birth date, (4) ended at the Mission locale, a birth date. Upgraded, only (1) has its
``turns_26_at`` and its two timers (the reminder three calendar months before, the alert on
the birthday); downgraded, they go; upgraded again, they come back the same.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import UTCDateTime
from tests.migrations.schema_runner import migrate_to, run_in

SCHEMA = "migration_coaccompaniment"
CREATED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ORGANISATIONS = sa.table(
    "organisations", *(sa.column(c) for c in ("id", "name", "kind", "territory")),
    sa.column("created_at", UTCDateTime()),
)  # fmt: skip
PERSONS = sa.table(
    "persons", *(sa.column(c) for c in ("id", "first_name", "last_name")),
    sa.column("birth_date", sa.Date), sa.column("created_at", UTCDateTime()),
)  # fmt: skip
ACCOMPANIMENTS = sa.table(
    "accompaniments",
    *(sa.column(c) for c in ("id", "reference", "state", "version", "person_id")),
    *(sa.column(c) for c in ("organisation_id", "territory", "source")),
    *(sa.column(c, UTCDateTime()) for c in ("started_at", "ended_at", "state_entered_at")),
)


def _insert(connection: sa.Connection) -> None:
    connection.execute(
        sa.insert(ORGANISATIONS),
        [
            {"id": 1, "name": "Mission locale", "kind": "mission_locale", "territory": "paris",
             "created_at": CREATED},
            {"id": 2, "name": "EPI", "kind": "epi", "territory": "paris", "created_at": CREATED},
        ],
    )  # fmt: skip
    births = {1: date(2000, 8, 15), 2: None, 3: date(2000, 8, 15), 4: date(2000, 8, 15)}
    connection.execute(
        sa.insert(PERSONS),
        [
            {"id": person, "first_name": "P", "last_name": str(person), "birth_date": born,
             "created_at": CREATED}
            for person, born in births.items()
        ],
    )  # fmt: skip
    cases = {1: (1, "active"), 2: (1, "active"), 3: (2, "active"), 4: (1, "ended")}
    connection.execute(
        sa.insert(ACCOMPANIMENTS),
        [
            {"id": case, "reference": f"AP-2026-00000{case}", "state": state, "version": 1,
             "person_id": case, "organisation_id": organisation, "territory": "paris",
             "source": "direct", "started_at": CREATED, "state_entered_at": CREATED,
             "ended_at": CREATED if state == "ended" else None}
            for case, (organisation, state) in cases.items()
        ],
    )  # fmt: skip


TURNS = sa.table("accompaniments", sa.column("id"), sa.column("turns_26_at", UTCDateTime()))
TIMERS = sa.table(
    "timers", *(sa.column(c) for c in ("id", "case_id", "kind", "target", "status", "message")),
    sa.column("due_at", UTCDateTime()),
)  # fmt: skip


def _read(connection: sa.Connection) -> dict[str, list[tuple[Any, ...]]]:
    turns = connection.execute(sa.select(TURNS.c.id, TURNS.c.turns_26_at).order_by(TURNS.c.id))
    timers = connection.execute(
        sa.select(
            TIMERS.c.case_id, TIMERS.c.kind, TIMERS.c.target, TIMERS.c.status, TIMERS.c.message,
            TIMERS.c.due_at,
        )
        .where(TIMERS.c.message.is_not(None))
        .order_by(TIMERS.c.id)
    )  # fmt: skip
    return {"turns": [tuple(row) for row in turns], "timers": [tuple(row) for row in timers]}


TURNS_26 = datetime(2026, 8, 14, 22, 0, tzinfo=UTC)
EXPECTED = {
    "turns": [(1, TURNS_26), (2, None), (3, None), (4, None)],
    "timers": [
        (1, "reminder", "referent", "pending", "accompaniment.turning_26",
         datetime(2026, 5, 14, 22, 0, tzinfo=UTC)),
        (1, "escalation", "coordinators", "pending", "accompaniment.turned_26", TURNS_26),
    ],
}  # fmt: skip


async def _run(engine: AsyncEngine, work: Callable[[sa.Connection], Any]) -> Any:
    return await run_in(engine, SCHEMA, work)


async def _migrate(engine: AsyncEngine, revision: str, *, down: bool = False) -> Any:
    return await migrate_to(engine, SCHEMA, revision, down=down)


def _timer_count(connection: sa.Connection) -> int:
    return int(connection.execute(sa.text("SELECT count(*) FROM timers")).scalar_one())


async def test_mission_locale_accompaniments_get_their_age_limit_and_timers(
    engine: AsyncEngine,
) -> None:
    await _migrate(engine, "0010")
    await _run(engine, _insert)
    await _migrate(engine, "0015")
    assert await _run(engine, _read) == EXPECTED

    await _migrate(engine, "0010", down=True)
    assert await _run(engine, _timer_count) == 0
    await _migrate(engine, "0015")
    assert await _run(engine, _read) == EXPECTED
