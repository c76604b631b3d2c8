"""``python -m benchmarks``: every figure, one line each, with its reference of the same run."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import datetime

from sqlalchemy.engine import make_url

from benchmarks import (
    api_bench,
    delivery_bench,
    digest_bench,
    engine_bench,
    indicators_bench,
    pages_bench,
    sweep_bench,
)
from benchmarks.database import NeedsPostgres, server_url, throwaway
from core.business_days import PARIS

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)
"""The instant the benchmarks act at: a Monday with no holiday around it."""


def line(name: str, value: float, unit: str = "") -> None:
    """Print ``NAME: VALUE UNIT``."""
    print(f"{name}: {value:.4g} {unit}".rstrip(), flush=True)


def ratio(name: str, value: float) -> None:
    """Print ``ratio NAME: X``."""
    print(f"ratio {name}: {value:.2f}", flush=True)


INDICATOR_SCALES = (18_000, 180_000)
"""Referrals over 2024-2026 the indicators are measured at: a tenth, then Paris's."""


def _prefix() -> str:
    return f"{make_url(server_url()).database}_bench_{os.getpid()}"


async def indicators() -> None:
    """The indicators and the annual report at each scale, each on its own database."""
    for referrals in INDICATOR_SCALES:
        async with throwaway(f"{_prefix()}_indicators_{referrals}", MONDAY) as bench:
            await indicators_bench.measure(bench, referrals, line)


async def pages() -> None:
    """A single user's pages at each scale, each on its own database, then side by side."""
    measured: dict[int, dict[str, indicators_bench.Timing]] = {}
    for referrals in INDICATOR_SCALES:
        async with throwaway(f"{_prefix()}_pages_{referrals}", MONDAY) as bench:
            measured[referrals] = await pages_bench.measure(bench, referrals, line)
    small, large = (measured[referrals] for referrals in INDICATOR_SCALES)
    for name, timing in large.items():
        print(pages_bench.side_by_side(name, INDICATOR_SCALES, (small[name], timing)), flush=True)


async def run() -> None:
    """Run the benchmarks, each on its own throw-away database."""
    prefix = _prefix()
    async with throwaway(f"{prefix}_engine", MONDAY) as bench:
        referrals = 300
        relais = await engine_bench.through_engine(bench, referrals, MONDAY)
        hand = await engine_bench.by_hand(bench, referrals, MONDAY)
        line("engine", relais, "transitions/s")
        line("engine reference (asyncpg by hand)", hand, "transitions/s")
        ratio("engine", relais / hand)
    async with throwaway(f"{prefix}_sweep", MONDAY) as bench:
        seconds, done = await sweep_bench.many_due(bench, 10_000, MONDAY)
        line("sweep 10000 due timers", seconds, "s")
        line("sweep rate", done / seconds, "timers/s")
    async with throwaway(f"{prefix}_sweep_scale", MONDAY) as bench:
        small, large = await sweep_bench.due_among(bench, 1000, 10_000, 1_000_000, MONDAY)
        line("sweep 1000 due among 10000 pending", small, "s")
        line("sweep 1000 due among 1000000 pending", large, "s")
        ratio("sweep (large / small)", large / small)
    async with throwaway(f"{prefix}_delivery", MONDAY) as bench:
        await engine_bench.through_engine(bench, 1, MONDAY)
        relais, plain = await delivery_bench.compare(bench, 2000, MONDAY)
        line("delivery", relais, "emails/s")
        line("delivery reference (plain aiosmtplib loop)", plain, "emails/s")
        ratio("delivery", relais / plain)
    async with throwaway(f"{prefix}_api", MONDAY) as bench:
        for processes in (1, 2):
            figures = await api_bench.measure(bench, processes, 300)
            line(f"api {processes} process(es)", figures.requests_per_second, "requests/s")
            line(f"api {processes} process(es) p50", figures.p50_ms, "ms")
            line(f"api {processes} process(es) p99", figures.p99_ms, "ms")
    async with throwaway(f"{prefix}_digest", MONDAY) as bench:
        seconds, peak, per_digest = await digest_bench.measure(bench, 100_000, MONDAY)
        line("digest 100 coordinators over 100000 overdue cases", seconds, "s")
        line("digest peak memory", peak, "MiB")
        line("digest cases per digest", per_digest, "cases")
    await indicators()
    await pages()


def main() -> None:
    """Entry point: refuse clearly without PostgreSQL, then print the figures (all of them,
    or those of the indicators alone with ``indicators``, of the pages alone with ``pages``)."""
    try:
        server_url()
    except NeedsPostgres as error:
        print(error, file=sys.stderr)
        raise SystemExit(2) from None
    started = time.perf_counter()
    # ``python -m benchmarks indicators``: only the indicators and the annual report;
    # ``python -m benchmarks pages``: only the pages over years of Paris.
    only = {"indicators": indicators, "pages": pages}
    chosen = only.get(sys.argv[1]) if sys.argv[1:2] else None
    asyncio.run(chosen() if chosen is not None else run())
    line("total", time.perf_counter() - started, "s")


if __name__ == "__main__":
    main()
