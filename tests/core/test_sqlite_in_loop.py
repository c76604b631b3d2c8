"""SQLite in the event loop's thread: writers of one process queue in asyncio for SQLite's
write lock, the turn passes on however a transaction ends, and a writer waits at most the
busy timeout.

On a SQLite file of each test's own, through ``core.db.create_engine`` as relais opens it.
Marked ``embedded``: SQLite only, covered by the SQLite run.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.db import create_engine

pytestmark = pytest.mark.embedded

WAIT_LIMIT = 5.0
"""Far below the 30-second busy timeout: a writer stuck in SQLite's own wait would exceed it."""


async def _engine(path: Path, busy_timeout: float = 30) -> AsyncEngine:
    engine = create_engine(f"sqlite+aiosqlite:///{path / 'driver.db'}", busy_timeout=busy_timeout)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE marks (mark TEXT PRIMARY KEY)"))
    return engine


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An engine on a fresh SQLite file with one table of marks."""
    engine = await _engine(tmp_path)
    yield engine
    await engine.dispose()


async def _mark(engine: AsyncEngine, mark: str) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO marks VALUES (:mark)"), {"mark": mark})


async def _held_up(engine: AsyncEngine, mark: str) -> asyncio.Task[None]:
    """A writer of ``mark`` started while a transaction is open, once seen waiting."""
    waiting = asyncio.create_task(_mark(engine, mark))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    return waiting


async def _let_through(waiting: asyncio.Task[None]) -> None:
    """The held-up writer ``waiting`` ends soon after the turn is given: far sooner than the
    busy timeout."""
    async with asyncio.timeout(WAIT_LIMIT):
        await waiting


async def _marks(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT mark FROM marks ORDER BY rowid"))
        return [mark for (mark,) in rows]


async def test_writers_wait_their_turn_in_order_while_the_loop_goes_on(
    engine: AsyncEngine,
) -> None:
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    ticker = asyncio.create_task(tick())
    async with asyncio.timeout(WAIT_LIMIT):
        async with engine.begin() as first:
            await first.execute(text("INSERT INTO marks VALUES ('first')"))
            waiting = [asyncio.create_task(_mark(engine, mark)) for mark in ("b", "c", "d")]
            ticks_before = ticks
            await asyncio.sleep(0.2)
            # The others wait for the first to commit, and the loop runs meanwhile.
            assert not any(task.done() for task in waiting)
            assert ticks - ticks_before >= 10
        await asyncio.gather(*waiting)
    ticker.cancel()
    assert await _marks(engine) == ["first", "b", "c", "d"]


async def _commit(connection: AsyncConnection) -> None:
    await connection.execute(text("INSERT INTO marks VALUES ('ended')"))
    await connection.commit()


async def _roll_back(connection: AsyncConnection) -> None:
    await connection.execute(text("INSERT INTO marks VALUES ('ended')"))
    await connection.rollback()


async def _fail(connection: AsyncConnection) -> None:
    await connection.execute(text("INSERT INTO marks VALUES ('twice')"))
    with pytest.raises(IntegrityError):
        await connection.execute(text("INSERT INTO marks VALUES ('twice')"))
    await connection.rollback()


async def _invalidate(connection: AsyncConnection) -> None:
    await connection.execute(text("INSERT INTO marks VALUES ('ended')"))
    await connection.invalidate()


@pytest.mark.parametrize(
    ("end", "kept"),
    [
        (_commit, ["ended", "next"]),
        (_roll_back, ["next"]),
        (_fail, ["next"]),
        (_invalidate, ["next"]),
    ],
    ids=["commit", "rollback", "error", "invalidated"],
)
async def test_the_turn_passes_on_however_the_transaction_ends(
    engine: AsyncEngine,
    end: Callable[[AsyncConnection], Awaitable[None]],
    kept: list[str],
) -> None:
    async with engine.connect() as connection:
        await connection.begin()
        waiting = await _held_up(engine, "next")
        await end(connection)
    await _let_through(waiting)
    assert await _marks(engine) == kept


async def test_a_connection_closed_mid_transaction_passes_the_turn_on(
    engine: AsyncEngine,
) -> None:
    connection = await engine.connect()
    await connection.begin()
    await connection.execute(text("INSERT INTO marks VALUES ('lost')"))
    waiting = await _held_up(engine, "next")
    await connection.close()
    await _let_through(waiting)
    assert await _marks(engine) == ["next"]


@pytest.mark.parametrize(("held", "refused"), [(0.1, False), (0.6, True)])
async def test_a_writer_waits_for_another_at_most_the_busy_timeout(
    tmp_path: Path, held: float, refused: bool
) -> None:
    engine = await _engine(tmp_path, busy_timeout=0.3)

    async def second() -> float:
        started = time.monotonic()
        try:
            await _mark(engine, "second")
        finally:
            waited[0] = time.monotonic() - started
        return waited[0]

    waited = [0.0]
    try:
        async with engine.begin() as first:
            await first.execute(text("INSERT INTO marks VALUES ('first')"))
            waiting = asyncio.create_task(second())
            await asyncio.sleep(held)
        if refused:
            with pytest.raises(OperationalError, match="database is locked"):
                await waiting
            assert 0.3 <= waited[0] < held
            assert await _marks(engine) == ["first"]
        else:
            await waiting
            assert waited[0] >= held * 0.9
            assert await _marks(engine) == ["first", "second"]
    finally:
        await engine.dispose()


@pytest.mark.parametrize(("held", "refused"), [(0.1, False), (0.6, True)])
async def test_another_process_s_lock_is_waited_for_in_asyncio_up_to_the_busy_timeout(
    tmp_path: Path, held: float, refused: bool
) -> None:
    """The other connection lets go from a callback of the loop: SQLite's own busy handler,
    waiting in the loop's thread, would keep it from ever running in time."""
    engine = await _engine(tmp_path, busy_timeout=0.3)
    other = sqlite3.connect(tmp_path / "driver.db", isolation_level=None)
    loop = asyncio.get_running_loop()
    ticks = 0

    def tick() -> None:
        nonlocal ticks
        ticks += 1
        loop.call_later(0.005, tick)

    try:
        other.execute("BEGIN IMMEDIATE")
        loop.call_later(held, other.execute, "ROLLBACK")
        tick()
        started = time.monotonic()
        if refused:
            with pytest.raises(OperationalError, match="database is locked"):
                await _mark(engine, "refused")
            assert 0.3 <= time.monotonic() - started < held
        else:
            await _mark(engine, "in time")
            assert time.monotonic() - started >= held
        # The loop went on while the engine waited: a tick every 5 ms or so.
        assert ticks >= 10
        await asyncio.sleep(held)
        await _mark(engine, "then")
        assert await _marks(engine) == ([] if refused else ["in time"]) + ["then"]
    finally:
        other.close()
        await engine.dispose()


async def test_rows_stream_in_batches(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        for number in range(25):
            await connection.execute(text("INSERT INTO marks VALUES (:n)"), {"n": f"{number:02}"})
    async with engine.connect() as connection:
        result = await connection.stream(text("SELECT mark FROM marks ORDER BY mark"))
        batches = [[mark for (mark,) in batch] async for batch in result.partitions(10)]
    assert [len(batch) for batch in batches] == [10, 10, 5]
    assert [mark for batch in batches for mark in batch] == [f"{n:02}" for n in range(25)]


@pytest.mark.parametrize("level", ["SERIALIZABLE", "READ UNCOMMITTED", "AUTOCOMMIT"])
async def test_sqlite3_never_opens_a_transaction_of_its_own(
    engine: AsyncEngine, level: str
) -> None:
    """Whatever isolation level SQLAlchemy is given, a write waits for its turn: ``sqlite3``
    opening a transaction itself before the write would take the lock out of turn, and wait
    for it in the loop's thread."""
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level=level)
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        assert driver.isolation_level is None
        await connection.begin()
        await connection.execute(text("INSERT INTO marks VALUES ('first')"))
        waiting = await _held_up(engine, "second")
        await connection.commit()
    await _let_through(waiting)
    assert await _marks(engine) == ["first", "second"]
