"""The vocabulary-and-contacts migration moves no recorded outcome, and folds back on downgrade.

A database at revision 0010 holds a referral completed with ``employment``, one with
``training``, one returned as ``wrong_offer``, an accompaniment ended with ``person_left`` and a
handover of it, withdrawn.
Upgraded, all four read as they were (nobody said whether that job lasted or that training
qualified: the migration invents nothing), the columns take the new, longer codes and
accounts a work phone, and the database still refuses a state its lifecycle does not declare.
Downgraded, the new codes fold into the old ones that include them.

On PostgreSQL the migrations run in a schema of their own, on SQLite in a file of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import UTCDateTime
from tests.migrations.schema_runner import migrate_to, run_in

SCHEMA = "migration_vocabulary"
REVISION = "0011"
AT = datetime(2026, 3, 2, 8, tzinfo=UTC)


def table(name: str, *columns: str, json: str = "", moments: tuple[str, ...] = ()) -> Any:
    """A table as this test writes it: plain columns, a JSON one, instants."""
    return sa.table(
        name,
        *(sa.column(column) for column in columns),
        *((sa.column(json, sa.JSON),) if json else ()),
        *(sa.column(column, UTCDateTime()) for column in moments),
    )


CASE = ("consent_attested_at", "created_at", "state_entered_at")
ORGANISATIONS = table("organisations", "id", "name", "kind", "territory", moments=("created_at",))
USERS = table(
    "users", "id", "organisation_id", "role", "email", "hashed_password", "is_active",
    "is_superuser", "is_verified", moments=("created_at",),
)  # fmt: skip
PERSONS = table("persons", "id", "first_name", "last_name", moments=("created_at",))
OFFERS = table(
    "offers", "id", "organisation_id", "title", "description", "category", "territory",
    "is_active", "is_accompaniment", json="eligible_publics", moments=("created_at",),
)  # fmt: skip
REFERRALS = table(
    "referrals", "id", "reference", "state", "version", "offer_id", "sender_organisation_id",
    "receiver_organisation_id", "territory", "created_by_id", "person_id", "motive",
    "outcome", "return_reason", "return_comment", json="barriers", moments=CASE,
)  # fmt: skip
ACCOMPANIMENTS = table(
    "accompaniments", "id", "person_id", "organisation_id", "source", "reference", "state",
    "version", "territory", "exit_outcome", moments=("started_at", "ended_at", "state_entered_at"),
)  # fmt: skip
HANDOVERS = table(
    "handovers", "id", "reference", "state", "version", "person_id", "accompaniment_id",
    "from_organisation_id", "to_organisation_id", "territory", "created_by_id", "reason",
    "withdraw_reason", moments=CASE,
)  # fmt: skip


def _rows() -> list[tuple[Any, list[dict[str, Any]]]]:
    at = {"created_at": AT}
    referral = {"version": 1, "offer_id": 1, "sender_organisation_id": 1,
                "receiver_organisation_id": 2, "territory": "75011", "created_by_id": 1,
                "person_id": 1, "motive": "m", "barriers": [], "consent_attested_at": AT,
                "created_at": AT, "state_entered_at": AT, "outcome": None,
                "return_reason": None, "return_comment": None}  # fmt: skip
    return [
        (ORGANISATIONS, [{"id": 1, "name": "ML", "kind": "mission_locale", "territory": "75018",
                          **at},
                         {"id": 2, "name": "EPI", "kind": "epi", "territory": "75011", **at}]),
        (USERS, [{"id": 1, "organisation_id": 1, "role": "member", "email": "m@t.fr",
                  "hashed_password": "x", "is_active": True, "is_superuser": False,
                  "is_verified": True, **at}]),
        (PERSONS, [{"id": 1, "first_name": "P", "last_name": "Q", **at}]),
        (OFFERS, [{"id": 1, "organisation_id": 2, "title": "Suivi", "description": "",
                   "category": "trouver_un_emploi", "territory": "75011", "is_active": True,
                   "is_accompaniment": False, "eligible_publics": [], **at}]),
        (REFERRALS, [
            {**referral, "id": 1, "reference": "OR-2026-000001", "state": "completed",
             "outcome": "employment"},
            {**referral, "id": 2, "reference": "OR-2026-000002", "state": "completed",
             "outcome": "training"},
            {**referral, "id": 3, "reference": "OR-2026-000003", "state": "returned",
             "return_reason": "wrong_offer", "return_comment": "c"},
        ]),
        (ACCOMPANIMENTS, [{"id": 1, "person_id": 1, "organisation_id": 2, "source": "direct",
                           "reference": "AP-2026-000001", "state": "ended", "version": 1,
                           "territory": "75011", "exit_outcome": "person_left",
                           "started_at": AT, "ended_at": AT, "state_entered_at": AT}]),
        (HANDOVERS, [{"id": 1, "reference": "PR-2026-000001", "state": "withdrawn", "version": 1,
                      "person_id": 1, "accompaniment_id": 1, "from_organisation_id": 2,
                      "to_organisation_id": 1, "territory": "75011", "created_by_id": 1,
                      "reason": "r", "withdraw_reason": "w", "consent_attested_at": AT,
                      "created_at": AT, "state_entered_at": AT}]),
    ]  # fmt: skip


async def _run(engine: AsyncEngine, work: Callable[[sa.Connection], Any]) -> Any:
    return await run_in(engine, SCHEMA, work)


async def _migrate(engine: AsyncEngine, revision: str, *, down: bool = False) -> Any:
    return await migrate_to(engine, SCHEMA, revision, down=down)


def _insert(connection: sa.Connection) -> None:
    for target, rows in _rows():
        connection.execute(sa.insert(target), rows)


def _codes(connection: sa.Connection) -> dict[str, list[tuple[Any, ...]]]:
    referrals = sa.select(REFERRALS.c.id, REFERRALS.c.outcome, REFERRALS.c.return_reason)
    accompaniments = sa.select(ACCOMPANIMENTS.c.id, ACCOMPANIMENTS.c.exit_outcome)
    return {
        "referrals": [tuple(row) for row in connection.execute(referrals.order_by("id"))],
        "accompaniments": [tuple(row) for row in connection.execute(accompaniments)],
    }


def _handovers(connection: sa.Connection) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in connection.execute(sa.select(HANDOVERS))]


def _checks(connection: sa.Connection) -> dict[str, list[str]]:
    inspector = sa.inspect(connection)
    return {
        name: sorted(str(check["name"]) for check in inspector.get_check_constraints(name))
        for name in ("referrals", "accompaniments")
    }


RECORDED = {
    "referrals": [(1, "employment", None), (2, "training", None), (3, None, "wrong_offer")],
    "accompaniments": [(1, "person_left")],
}


async def test_no_recorded_outcome_is_moved_and_the_new_codes_fit(engine: AsyncEngine) -> None:
    await _migrate(engine, "0010")
    await _run(engine, _insert)
    checks = await _run(engine, _checks)
    handovers = await _run(engine, _handovers)
    await _migrate(engine, REVISION)
    assert await _run(engine, _codes) == RECORDED
    # SQLite rebuilt the table the handovers refer to: they are still there, as they were.
    assert await _run(engine, _handovers) == handovers
    # The state checks survived SQLite's table rebuild.
    assert await _run(engine, _checks) == checks
    assert checks["referrals"] and checks["accompaniments"]

    def record_new_codes(connection: sa.Connection) -> None:
        connection.execute(
            sa.update(REFERRALS)
            .where(REFERRALS.c.id == 1)
            .values(outcome="transitional_employment")
        )
        connection.execute(
            sa.update(REFERRALS).where(REFERRALS.c.id == 3)
            .values(return_reason="administrative_conditions")
        )  # fmt: skip
        connection.execute(sa.update(ACCOMPANIMENTS).values(exit_outcome="qualifying_training"))
        connection.execute(sa.text("UPDATE users SET work_phone = '01 44 52 10 20'"))

    await _run(engine, record_new_codes)
    assert await _run(engine, _codes) == {
        "referrals": [
            (1, "transitional_employment", None),
            (2, "training", None),
            (3, None, "administrative_conditions"),
        ],
        "accompaniments": [(1, "qualifying_training")],
    }

    def undeclared_state(connection: sa.Connection) -> None:
        connection.execute(sa.update(REFERRALS).where(REFERRALS.c.id == 2).values(state="lost"))

    with pytest.raises(IntegrityError):
        await _run(engine, undeclared_state)

    # Downgraded: each new code folds into the old one that includes it.
    await _migrate(engine, "0010", down=True)
    assert await _run(engine, _codes) == {
        "referrals": [(1, "employment", None), (2, "training", None), (3, None, "other")],
        "accompaniments": [(1, "training")],
    }
    assert await _run(engine, _checks) == checks
    assert await _run(engine, _handovers) == handovers

    def users_columns(connection: sa.Connection) -> list[str]:
        return [column["name"] for column in sa.inspect(connection).get_columns("users")]

    assert "work_phone" not in await _run(engine, users_columns)
