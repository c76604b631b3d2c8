"""SQLite run in the event loop's own thread, behind the interface SQLAlchemy expects of
``aiosqlite``.

``aiosqlite`` hands every call to a thread of its own and wakes the event loop with the
answer: on this project's machine a one-row read costs 433-470 µs that way, 24-25 µs through
``sqlite3`` directly (README, Simulation). SQLite answers from its page cache in
microseconds, so relais calls it directly, from the loop's thread.

One thing must change with it: waiting for the write lock. Every relais transaction takes
SQLite's write lock at its ``BEGIN IMMEDIATE``. In a thread of its own, a second writer could
wait there for the first to commit; in the loop's thread it would stop the first from ever
committing. So the writers of one process queue in asyncio for their turn (``WriterQueue``)
before their ``BEGIN``; and a ``BEGIN`` that finds the lock held by another process (a worker
beside the web server) is tried again after a pause in asyncio, not waited for in SQLite's own
busy handler, which would hold the loop's thread meanwhile.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from os.path import realpath
from typing import Any, TypeVar

from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL

LOCKED = "database is locked"
"""SQLite's own message when its write lock could not be had in time."""
FIRST_PAUSE = 0.001
LONGEST_PAUSE = 0.02
"""The pauses, in seconds, between two tries of a ``BEGIN`` another process keeps waiting:
doubling from the first to the longest."""
T = TypeVar("T")

_QUEUES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


class WriterQueue:
    """The turn of one process's writers on one database file, in their order of arrival."""

    def __init__(self, database: str, timeout: float) -> None:
        self.database = database
        self.timeout = timeout

    def _lock(self) -> asyncio.Lock:
        # One lock per event loop: an asyncio lock belongs to the loop that first waited on it.
        if self.database in ("", ":memory:"):
            return asyncio.Lock()  # each connection is its own database
        loop = asyncio.get_running_loop()
        locks = _QUEUES.get(loop)
        if locks is None:
            locks = _QUEUES[loop] = {}
        lock = locks.get(self.database)
        if lock is None:
            lock = locks[self.database] = asyncio.Lock()
        return lock

    async def wait_turn(self, deadline: float) -> asyncio.Lock:
        """Wait for the turn to write until ``deadline`` (the loop's time), as SQLite would
        wait for its lock: then fail with its "database is locked"."""
        lock = self._lock()
        if not lock.locked():
            await lock.acquire()
            return lock
        try:
            async with asyncio.timeout_at(deadline):
                await lock.acquire()
        except TimeoutError:
            raise sqlite3.OperationalError(LOCKED) from None
        return lock


class InLoopCursor:
    """An ``aiosqlite.Cursor`` whose calls run at once, in the caller's thread."""

    def __init__(self, connection: InLoopConnection, cursor: sqlite3.Cursor) -> None:
        self._connection = connection
        self._cursor = cursor

    @property
    def description(self) -> Any:
        """The columns of the last statement's rows, None when it returned none."""
        return self._cursor.description

    @property
    def lastrowid(self) -> int | None:
        """The rowid of the last row inserted."""
        return self._cursor.lastrowid

    @property
    def rowcount(self) -> int:
        """How many rows the last statement changed."""
        return self._cursor.rowcount

    async def execute(self, sql: str, parameters: Any = ()) -> InLoopCursor:
        """Run one statement; a ``BEGIN`` first waits for its turn to write (``begin``)."""
        await self._connection.run(partial(self._cursor.execute, sql, parameters), sql)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InLoopCursor:
        """Run one statement for each set of parameters."""
        await self._connection.run(partial(self._cursor.executemany, sql, parameters), sql)
        return self

    async def fetchone(self) -> Any:
        """The next row, None after the last."""
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        """Up to ``size`` next rows."""
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        """Every remaining row."""
        return self._cursor.fetchall()

    async def close(self) -> None:
        """Release the statement."""
        self._cursor.close()


class _RunAtOnce:
    """What SQLAlchemy's adapter takes for ``aiosqlite``'s queue of calls to its thread (it
    sets the isolation level through it): here the call runs at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:  # handed to whoever awaits the future, as aiosqlite does
            future.set_exception(error)


class _OwnTransactions:
    """What SQLAlchemy's adapter sets the isolation level on (``aiosqlite``'s ``_conn``).

    relais opens every transaction itself (``BEGIN IMMEDIATE``, after its turn). Any isolation
    level but None would let ``sqlite3`` open its own before a write, taking the write lock
    without waiting for the turn; so ``sqlite3``'s stays None whatever SQLAlchemy sets (it
    sets its default back on every connection's return to the pool). SQLite's transactions are
    serializable either way.
    """

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    @property
    def isolation_level(self) -> str | None:
        """Always None: ``sqlite3`` opens no transaction of its own."""
        return self._connection.isolation_level

    @isolation_level.setter
    def isolation_level(self, _value: str | None) -> None:
        """Left at None (above)."""


class InLoopConnection:
    """An ``aiosqlite.Connection`` whose calls run at once, in the caller's thread."""

    def __init__(self, connection: sqlite3.Connection, writers: WriterQueue) -> None:
        self._sqlite = connection
        self._conn = _OwnTransactions(connection)
        self._tx = _RunAtOnce()
        self._writers = writers
        self._turn: asyncio.Lock | None = None

    @property
    def isolation_level(self) -> str | None:
        """``sqlite3``'s isolation level (None: relais issues its own ``BEGIN``)."""
        return self._sqlite.isolation_level

    async def run(self, call: Callable[[], T], sql: str) -> T:
        """``call``, which runs ``sql``: at once, or when ``sql`` opens a transaction, once
        this connection may write (``begin``)."""
        if self._turn is None and not self._sqlite.in_transaction and _begins(sql):
            return await self.begin(call)
        try:
            return call()
        finally:
            self.after()

    async def begin(self, call: Callable[[], T]) -> T:
        """Open a transaction with ``call``, waiting in asyncio, up to the busy timeout, for
        this process's other writers (``WriterQueue``), then for another process's.

        SQLite's own busy handler would wait for another process in the loop's thread, and
        the whole process would answer nothing meanwhile: here ``BEGIN`` finds the lock free
        or fails at once (a busy timeout of 0), and is tried again after a pause.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._writers.timeout
        self._turn = await self._writers.wait_turn(deadline)
        pause = FIRST_PAUSE
        self._sqlite.execute("PRAGMA busy_timeout = 0")
        try:
            while True:
                try:
                    return call()
                except sqlite3.OperationalError as error:
                    remaining = deadline - loop.time()
                    if not _busy(error) or self._sqlite.in_transaction or remaining <= 0:
                        raise
                await asyncio.sleep(min(pause, remaining))
                pause = min(pause * 2, LONGEST_PAUSE)
        finally:
            # Statements inside a transaction keep SQLite's own wait: in WAL mode they meet
            # a lock only in the instants another connection opens or closes the file.
            self._sqlite.execute(f"PRAGMA busy_timeout = {round(self._writers.timeout * 1000)}")
            self.after()

    def after(self) -> None:
        """Give the turn to the next writer once the transaction is over, however it ended."""
        if self._turn is not None and not self._sqlite.in_transaction:
            self._give_turn()

    def _give_turn(self) -> None:
        if self._turn is not None:
            turn, self._turn = self._turn, None
            turn.release()

    async def cursor(self) -> InLoopCursor:
        """A new cursor."""
        return InLoopCursor(self, self._sqlite.cursor())

    async def execute(self, sql: str, parameters: Any = ()) -> InLoopCursor:
        """Run one statement on a new cursor."""
        cursor = await self.cursor()
        return await cursor.execute(sql, parameters)

    async def executescript(self, script: str) -> InLoopCursor:
        """Run several statements; one that begins with ``BEGIN`` waits for its turn to write."""
        return InLoopCursor(
            self, await self.run(partial(self._sqlite.executescript, script), script)
        )

    async def commit(self) -> None:
        """Commit the open transaction, if any."""
        try:
            self._sqlite.commit()
        finally:
            self.after()

    async def rollback(self) -> None:
        """Roll the open transaction back, if any."""
        try:
            self._sqlite.rollback()
        finally:
            self.after()

    async def close(self) -> None:
        """Close the connection; an open transaction is rolled back."""
        self.stop()

    def stop(self) -> None:
        """Close at once (SQLAlchemy's terminate)."""
        try:
            self._sqlite.close()
        finally:
            self._give_turn()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        """Register a Python function with SQLite."""
        self._sqlite.create_function(*args, **kwargs)


def _begins(sql: str) -> bool:
    return sql.lstrip()[:5].upper() == "BEGIN"


def _busy(error: sqlite3.OperationalError) -> bool:
    """Whether SQLite refused for a lock held elsewhere (``SQLITE_BUSY``, any variant)."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


def in_loop_connector(url: URL, *, timeout: float) -> Callable[[], Any]:
    """The ``async_creator`` of an engine on ``url`` whose connections run in the loop's
    thread and wait for another process's write lock up to ``timeout`` seconds."""
    arguments: Sequence[Any]
    arguments, options = SQLiteDialect_pysqlite().create_connect_args(url)
    database = str(arguments[0]) if arguments else ""
    shared = database if options.get("uri") or database in ("", ":memory:") else realpath(database)
    # No isolation level: relais, not the driver, decides when transactions begin.
    options = {**options, "timeout": timeout, "isolation_level": None}
    # The pool may close a connection from the garbage collector's thread.
    options["check_same_thread"] = False
    writers = WriterQueue(shared, timeout)

    async def connect() -> InLoopConnection:
        return InLoopConnection(sqlite3.connect(database, **options), writers)

    return connect
