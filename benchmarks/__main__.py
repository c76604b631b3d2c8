"""``python -m benchmarks``: every figure, one line each, with its reference of the same run."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from statistics import median

from sqlalchemy.engine import make_url
from uvicorn.loops.auto import auto_loop_factory

from benchmarks import (
    api_bench,
    delivery_bench,
    digest_bench,
    engine_bench,
    indicators_bench,
    pages_bench,
    sweep_bench,
)
from benchmarks.database import Bench, NeedsPostgres, server_url, throwaway
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


CONCURRENT_CASES = 400
"""Referral lifecycles of the concurrent comparison, dealt to ``SESSIONS`` at once."""
SESSIONS = 8
ROUNDS = 3
"""Rounds of the engine's comparisons: the engine and its references one after the other,
each round; a figure is the median of its rounds, a ratio the median of its rounds' ratios.
This machine's speed drifts by a third from one minute to the next: two runs taken side by
side compare better than two taken minutes apart."""


async def concurrent(bench: Bench) -> None:
    """The engine, 8 sessions at once, against the statements by hand on 8 connections and
    SpiffWorkflow's BPMN referral on 8 connections, in one run (cases per second), in
    ``ROUNDS`` rounds side by side."""
    # SpiffWorkflow is the ``bench`` extra: imported here, never by relais itself.
    from benchmarks import spiff_bench

    rounds: list[tuple[float, float, float]] = []
    for _ in range(ROUNDS):
        relais = await engine_bench.engine_concurrent(bench, CONCURRENT_CASES, MONDAY, SESSIONS)
        hand = await engine_bench.by_hand_concurrent(bench, CONCURRENT_CASES, MONDAY, SESSIONS)
        spiff = await spiff_bench.concurrent(bench, CONCURRENT_CASES, SESSIONS)
        rounds.append((relais, hand, spiff))
    relais, hand, spiff = (median(figures) for figures in zip(*rounds, strict=True))
    line(f"engine concurrent ({SESSIONS} sessions)", relais, "cases/s")
    line(f"engine concurrent reference (asyncpg by hand, {SESSIONS} connections)", hand, "cases/s")
    line(f"spiffworkflow ({SESSIONS} connections, BPMN stored as JSON)", spiff, "cases/s")
    compared("engine concurrent", [engine / by_hand for engine, by_hand, _ in rounds])
    compared("engine / spiffworkflow", [engine / workflow for engine, _, workflow in rounds])


def compared(name: str, by_round: Sequence[float]) -> None:
    """Print ``ratio NAME by round: X Y Z``, then ``ratio NAME:`` their median."""
    print(f"ratio {name} by round: " + " ".join(f"{value:.2f}" for value in by_round), flush=True)
    ratio(name, median(by_round))


async def engines() -> None:
    """The engine alone, then 8 at once, each against its references of the same run, in
    ``ROUNDS`` rounds side by side."""
    async with throwaway(f"{_prefix()}_engine", MONDAY) as bench:
        referrals = 300
        rounds: list[tuple[float, float]] = []
        for _ in range(ROUNDS):
            relais = await engine_bench.through_engine(bench, referrals, MONDAY)
            hand = await engine_bench.by_hand(bench, referrals, MONDAY)
            rounds.append((relais, hand))
        relais, hand = (median(figures) for figures in zip(*rounds, strict=True))
        line("engine", relais, "transitions/s")
        line("engine reference (asyncpg by hand)", hand, "transitions/s")
        compared("engine", [engine / by_hand for engine, by_hand in rounds])
        await concurrent(bench)


async def run() -> None:
    """Run the benchmarks, each on its own throw-away database."""
    prefix = _prefix()
    await engines()
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
    or those of the indicators alone with ``indicators``)."""
    try:
        server_url()
    except NeedsPostgres as error:
        print(error, file=sys.stderr)
        raise SystemExit(2) from None
    started = time.perf_counter()
    # ``python -m benchmarks indicators``: only the indicators and the annual report;
    # ``python -m benchmarks engine``: only the engine's comparisons;
    # ``python -m benchmarks pages``: only the pages over years of Paris.
    only = {"indicators": indicators, "engine": engines, "pages": pages}
    chosen = only.get(" ".join(sys.argv[1:]), run)
    # On the event loop ``relais serve`` runs its requests on: uvicorn's ``loop="auto"``
    # (uvloop, which ``uvicorn[standard]`` installs), the references on the same loop.
    with asyncio.Runner(loop_factory=auto_loop_factory()) as runner:
        print(f"event loop: {type(runner.get_loop()).__module__}", flush=True)
        runner.run(chosen())
    line("total", time.perf_counter() - started, "s")


if __name__ == "__main__":
    main()
