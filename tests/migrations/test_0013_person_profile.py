"""Migration person_profile: Paris Centre, the person's residence and publics.

A database at revision 0010 holds an organisation of the 3rd arrondissement, a coordinator
of the 1st, an offer of the 4th open to « jeune », « rsa » and « autre », and two referrals
of the 2nd for one person (RSA, then demandeur d'emploi) and one for another (jeune).
Upgraded, every old code of the centre reads Paris Centre, the first person's publics are
the union of their referrals' situations, the second's none (jeunes comes from the birth
date), and the offer names jeunes and rsa. Downgraded, Paris Centre becomes 75001 and each
referral gets back a situation from its person's publics.

On PostgreSQL the migrations run in a schema of their own, on SQLite in a file of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import UTCDateTime
from tests.migrations.schema_runner import migrate_to, run_in

SCHEMA = "migration_person_profile"
AT = datetime(2026, 3, 2, 8, tzinfo=UTC)
MOMENTS = ("created_at",)


def table(name: str, *columns: str, json: str = "", moments: tuple[str, ...] = MOMENTS) -> Any:
    return sa.table(
        name,
        *(sa.column(column) for column in columns),
        *((sa.column(json, sa.JSON),) if json else ()),
        *(sa.column(column, UTCDateTime()) for column in moments),
    )


ORGANISATIONS = table("organisations", "id", "name", "kind", "territory")
USERS = table(
    "users", "id", "organisation_id", "role", "email", "hashed_password", "is_active",
    "is_superuser", "is_verified", "scope_territory",
)  # fmt: skip
PERSONS = table("persons", "id", "first_name", "last_name")
OFFERS = table(
    "offers", "id", "organisation_id", "title", "description", "category", "territory",
    "is_active", "is_accompaniment", json="eligible_publics",
)  # fmt: skip
REFERRALS = table(
    "referrals", "id", "reference", "state", "version", "offer_id", "sender_organisation_id",
    "receiver_organisation_id", "territory", "created_by_id", "person_id", "motive",
    "situation", json="barriers", moments=("consent_attested_at", "created_at", "state_entered_at"),
)  # fmt: skip


def _rows() -> list[tuple[Any, list[dict[str, Any]]]]:
    at = {"created_at": AT}
    referral = {"state": "submitted", "version": 1, "offer_id": 1, "sender_organisation_id": 1,
                "receiver_organisation_id": 1, "territory": "75002", "created_by_id": 1,
                "motive": "m", "barriers": [], "consent_attested_at": AT,
                "state_entered_at": AT, **at}  # fmt: skip
    return [
        (ORGANISATIONS, [{"id": 1, "name": "EPI", "kind": "epi", "territory": "75003", **at},
                         {"id": 2, "name": "ML", "kind": "mission_locale",
                          "territory": "75018", **at}]),
        (USERS, [{"id": 1, "organisation_id": 1, "role": "coordinator", "email": "c@t.fr",
                  "hashed_password": "x", "is_active": True, "is_superuser": False,
                  "is_verified": True, "scope_territory": "75001", **at}]),
        (PERSONS, [{"id": n, "first_name": "P", "last_name": str(n), **at} for n in (1, 2)]),
        (OFFERS, [{"id": 1, "organisation_id": 1, "title": "Suivi", "description": "",
                   "category": "trouver-un-emploi", "territory": "75004", "is_active": True,
                   "is_accompaniment": False, "eligible_publics": ["jeune", "rsa", "autre"],
                   **at}]),
        (REFERRALS, [
            {**referral, "id": 1, "reference": "OR-2026-000001", "person_id": 1,
             "situation": "rsa"},
            {**referral, "id": 2, "reference": "OR-2026-000002", "person_id": 1,
             "situation": "demandeur_emploi"},
            {**referral, "id": 3, "reference": "OR-2026-000003", "person_id": 2,
             "situation": "jeune", "territory": "75019"},
        ]),
    ]  # fmt: skip


async def _run(engine: AsyncEngine, work: Callable[[sa.Connection], Any]) -> Any:
    return await run_in(engine, SCHEMA, work)


async def _migrate(engine: AsyncEngine, revision: str, *, down: bool = False) -> Any:
    return await migrate_to(engine, SCHEMA, revision, down=down)


def _insert(connection: sa.Connection) -> None:
    for target, rows in _rows():
        connection.execute(sa.insert(target), rows)


def _territories(connection: sa.Connection) -> dict[str, list[Any]]:
    return {
        "organisations": list(
            connection.scalars(sa.text("SELECT territory FROM organisations ORDER BY id"))
        ),
        "users": list(connection.scalars(sa.text("SELECT scope_territory FROM users"))),
        "offers": list(connection.scalars(sa.text("SELECT territory FROM offers"))),
        "referrals": list(
            connection.scalars(sa.text("SELECT territory FROM referrals ORDER BY id"))
        ),
    }


def _profile(connection: sa.Connection) -> tuple[Any, ...]:
    persons = sa.table("persons", sa.column("id"), sa.column("publics", sa.JSON),
                       sa.column("residence"), sa.column("lives_in_qpv"))  # fmt: skip
    offers = sa.table("offers", sa.column("eligible_publics", sa.JSON))
    return (
        [tuple(row) for row in connection.execute(sa.select(persons).order_by(persons.c.id))],
        connection.scalar(sa.select(offers.c.eligible_publics)),
    )


async def test_centre_codes_and_situations_move_into_the_person(engine: AsyncEngine) -> None:
    await _migrate(engine, "0012")
    await _run(engine, _insert)
    await _migrate(engine, "0013")
    assert await _run(engine, _territories) == {
        "organisations": ["paris_centre", "75018"],
        "users": ["paris_centre"],
        "offers": ["paris_centre"],
        "referrals": ["paris_centre", "paris_centre", "75019"],
    }
    persons, eligible = await _run(engine, _profile)
    assert persons == [(1, ["demandeurs-emploi", "rsa"], None, False), (2, [], None, False)]
    assert eligible == ["jeunes", "rsa"]

    def columns(connection: sa.Connection) -> list[str]:
        return [column["name"] for column in sa.inspect(connection).get_columns("referrals")]

    assert "situation" not in await _run(engine, columns)

    # The widened column takes the new value; a foreign key still holds.
    def write(connection: sa.Connection) -> list[Any]:
        connection.execute(
            sa.text("UPDATE organisations SET territory = 'paris_centre' WHERE id = 2")
        )
        return list(connection.scalars(sa.text("SELECT territory FROM organisations ORDER BY id")))

    assert await _run(engine, write) == ["paris_centre", "paris_centre"]


async def test_a_downgrade_gives_back_75001_and_the_situations(engine: AsyncEngine) -> None:
    await _migrate(engine, "0012")
    await _run(engine, _insert)
    await _migrate(engine, "0013")
    await _migrate(engine, "0012", down=True)
    assert await _run(engine, _territories) == {
        "organisations": ["75001", "75018"],
        "users": ["75001"],
        "offers": ["75001"],
        "referrals": ["75001", "75001", "75019"],
    }

    def situations(connection: sa.Connection) -> tuple[list[Any], Any]:
        return (
            list(connection.scalars(sa.text("SELECT situation FROM referrals ORDER BY id"))),
            connection.scalar(
                sa.select(
                    sa.table("offers", sa.column("eligible_publics", sa.JSON)).c.eligible_publics
                )
            ),
        )

    # Best effort: a person's referrals share the situation their publics say first.
    assert await _run(engine, situations) == (["rsa", "rsa", None], ["jeune", "rsa"])
    # Upgraded again, the same.
    await _migrate(engine, "0013")
    persons, eligible = await _run(engine, _profile)
    assert persons == [(1, ["rsa"], None, False), (2, [], None, False)]
    assert eligible == ["jeunes", "rsa"]
