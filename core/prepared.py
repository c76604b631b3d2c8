"""A hot statement run as asyncpg's prepared statement, in the session's transaction.

Through the session, one statement costs about 0.16 ms of Python before and after its round
trip (the greenlet, the execution context, the result's processing); asyncpg itself spends
0.06 ms on the same row. The few statements every transition sends on PostgreSQL are run
here: written once with SQLAlchemy like any other, compiled once for PostgreSQL, their
parameters converted by the compiled form's own bind processors, then given to the
connection the session already holds. Elsewhere (SQLite), or before the session's
transaction has sent anything, they go through the session as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any, NamedTuple, TypeVar, cast

import asyncpg
from sqlalchemy import ColumnDefault, Executable, Table, bindparam, insert, inspect, select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError, InvalidRequestError, NoResultFound
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapper
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ClauseElement

Row = TypeVar("Row")


class Prepared:
    """``statement`` compiled once for PostgreSQL; ``fetch`` runs it on a session."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: tuple[str, tuple[_Slot, ...], SQLCompiler] | None = None
        self._result_processors: tuple[Callable[[Any], Any] | None, ...] | None = None

    async def fetch(self, session: AsyncSession, parameters: Mapping[str, Any]) -> Sequence[Any]:
        """The statement's rows (each indexable by position), run with ``parameters``."""
        held = await _driver(session)
        if held is not None:
            return await self._run(held[0], held[1], parameters)
        return list(await session.execute(self.statement, parameters))

    async def _run(
        self, connection: AsyncConnection, driver: asyncpg.Connection, parameters: Mapping[str, Any]
    ) -> Sequence[Any]:
        dialect = connection.dialect
        sql, slots, compiled = self._compile(dialect)
        arguments = [slot.argument(parameters) for slot in slots]
        records = await _fetch(connection, driver, sql, arguments)
        return _converted(records, self._converters(dialect, compiled))

    def _converters(
        self, dialect: Dialect, compiled: SQLCompiler
    ) -> tuple[Callable[[Any], Any] | None, ...]:
        """Each result column's processor (an enum's member from its text), as SQLAlchemy
        would apply it."""
        if self._result_processors is None:
            self._result_processors = _result_processors(dialect, compiled)
        return self._result_processors

    def _compile(self, dialect: Dialect) -> tuple[str, tuple[_Slot, ...], SQLCompiler]:
        if self._compiled is None:
            compiled = cast(ClauseElement, self.statement).compile(dialect=dialect)
            assert isinstance(compiled, SQLCompiler) and compiled.positiontup is not None
            # An expanding parameter (``IN``) is rendered at each execution: not a fit here.
            assert not compiled.post_compile_params, "a prepared statement has fixed SQL"
            # A column default computed at each execution is SQLAlchemy's execution's work:
            # the statement must give every column it writes.
            assert not (compiled.insert_prefetch or compiled.update_prefetch), (
                f"give every column a value: {compiled.insert_prefetch or compiled.update_prefetch}"
            )
            assert not compiled.escaped_bind_names, "parameters are plain names"
            processors = cast(Mapping[str, Callable[[Any], Any]], compiled._bind_processors)
            slots = tuple(
                _Slot(name, compiled.binds[name], processors.get(name))
                for name in compiled.positiontup
            )
            self._compiled = (compiled.string, slots, compiled)
        return self._compiled


async def read_rows(session: AsyncSession, statement: Executable) -> Sequence[Any]:
    """The rows of ``statement``, a read of many rows (an export's), each indexable by
    position, in the session's transaction.

    On PostgreSQL the rows are asyncpg's own, converted only where a column has a processor:
    not made into SQLAlchemy's rows, which took a quarter of the read of an export's 41,000
    lines. The statement is compiled for this read alone (about 0.5 ms), its ``IN`` lists
    and literal values written out as SQLAlchemy's execution writes them. Elsewhere
    (SQLite), through the session.
    """
    held = await _driver(session)
    if held is None:
        return list(await session.execute(statement))
    connection, driver = held
    compiled = cast(ClauseElement, statement).compile(dialect=connection.dialect)
    assert isinstance(compiled, SQLCompiler)
    # SQLAlchemy's own expansion of the lists and literals (private: SQLAlchemy is pinned by
    # requirements.lock, and tests/core/test_read_rows.py reads a list through it).
    expanded = compiled._process_parameters_for_postcompile(compiled.construct_params())
    processors = cast(
        Mapping[str, Callable[[Any], Any]],
        {**compiled._bind_processors, **expanded.processors},
    )
    arguments = []
    for name in expanded.positiontup or ():
        value = expanded.parameters[name]
        processor = processors.get(name)
        arguments.append(value if processor is None else processor(value))
    records = await _fetch(connection, driver, expanded.statement, arguments)
    return _converted(records, _result_processors(connection.dialect, compiled))


async def _fetch(
    connection: AsyncConnection, driver: asyncpg.Connection, sql: str, arguments: list[Any]
) -> Sequence[Any]:
    """``sql``'s rows from asyncpg, its errors as SQLAlchemy would raise them."""
    # Announced as any statement is (no execution context: SQLAlchemy runs none), so that
    # whoever listens to what is sent (a test counting statements) sees it too.
    sync = connection.sync_connection
    assert sync is not None
    sync.dispatch.before_cursor_execute(sync, None, sql, arguments, None, False)
    try:
        records: Sequence[Any] = await driver.fetch(sql, *arguments)
    except asyncpg.IntegrityConstraintViolationError as error:
        raise IntegrityError(sql, arguments, error) from error
    except asyncpg.PostgresError as error:
        raise DBAPIError(sql, arguments, error) from error
    return records


def _result_processors(
    dialect: Dialect, compiled: SQLCompiler
) -> tuple[Callable[[Any], Any] | None, ...]:
    """Each result column's processor (an enum's member from its text...), as SQLAlchemy
    would apply it; None for a column that has none."""
    return tuple(
        column.type._cached_result_processor(dialect, None) for column in compiled._result_columns
    )


def _converted(
    records: Sequence[Any], converters: tuple[Callable[[Any], Any] | None, ...]
) -> Sequence[Any]:
    """``records`` with each column converted by its processor, as they are when none has
    one."""
    if not any(converters):
        return records
    return [
        tuple(
            convert(value) if convert is not None else value
            for convert, value in zip(converters, record, strict=True)
        )
        for record in records
    ]


class _Slot(NamedTuple):
    """One positional parameter of a prepared statement: its name, its bind (for a value
    the statement itself carries) and its type's processor."""

    name: str
    bind: BindParameter[Any]
    processor: Callable[[Any], Any] | None

    def argument(self, parameters: Mapping[str, Any]) -> Any:
        """The value given for it, else the statement's own, converted for the driver."""
        if self.name in parameters:
            value = parameters[self.name]
        elif not self.bind.required:
            value = self.bind.effective_value
        else:
            raise InvalidRequestError(f"A value is required for bind parameter {self.name!r}")
        return value if self.processor is None else self.processor(value)


_HELD = "relais.prepared_connection"


async def _driver(session: AsyncSession) -> tuple[AsyncConnection, asyncpg.Connection] | None:
    """The session's connection and its asyncpg connection, in a transaction begun on the
    server; None when not on PostgreSQL or not in a transaction that may be bypassed.

    Kept for the session's transaction: asking the session again costs as much as the
    statement's own Python.
    """
    transaction = session.sync_session.get_transaction()
    held = session.info.get(_HELD)
    if held is not None and held[0] is transaction and held[2].is_in_transaction():
        return held[1], held[2]
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        return None
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if not isinstance(driver, asyncpg.Connection):
        return None
    if not driver.is_in_transaction():
        await _begin(raw.dbapi_connection)
    # asyncpg outside a transaction would commit the statement on its own (an autocommit
    # connection has none): only inside one may the session be bypassed.
    if not driver.is_in_transaction():
        return None
    session.info[_HELD] = (session.sync_session.get_transaction(), connection, driver)
    return connection, driver


async def _begin(adapter: Any) -> None:
    """The BEGIN that SQLAlchemy's asyncpg adapter sends before a transaction's first
    statement, sent now because that statement bypasses it: its own method, private
    (SQLAlchemy is pinned by requirements.lock; tests/core/test_prepared.py fails if it
    changes), so that the session's state and the server's agree."""
    await adapter._start_transaction()


def adopt(session: AsyncSession, model: type[Row], values: Sequence[Any]) -> Row:
    """The session's object for the row whose column values, in its table's column order,
    are ``values``: as a query with ``populate_existing`` would give it, the object the session
    already holds for that row with these values, else a new one, persistent in the session."""
    mapper = cast(Mapper[Any], inspect(model))
    keys = _column_keys(mapper)
    identity = mapper.identity_key_from_primary_key(tuple(values[index] for index in keys.primary))
    instance = session.sync_session.identity_map.get(identity)
    if instance is not None:
        state = instance_state(instance)
        state.dict.update(zip(keys.names, values, strict=True))
        # Any change it held is discarded, as ``populate_existing`` does.
        state._commit_all(state.dict, session.sync_session.identity_map)
        return cast(Row, instance)
    instance = mapper.class_manager.new_instance()
    state = instance_state(instance)
    state.dict.update(zip(keys.names, values, strict=True))
    # As the ORM's loading does: the identity marks it as a row of the database.
    state.key = identity
    session.add(instance)
    return cast(Row, instance)


class _ColumnKeys(NamedTuple):
    names: tuple[str, ...]
    """The attribute of each of the table's columns, in the table's order."""
    primary: tuple[int, ...]
    """The positions of the primary key's columns."""


@cache
def _column_keys(mapper: Mapper[Any]) -> _ColumnKeys:
    table = mapper.local_table
    names = tuple(mapper.get_property_by_column(column).key for column in table.columns)
    primary = tuple(list(table.columns).index(cast(Any, column)) for column in mapper.primary_key)
    return _ColumnKeys(names, primary)


_INSERTS: dict[tuple[str, tuple[str, ...]], Prepared] = {}


async def insert_row(
    session: AsyncSession,
    row: Row,
    statement: Callable[[Table, tuple[str, ...]], Prepared] | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> Sequence[Any]:
    """Insert ``row``, a new mapped object, and hold it in ``session`` as a flush would have;
    what the insert returned after the row's columns.

    One prepared ``INSERT … RETURNING`` of all its columns: the unit of work's flush of a
    single row costs half as much again. Its column defaults and version (1) are set as the
    flush would set them. ``statement`` builds, for a table and the columns given, a statement
    returning the row's columns then others (its parameters: the columns' names and
    ``parameters``), to write more in the same round trip (a case's creation:
    ``states.one_statement``). A row carrying related objects, or a session holding other
    changes, is flushed the usual way first, in the ORM's order (nothing more is written).
    """
    mapper = cast(Mapper[Any], inspect(type(row)))
    state = instance_state(row)
    if any(relationship.key in state.dict for relationship in mapper.relationships):
        if statement is not None:
            raise ValueError("a row with related objects is inserted by the unit of work")
        session.add(row)
        await session.flush()
        return ()
    if session.new or session.dirty or session.deleted:
        await session.flush()
    keys = _column_keys(mapper)
    table = cast(Table, mapper.local_table)
    values = _insert_values(mapper, table, keys, state.dict)
    given = tuple(sorted(values))
    if statement is not None:
        prepared = statement(table, given)
    else:
        if (table.name, given) not in _INSERTS:
            columns = {key: bindparam(key, type_=table.c[key].type) for key in given}
            insert_one = insert(table).values(columns).returning(*table.columns)
            _INSERTS[(table.name, given)] = Prepared(insert_one)
        prepared = _INSERTS[(table.name, given)]
    (written,) = await prepared.fetch(session, {**values, **(parameters or {})})
    count = len(keys.names)
    state.dict.update(zip(keys.names, written[:count], strict=True))
    # Written as it is now: no change left for a flush, as after the ORM's own.
    state._commit_all(state.dict)
    state.key = mapper.identity_key_from_primary_key(
        tuple(written[index] for index in keys.primary)
    )
    session.add(row)
    return tuple(written[count:])


def _insert_values(
    mapper: Mapper[Any], table: Table, keys: _ColumnKeys, given: Mapping[str, Any]
) -> dict[str, Any]:
    """The columns' values for an insert: those given, else their Python default (the
    version: 1); a column left out takes the server's default."""
    values: dict[str, Any] = {}
    for column, name in zip(table.columns, keys.names, strict=True):
        value = given.get(name)
        if value is None and column is mapper.version_id_col:
            value = 1
        elif value is None and isinstance(column.default, ColumnDefault):
            # A callable default is wrapped by SQLAlchemy to take the execution's context,
            # which relais's defaults (list, dict) do not read.
            value = column.default.arg(None) if column.default.is_callable else column.default.arg
        if value is not None:
            values[column.key] = value
    return values


_READS: dict[str, Prepared] = {}


async def read_row(session: AsyncSession, model: type[Row], ident: int) -> Row:
    """``session.get_one(model, ident)``, a row not held yet read by a prepared statement.

    A row the session holds goes through ``get_one`` (it may hold changes, or need only its
    expired columns). Another is read by its id and adopted (``adopt``); pending changes
    are not flushed first, as no change to another row alters what this one reads.
    ``NoResultFound`` when there is no such row.
    """
    mapper = cast(Mapper[Any], inspect(model))
    identity = mapper.identity_key_from_primary_key((ident,))
    if session.sync_session.identity_map.get(identity) is not None:
        return await session.get_one(model, ident)
    table = cast(Table, mapper.local_table)
    if table.name not in _READS:
        (key,) = mapper.primary_key
        by_id = select(*table.columns).where(key == bindparam("ident", type_=key.type))
        _READS[table.name] = Prepared(by_id)
    rows = await _READS[table.name].fetch(session, {"ident": ident})
    if not rows:
        raise NoResultFound(f"No row was found for {mapper.class_.__name__} {ident}")
    return adopt(session, model, rows[0])
