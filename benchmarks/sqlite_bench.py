"""What a statement and a transaction cost on SQLite, through relais's engine (``sqlite3`` in
the event loop's thread, ``core.sqlite_in_loop``) and through ``aiosqlite``'s thread.

Not part of ``python -m benchmarks`` (it needs no PostgreSQL)::

    .venv/bin/python -m benchmarks.sqlite_bench

On a throw-away file with 1,000 rows: a one-row read by key, one transaction that updates a
row, and 8 writers at once, each running its transactions one after the other. Both engines
run SQLite in WAL mode with ``BEGIN IMMEDIATE``, as relais does; ``aiosqlite`` waits for the
write lock in SQLite's busy handler, relais's engine in asyncio.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from statistics import median
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from core.db import create_engine

ROWS = 1_000
READS = 5_000
WRITES = 1_000
WRITERS = 8
ROUNDS = 3
"""Each figure is the median of its rounds, the engines taking turns, as in
``python -m benchmarks``: this machine's speed drifts from one minute to the next."""


def _aiosqlite_engine(url: str) -> AsyncEngine:
    """SQLAlchemy's default ``aiosqlite`` engine, set up as relais sets SQLite up."""
    engine = create_async_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


async def _reads(engine: AsyncEngine) -> float:
    """Seconds per one-row read by key, each in its own transaction."""
    query = text("SELECT value FROM numbers WHERE id = :id")
    async with engine.connect() as connection:
        started = time.perf_counter()
        for number in range(READS):
            await connection.execute(query, {"id": number % ROWS + 1})
        elapsed = time.perf_counter() - started
        await connection.rollback()
    return elapsed / READS


async def _write(engine: AsyncEngine, number: int) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE numbers SET value = value + 1 WHERE id = :id"), {"id": number % ROWS + 1}
        )


async def _writes(engine: AsyncEngine) -> float:
    """Seconds per transaction that updates one row, one after the other."""
    started = time.perf_counter()
    for number in range(WRITES):
        await _write(engine, number)
    return (time.perf_counter() - started) / WRITES


async def _concurrent_writes(engine: AsyncEngine) -> float:
    """Seconds per transaction, ``WRITERS`` writers at once."""

    async def writer(first: int) -> None:
        for number in range(first, WRITES, WRITERS):
            await _write(engine, number)

    started = time.perf_counter()
    await asyncio.gather(*(writer(first) for first in range(WRITERS)))
    return (time.perf_counter() - started) / WRITES


def _raw_reads(path: Path) -> float:
    """Seconds per one-row read by key through ``sqlite3`` alone."""
    connection = sqlite3.connect(path)
    started = time.perf_counter()
    for number in range(READS):
        connection.execute(
            "SELECT value FROM numbers WHERE id = ?", (number % ROWS + 1,)
        ).fetchall()
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed / READS


async def main() -> None:
    """Print each figure for both engines, then the ratios."""
    with tempfile.TemporaryDirectory(prefix="relais-sqlite-bench-") as folder:
        path = Path(folder) / "bench.db"
        url = f"sqlite+aiosqlite:///{path}"
        relais, threaded = create_engine(url), _aiosqlite_engine(url)
        async with relais.begin() as connection:
            await connection.execute(
                text("CREATE TABLE numbers (id INTEGER PRIMARY KEY, value INT)")
            )
            await connection.execute(text("INSERT INTO numbers (value) VALUES (0)"), [{}] * ROWS)
        measures: list[tuple[str, Callable[[AsyncEngine], Awaitable[float]]]] = [
            ("read", _reads),
            ("transaction", _writes),
            (f"transaction, {WRITERS} writers", _concurrent_writes),
        ]
        print(f"sqlite read, sqlite3 alone: {_raw_reads(path) * 1e6:.0f} µs", flush=True)
        for name, measure in measures:
            rounds = [(await measure(relais), await measure(threaded)) for _ in range(ROUNDS)]
            ours, theirs = (median(side) for side in zip(*rounds, strict=True))
            ratios = [their / our for our, their in rounds]
            print(f"sqlite {name}, relais: {ours * 1e6:.0f} µs", flush=True)
            print(f"sqlite {name}, aiosqlite: {theirs * 1e6:.0f} µs", flush=True)
            by_round = " ".join(f"{ratio:.2f}" for ratio in ratios)
            print(f"ratio sqlite {name} (aiosqlite / relais) by round: {by_round}", flush=True)
            print(f"ratio sqlite {name} (aiosqlite / relais): {median(ratios):.2f}", flush=True)
        await relais.dispose()
        await threaded.dispose()


if __name__ == "__main__":
    asyncio.run(main())
