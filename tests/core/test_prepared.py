"""``core.prepared``: the hot statements run as asyncpg's prepared statements on PostgreSQL,
inside the session's transaction, their rows as SQLAlchemy would give them; the rows they
insert or read held by the session as the ORM would hold them. On the suite's database.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from sqlalchemy import Table, bindparam, event, insert, select
from sqlalchemy.exc import NoResultFound, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.db import transaction
from core.enums import OrganisationKind, Territory
from core.errors import AlreadyExists
from core.models import Organisation, Person
from core.prepared import Prepared, adopt, insert_row, read_row
from tests.plans import postgresql_dialect

Sessions = async_sessionmaker[AsyncSession]
ORGANISATIONS = cast(Table, Organisation.__table__)

INSERT = Prepared(
    insert(ORGANISATIONS)
    .values(
        name=bindparam("name"),
        kind=bindparam("kind"),
        territory=bindparam("territory"),
        is_active=bindparam("is_active"),
        created_at=bindparam("created_at"),
    )
    .returning(ORGANISATIONS.c.id, ORGANISATIONS.c.kind, ORGANISATIONS.c.created_at)
)
READ = Prepared(select(*ORGANISATIONS.columns).where(ORGANISATIONS.c.id == bindparam("id")))


def values(name: str, now: datetime) -> dict[str, Any]:
    return {
        "name": name,
        "kind": OrganisationKind.ASSOCIATION,
        "territory": Territory.ARR_18,
        "is_active": True,
        "created_at": now,
    }


async def names(sessionmaker: Sessions) -> list[str]:
    """What another session sees: only what was committed."""
    async with sessionmaker() as session:
        return list((await session.execute(select(Organisation.name))).scalars())


@pytest.fixture
def statements(db_engine: AsyncEngine) -> Iterator[list[str]]:
    """The first word of each statement announced to SQLAlchemy's listeners, in order."""
    seen: list[str] = []

    def note(*args: Any) -> None:
        # SQLAlchemy's own executions carry their context; a prepared statement none.
        seen.append(("prepared " if args[4] is None else "") + args[2].split()[0])

    event.listen(db_engine.sync_engine, "before_cursor_execute", note)
    yield seen
    event.remove(db_engine.sync_engine, "before_cursor_execute", note)


async def test_a_prepared_statement_belongs_to_the_sessions_transaction(
    sessionmaker: Sessions, clock: FixedClock
) -> None:
    async with sessionmaker() as session:
        # The transaction's first statement: it must begin the transaction, not commit alone.
        await INSERT.fetch(session, values("Alpha", clock.now()))
        await session.rollback()
    assert await names(sessionmaker) == []
    async with sessionmaker() as session:
        await INSERT.fetch(session, values("Beta", clock.now()))
        await session.commit()
    assert await names(sessionmaker) == ["Beta"]


async def test_each_transaction_of_a_session_has_its_own(
    sessionmaker: Sessions, clock: FixedClock
) -> None:
    async with sessionmaker() as session:
        await INSERT.fetch(session, values("Alpha", clock.now()))
        await session.commit()
        # The next transaction: the connection kept for the last one is not reused as is.
        await INSERT.fetch(session, values("Beta", clock.now()))
        await session.rollback()
        await INSERT.fetch(session, values("Gamma", clock.now()))
        await session.commit()
    assert sorted(await names(sessionmaker)) == ["Alpha", "Gamma"]


async def test_its_rows_are_as_sqlalchemy_gives_them(
    session: AsyncSession, clock: FixedClock
) -> None:
    now = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    ((organisation_id, kind, created_at),) = await INSERT.fetch(session, values("Alpha", now))
    assert kind is OrganisationKind.ASSOCIATION
    assert created_at == now and created_at.tzinfo is not None
    (row,) = await READ.fetch(session, {"id": organisation_id})
    columns = [column.key for column in ORGANISATIONS.columns]
    read = dict(zip(columns, row, strict=True))
    assert read["territory"] is Territory.ARR_18
    assert read["is_active"] is True and read["name"] == "Alpha"


async def test_a_missing_parameter_is_refused_before_anything_is_sent(
    session: AsyncSession, clock: FixedClock
) -> None:
    given = values("Alpha", clock.now())
    del given["name"]
    with pytest.raises(SQLAlchemyError, match="A value is required for bind parameter 'name'"):
        await INSERT.fetch(session, given)


def test_a_statement_leaving_a_column_to_its_python_default_is_refused() -> None:
    # ``is_active`` has a Python default, which only SQLAlchemy's execution would compute.
    statement = Prepared(insert(ORGANISATIONS).values(name=bindparam("name")))
    with pytest.raises(AssertionError, match="is_active"):
        statement._compile(postgresql_dialect())


async def test_on_postgresql_it_bypasses_sqlalchemys_execution(
    session: AsyncSession, clock: FixedClock, is_postgres: bool, statements: list[str]
) -> None:
    (row,) = await INSERT.fetch(session, values("Alpha", clock.now()))
    await READ.fetch(session, {"id": row[0]})
    if is_postgres:
        # BEGIN is asyncpg's own; neither statement went through SQLAlchemy's execution, but
        # both were announced to its listeners.
        assert statements == ["prepared INSERT", "prepared SELECT"]
    else:
        assert statements == ["BEGIN", "INSERT", "SELECT"]


async def test_a_refused_write_is_the_conflict_transaction_names(
    sessionmaker: Sessions, clock: FixedClock
) -> None:
    async with sessionmaker() as session:
        async with transaction(session):
            await INSERT.fetch(session, values("Alpha", clock.now()))
        refused = AlreadyExists("Cette structure existe déjà.")
        with pytest.raises(AlreadyExists):
            async with transaction(session, conflict=refused):
                await INSERT.fetch(session, values("Beta", clock.now()))
                await INSERT.fetch(session, values("Alpha", clock.now()))
        # Nothing of the refused unit of work was kept, and the session goes on.
        async with transaction(session):
            await INSERT.fetch(session, values("Gamma", clock.now()))
    assert sorted(await names(sessionmaker)) == ["Alpha", "Gamma"]


async def test_an_inserted_row_is_held_as_after_a_flush(
    sessionmaker: Sessions, clock: FixedClock
) -> None:
    async with sessionmaker() as session:
        person = Person(first_name="Awa", last_name="Diallo", created_at=clock.now())
        assert await insert_row(session, person) == ()
        assert person.id is not None
        # Its Python defaults, as the flush would have set them.
        assert person.publics == [] and person.lives_in_qpv is False and person.name_key == ""
        assert person in session and not session.new and not session.dirty
        assert await session.get(Person, person.id) is person
        # A later change is an ordinary update of the row.
        person.phone = "0601020304"
        await session.commit()
    async with sessionmaker() as session:
        stored = await session.get_one(Person, person.id)
        assert (stored.first_name, stored.phone, stored.publics) == ("Awa", "0601020304", [])


async def test_an_insert_waits_for_the_changes_the_session_holds(
    sessionmaker: Sessions, clock: FixedClock
) -> None:
    async with sessionmaker() as session:
        # Alpha, pending, is written first, as the ORM orders its writes (a row referring to
        # a pending one needs it written).
        session.add(Organisation(**values("Alpha", clock.now())))
        await insert_row(session, Organisation(**values("Beta", clock.now())))
        assert not session.new
        await session.commit()
    assert sorted(await names(sessionmaker)) == ["Alpha", "Beta"]


async def test_an_adopted_row_replaces_what_the_session_held(
    session: AsyncSession, clock: FixedClock
) -> None:
    organisation = Organisation(**values("Alpha", clock.now()))
    await insert_row(session, organisation)
    organisation.name = "Changed in memory"
    (row,) = await READ.fetch(session, {"id": organisation.id})
    assert adopt(session, Organisation, row) is organisation
    assert organisation.name == "Alpha" and not session.dirty
    session.expunge(organisation)
    fresh = adopt(session, Organisation, row)
    assert fresh is not organisation and fresh.name == "Alpha"
    assert fresh in session and not session.dirty and not session.new
    assert await session.get(Organisation, fresh.id) is fresh


async def test_a_row_is_read_as_get_one_reads_it(sessionmaker: Sessions, clock: FixedClock) -> None:
    async with sessionmaker() as session:
        await insert_row(session, Organisation(**values("Alpha", clock.now())))
        await session.commit()
    async with sessionmaker() as session:
        (organisation_id,) = (await session.execute(select(Organisation.id))).scalars()
    async with sessionmaker() as session:
        read = await read_row(session, Organisation, organisation_id)
        assert (read.name, read.kind, read.is_active) == (
            "Alpha",
            OrganisationKind.ASSOCIATION,
            True,
        )
        assert read in session and not session.dirty
        # A row the session holds is that row, with what it holds.
        read.name = "Renamed"
        assert await read_row(session, Organisation, organisation_id) is read
        assert read.name == "Renamed"
        with pytest.raises(NoResultFound):
            await read_row(session, Organisation, organisation_id + 1)
