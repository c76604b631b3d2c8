"""The indicators at Paris scale: a year of all Paris for a coordinator, computed, through the
page and through ``GET /api/indicators``, and the annual report, over years written in bulk by
``paris_years`` (180,000 referrals, and a tenth of it beside for comparison).

The page, the API and the report's page are measured through the real application in
process (``httpx.ASGITransport``), as a coordinator of all Paris signed in; the report is
built and printed to PDF as ``relais report`` does.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from statistics import median, quantiles

import httpx

from benchmarks.database import Bench, connect
from benchmarks.paris_years import generate
from core.business_days import PARIS
from core.clock import FixedClock
from relais.app import create_app
from relais.demo import DEMO_PASSWORD
from services.annual_report import build_annual_report
from services.annual_report_pdf import annual_report_pdf
from services.indicators.catalogue import compute_indicators
from services.indicators.model import IndicatorQuery, Period

COORDINATOR = "coordination@relais-demo.paris"
YEAR = 2026
RUNS = 10
BUDGET_S = 120
FEWEST_RUNS = 3
"""A page far off its target is timed fewer times: the run stays within the hour."""
AFTER_THE_YEAR = datetime(YEAR + 1, 1, 4, 9, tzinfo=PARIS)
PAGE = f"/indicators?start={YEAR}-01-01&end={YEAR}-12-31"
API = f"/api/indicators?start={YEAR}-01-01&end={YEAR}-12-31"


@dataclass(frozen=True)
class Timing:
    """Median and 95th percentile of some runs, in milliseconds."""

    median_ms: float
    p95_ms: float


@dataclass(frozen=True)
class IndicatorFigures:
    """What one scale measured."""

    referrals: int
    generation_s: float
    computation: Timing
    page: Timing
    api: Timing
    report_s: float


async def timed(call: Callable[[], Awaitable[object]], runs: int = RUNS) -> Timing:
    """Run ``call`` once to warm up, then ``runs`` times, or as many as ``BUDGET_S`` allows
    (at least ``FEWEST_RUNS``): median and p95 in ms."""
    await call()
    spent: list[float] = []
    while len(spent) < runs and (len(spent) < FEWEST_RUNS or sum(spent) < BUDGET_S * 1000):
        started = time.perf_counter()
        await call()
        spent.append((time.perf_counter() - started) * 1000)
    return Timing(median(spent), quantiles(spent, n=20, method="inclusive")[18])


Show = Callable[[str, float, str], None]
"""Prints one figure (name, value, unit) as soon as it is measured."""


async def measure(bench: Bench, referrals: int, show: Show) -> IndicatorFigures:
    """Write ``referrals`` referrals over 2024-2026 into ``bench``, then time the year 2026
    as read on the first working day of 2027, showing each figure as it comes."""
    now = AFTER_THE_YEAR
    scale = f"{referrals} referrals"
    connection = await connect(bench)
    try:
        generated = await generate(connection, referrals=referrals)
    finally:
        await connection.close()
    show(f"paris years generation ({scale})", generated.seconds, "s")
    query = IndicatorQuery(Period.year(YEAR))

    async def compute() -> None:
        async with bench.sessions() as session:
            await compute_indicators(session, query)

    computation = await timed(compute)
    _show_timing(show, f"indicators computation (year, all Paris, {scale})", computation)
    app = create_app(bench.settings, clock=FixedClock(now), engine=bench.engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://relais.test") as client:
        page = await _page(client)
        _show_timing(show, f"indicators page (year, all Paris, {scale})", page)
        api = await _api(client)
        _show_timing(show, f"api indicators (year, all Paris, {scale})", api)
        report = await _report(bench, client, now)
        show(f"annual report {YEAR} ({scale})", report, "s")
    return IndicatorFigures(referrals, generated.seconds, computation, page, api, report)


def _show_timing(show: Show, name: str, timing: Timing) -> None:
    show(name, timing.median_ms, "ms")
    show(f"{name} p95", timing.p95_ms, "ms")


async def _page(client: httpx.AsyncClient) -> Timing:
    """The indicators page of the year, signed in through the login form."""
    login = await client.get("/login", headers={"Accept": "text/html"})
    token = login.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    signed = await client.post(
        "/login", data={"csrf_token": token, "email": COORDINATOR, "password": DEMO_PASSWORD}
    )
    if signed.status_code != 303:
        raise RuntimeError(f"connexion refusée : {signed.status_code}")

    async def get() -> None:
        answer = await client.get(PAGE, headers={"Accept": "text/html"})
        if answer.status_code != 200:
            raise RuntimeError(f"{PAGE} : {answer.status_code} {answer.text[:200]}")

    return await timed(get)


async def _api(client: httpx.AsyncClient) -> Timing:
    """``GET /api/indicators`` for the year, with a bearer token."""
    login = await client.post(
        "/auth/jwt/login", data={"username": COORDINATOR, "password": DEMO_PASSWORD}
    )
    login.raise_for_status()
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

    async def get() -> None:
        answer = await client.get(API, headers=headers)
        if answer.status_code != 200:
            raise RuntimeError(f"{API} : {answer.status_code} {answer.text[:200]}")

    return await timed(get)


async def _report(bench: Bench, client: httpx.AsyncClient, now: datetime) -> float:
    """Seconds to build the year's annual report and its PDF (as ``relais report`` does),
    then to serve its page (HTML) to the signed-in coordinator."""
    started = time.perf_counter()
    async with bench.sessions() as session:
        report = await build_annual_report(session, YEAR, now=now)
    annual_report_pdf(report)
    answer = await client.get(f"/report/{YEAR}", headers={"Accept": "text/html"})
    if answer.status_code != 200:
        raise RuntimeError(f"/report/{YEAR} : {answer.status_code} {answer.text[:200]}")
    return time.perf_counter() - started
