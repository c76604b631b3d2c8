"""Migration 0010 turns the accompaniments already recorded into cases of their lifecycle.

A database at revision 0009 holds four accompaniments: (1) begun by a referral that got news
since, (2) started by the coordination and ended by a handover, (3) begun by that handover,
(4) started by the coordination, without news since. Upgraded, each has its reference
(continuing the year's counter), state, version, territory, history and, when active, its
progress-check timers counted from the person's latest news; the database then refuses an
undeclared state, or an end date that does not match the state. Downgraded, all of it goes;
upgraded again, it comes back the same.

On PostgreSQL the migrations run in a schema of their own, on SQLite in a file of their own:
the suite's database is left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.business_days import add_business_days
from core.db import UTCDateTime
from tests.migrations.schema_runner import migrate_to, run_in

SCHEMA = "migration_0010"
Row = dict[str, Any]


def utc(year: int, month: int, day: int, hour: int) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def table(name: str, *columns: str, json: str = "", moments: tuple[str, ...] = ()) -> Any:
    """A table as this test writes it: plain columns, a JSON one, instants stored as relais
    stores them."""
    return sa.table(
        name,
        *(sa.column(column) for column in columns),
        *((sa.column(json, sa.JSON),) if json else ()),
        *(sa.column(column, UTCDateTime()) for column in moments),
    )


CREATED = ("created_at",)
CASE = ("consent_attested_at", "created_at", "state_entered_at")
ORGANISATIONS = table("organisations", "id", "name", "kind", "territory", moments=CREATED)
USERS = table(
    "users", "id", "organisation_id", "role", "email", "hashed_password", "is_active",
    "is_superuser", "is_verified", moments=CREATED,
)  # fmt: skip
PERSONS = table("persons", "id", "first_name", "last_name", moments=CREATED)
OFFERS = table(
    "offers", "id", "organisation_id", "title", "description", "category", "territory",
    "is_active", "is_accompaniment", json="eligible_publics", moments=CREATED,
)  # fmt: skip
REFERRALS = table(
    "referrals", "id", "reference", "state", "version", "offer_id", "sender_organisation_id",
    "receiver_organisation_id", "territory", "created_by_id", "person_id", "motive",
    json="barriers", moments=CASE,
)  # fmt: skip
HANDOVERS = table(
    "handovers", "id", "reference", "state", "version", "person_id", "accompaniment_id",
    "from_organisation_id", "to_organisation_id", "territory", "created_by_id", "reason",
    moments=(*CASE, "first_meeting_at"),
)  # fmt: skip
ACCOMPANIMENTS = table(
    "accompaniments", "id", "person_id", "organisation_id", "source", "source_id",
    "started_by_id", "reason", "reference", "state", "version", "territory", "exit_outcome",
    moments=("started_at", "ended_at", "state_entered_at"),
)  # fmt: skip
EVENTS = table(
    "events", "id", "case_kind", "case_id", "trigger", "from_state", "to_state", "actor_id",
    "organisation_id", json="payload", moments=("occurred_at",),
)  # fmt: skip
TIMERS = table(
    "timers", "case_kind", "case_id", "state", "kind", "target", "status",
    moments=("due_at", "created_at", "closed_at"),
)  # fmt: skip
SEQUENCES = table("reference_sequences", "prefix", "year", "last_value")

ML, EPI, EPEC = 1, 2, 3  # the Mission locale (18e), an EPI (11e), the coordination (Paris)
COORDINATOR, MEMBER = 1, 2
REFERRED_AT = utc(2026, 3, 2, 8)  # Monday 2 March 2026, 09:00 in Paris
NOTED_AT = utc(2026, 5, 28, 13)  # Thursday 28 May, 15:00 in Paris
STARTED_2025 = utc(2025, 12, 1, 9)
HANDED_OVER_AT = utc(2026, 2, 2, 10)
QUIET_SINCE = utc(2026, 1, 15, 9)


def _directory() -> list[tuple[Any, list[Row]]]:
    at = {"created_at": utc(2025, 1, 6, 9)}
    account = {"hashed_password": "x", "is_active": True, "is_superuser": False,
               "is_verified": True, **at}  # fmt: skip
    return [
        (ORGANISATIONS, [
            {"id": ML, "name": "ML", "kind": "mission_locale", "territory": "75018", **at},
            {"id": EPI, "name": "EPI", "kind": "epi", "territory": "75011", **at},
            {"id": EPEC, "name": "EPEC", "kind": "epec", "territory": "paris", **at},
        ]),
        (USERS, [
            {"id": COORDINATOR, "organisation_id": EPEC, "role": "coordinator", "email": "c@t.fr",
             **account},
            {"id": MEMBER, "organisation_id": EPI, "role": "member", "email": "e@t.fr", **account},
        ]),
        (PERSONS, [{"id": n, "first_name": "P", "last_name": str(n), **at} for n in (1, 2, 3)]),
        (OFFERS, [{"id": 1, "organisation_id": EPI, "title": "Suivi", "description": "",
                   "category": "trouver_un_emploi", "territory": "75011", "is_active": True,
                   "is_accompaniment": True, "eligible_publics": [], **at}]),
    ]  # fmt: skip


def _cases() -> list[tuple[Any, list[Row]]]:
    case = {"version": 1, "consent_attested_at": REFERRED_AT, "created_at": REFERRED_AT}
    return [
        (REFERRALS, [{**case, "id": 1, "reference": "OR-2026-000001", "state": "in_progress",
                      "offer_id": 1, "sender_organisation_id": ML, "receiver_organisation_id": EPI,
                      "territory": "75020", "created_by_id": MEMBER, "person_id": 1,
                      "motive": "m", "barriers": [], "state_entered_at": REFERRED_AT}]),
        (ACCOMPANIMENTS, [
            _accompaniment(1, 1, EPI, "referral", 1, REFERRED_AT),
            _accompaniment(2, 2, ML, "direct", None, STARTED_2025, HANDED_OVER_AT, COORDINATOR),
            _accompaniment(3, 2, EPI, "handover", 1, HANDED_OVER_AT),
            _accompaniment(4, 3, EPEC, "direct", None, QUIET_SINCE, None, COORDINATOR),
        ]),
        (HANDOVERS, [{**case, "id": 1, "reference": "PR-2026-000001", "state": "completed",
                      "person_id": 2, "accompaniment_id": 2, "from_organisation_id": ML,
                      "to_organisation_id": EPI, "territory": "75019",
                      "created_by_id": COORDINATOR, "reason": "r",
                      "state_entered_at": HANDED_OVER_AT, "first_meeting_at": HANDED_OVER_AT}]),
        (EVENTS, [
            _event("referral", 1, "start", EPI, REFERRED_AT),
            _event("referral", 1, "note", EPI, NOTED_AT),
            _event("referral", 1, "expire", None, utc(2026, 6, 30, 8)),  # relais: no news
            _event("handover", 1, "confirm", EPI, HANDED_OVER_AT),
        ]),
        (SEQUENCES, [{"prefix": "AP", "year": 2026, "last_value": 7}]),
    ]  # fmt: skip


def _accompaniment(
    id_: int, person: int, organisation: int, source: str, source_id: int | None,
    started_at: datetime, ended_at: datetime | None = None, started_by_id: int | None = None,
) -> Row:  # fmt: skip
    return {"id": id_, "person_id": person, "organisation_id": organisation, "source": source,
            "source_id": source_id, "started_at": started_at, "ended_at": ended_at,
            "started_by_id": started_by_id}  # fmt: skip


def _event(kind: str, case: int, trigger: str, org: int | None, at: datetime) -> Row:
    return {"case_kind": kind, "case_id": case, "trigger": trigger,
            "from_state": None, "to_state": "x", "actor_id": None, "organisation_id": org,
            "payload": {}, "occurred_at": at}  # fmt: skip


async def _run(engine: AsyncEngine, work: Callable[[sa.Connection], Any]) -> Any:
    return await run_in(engine, SCHEMA, work)


async def _migrate(engine: AsyncEngine, revision: str, *, down: bool = False) -> Any:
    return await migrate_to(engine, SCHEMA, revision, down=down)


def _insert(connection: sa.Connection) -> None:
    for target, rows in (*_directory(), *_cases()):
        connection.execute(sa.insert(target), rows)


def _read(connection: sa.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """What the migration wrote: accompaniments, their events and timers, the counters."""
    order = {"accompaniments": "id", "events": "id", "timers": "case_id"}
    found = {}
    for target, columns in (
        (ACCOMPANIMENTS, ("id", "reference", "state", "version", "territory", "state_entered_at",
                          "exit_outcome")),
        (EVENTS, ("case_id", "trigger", "from_state", "to_state", "actor_id", "organisation_id",
                  "occurred_at")),
        (TIMERS, ("case_id", "kind", "target", "state", "status", "due_at", "created_at")),
        (SEQUENCES, ("prefix", "year", "last_value")),
    ):  # fmt: skip
        statement = sa.select(*(target.c[name] for name in columns))
        if target.name in ("events", "timers"):
            statement = statement.where(target.c.case_kind == "accompaniment")
        key = order.get(target.name, "year")
        statement = statement.order_by(target.c[key], *(target.c[name] for name in columns[:2]))
        found[target.name] = [tuple(row) for row in connection.execute(statement)]
    return found


def _handovers(connection: sa.Connection) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in connection.execute(sa.select(HANDOVERS))]


def _due(since: datetime) -> list[tuple[str, datetime]]:
    return [
        ("escalation", add_business_days(since, 100)),
        ("reminder", add_business_days(since, 90)),
    ]


def _timers(
    case_id: int, since: datetime, due: list[tuple[str, datetime]]
) -> list[tuple[Any, ...]]:
    targets = {"reminder": "referent", "escalation": "coordinators"}
    return [(case_id, kind, targets[kind], "active", "pending", at, since) for kind, at in due]


EXPECTED: dict[str, list[tuple[Any, ...]]] = {
    "accompaniments": [
        (1, "AP-2026-000010", "active", 1, "75020", REFERRED_AT, None),
        (2, "AP-2025-000001", "ended", 1, "75018", HANDED_OVER_AT, None),
        (3, "AP-2026-000009", "active", 1, "75019", HANDED_OVER_AT, None),
        (4, "AP-2026-000008", "active", 1, "paris", QUIET_SINCE, None),
    ],
    # In the order they began; the coordination's by its coordinator, the others by the
    # organisation that took the person on; the handover's end by relais.
    "events": [
        (2, "begin", None, "active", COORDINATOR, EPEC, STARTED_2025),
        (4, "begin", None, "active", COORDINATOR, EPEC, QUIET_SINCE),
        (3, "begin", None, "active", None, EPI, HANDED_OVER_AT),
        (1, "begin", None, "active", None, EPI, REFERRED_AT),
        (2, "hand_over", "active", "ended", None, None, HANDED_OVER_AT),
    ],
    # (1) counts from its referral's note (+90: Friday 2 October, +100: Friday 16 October,
    # 15:00 in Paris), not from relais's later expiry; (3) from its beginning, which was news
    # too; (4) from its start.
    "timers": [
        *_timers(
            1, NOTED_AT, [("escalation", utc(2026, 10, 16, 13)), ("reminder", utc(2026, 10, 2, 13))]
        ),
        *_timers(3, HANDED_OVER_AT, _due(HANDED_OVER_AT)),
        *_timers(4, QUIET_SINCE, _due(QUIET_SINCE)),
    ],
    "reference_sequences": [("AP", 2025, 1), ("AP", 2026, 10)],
}


async def test_recorded_accompaniments_become_cases_of_their_lifecycle(
    engine: AsyncEngine,
) -> None:
    await _migrate(engine, "0009")
    await _run(engine, _insert)
    handovers = await _run(engine, _handovers)
    await _migrate(engine, "0010")
    assert await _run(engine, _read) == EXPECTED
    # SQLite rebuilt the table the handovers refer to: they are still there, as they were.
    assert await _run(engine, _handovers) == handovers


@pytest.mark.parametrize(
    "values",
    [{"state": "lost"}, {"state": "ended"}, {"ended_at": REFERRED_AT}],
    ids=["undeclared-state", "ended-without-end", "end-while-active"],
)
async def test_the_database_refuses_a_state_the_lifecycle_does_not_allow(
    engine: AsyncEngine, values: Row
) -> None:
    await _migrate(engine, "0009")
    await _run(engine, _insert)
    await _migrate(engine, "0010")

    def change(connection: sa.Connection) -> None:
        connection.execute(
            sa.update(ACCOMPANIMENTS).where(ACCOMPANIMENTS.c.id == 1).values(**values)
        )

    with pytest.raises(IntegrityError):
        await _run(engine, change)
    assert (await _run(engine, _read))["accompaniments"] == EXPECTED["accompaniments"]


async def test_a_downgrade_takes_it_all_back_and_an_upgrade_gives_it_again(
    engine: AsyncEngine,
) -> None:
    await _migrate(engine, "0009")
    await _run(engine, _insert)
    await _migrate(engine, "0010")
    await _migrate(engine, "0008", down=True)

    def left(connection: sa.Connection) -> tuple[list[str], int]:
        columns = [
            column["name"] for column in sa.inspect(connection).get_columns("accompaniments")
        ]
        kinds = sa.select(sa.func.count()).where(EVENTS.c.case_kind == "accompaniment")
        return columns, connection.scalar(kinds.select_from(EVENTS)) or 0

    columns, events = await _run(engine, left)
    assert "reference" not in columns and "state" not in columns
    assert events == 0

    # Upgraded again: the same cases, under references never handed out before.
    await _migrate(engine, "0010")
    again = await _run(engine, _read)
    assert [row[1] for row in again["accompaniments"]] == [
        "AP-2026-000013",
        "AP-2025-000002",
        "AP-2026-000012",
        "AP-2026-000011",
    ]
    assert [row[2:] for row in again["accompaniments"]] == [
        row[2:] for row in EXPECTED["accompaniments"]
    ]
    assert (again["events"], again["timers"]) == (EXPECTED["events"], EXPECTED["timers"])
    assert again["reference_sequences"] == [("AP", 2025, 2), ("AP", 2026, 13)]
