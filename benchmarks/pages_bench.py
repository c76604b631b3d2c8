"""A single user's pages and API answers over years of Paris (``paris_years``): the inbox of
the busiest organisation, a case page with a long history, the coordinators' dashboard of
all Paris and its overdue cases a page at a time, a filtered referral list and the overdue
cases' CSV export.

Each is measured through the real application in process (``httpx.ASGITransport``), signed
in through the login form (pages) or with a bearer token (API), as the benchmark of the
indicators does. The CSV export grows with its rows: it is streamed, and its time to first
byte and its total are given apart (``EXPORT_RUNS`` runs), of a territory and of all Paris.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import median

import httpx
from sqlalchemy import text

from benchmarks.database import Bench, connect
from benchmarks.indicators_bench import AFTER_THE_YEAR, Show, Timing, timed
from benchmarks.paris_years import generate
from core.clock import FixedClock
from relais.app import create_app, prepare_collector
from relais.demo import DEMO_PASSWORD

COORDINATOR = "coordination@relais-demo.paris"
RUNS = 20
EXPORT_RUNS = 5
"""How many times each whole export is read (after a first one)."""
LATER_PAGE = 10
"""How many ``next_cursor`` the later page of ``/api/overdue`` follows from the first."""
TERRITORY = "75018"
"""The sector of the filtered list and of the export a coordinator would make."""
EXPORTS = (("all Paris", "/dashboard.csv"), (TERRITORY, f"/dashboard.csv?territory={TERRITORY}"))
"""The exports read whole, streamed: to their first byte and to their end."""


@dataclass(frozen=True)
class Subjects:
    """What the pages are about: the busiest receiving organisation's member, a case of it
    with the longest history."""

    member: str
    case_id: int


@dataclass(frozen=True)
class Page:
    """One page or API answer: who reads it, where."""

    name: str
    reader: str
    path: str
    api: bool = False
    # How many ``next_cursor`` to follow from ``path`` to the page timed (or the last).
    follow: int = 0


async def subjects(bench: Bench) -> Subjects:
    """The member of the organisation receiving the most referrals (the generator gives
    every organisation one, ``membre-<id>@paris-mesure.test``), and the referral it received
    with the most events."""
    async with bench.engine.connect() as connection:
        organisation_id = (
            await connection.execute(
                text(
                    "SELECT r.receiver_organisation_id FROM referrals r "
                    "JOIN users u ON u.organisation_id = r.receiver_organisation_id "
                    "AND u.role = 'member' AND u.email LIKE '%@paris-mesure.test' "
                    "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
                )
            )
        ).scalar_one()
        case_id = (
            await connection.execute(
                text(
                    "SELECT e.case_id FROM events e JOIN referrals r ON r.id = e.case_id "
                    "WHERE e.case_kind = 'referral' AND r.receiver_organisation_id = :o "
                    "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
                ),
                {"o": organisation_id},
            )
        ).scalar_one()
    return Subjects(f"membre-{organisation_id}@paris-mesure.test", case_id)


def pages(found: Subjects) -> list[Page]:
    """The pages measured, each with its API equivalent; ``/api/overdue`` from its first page
    and from a later one."""
    member, case = found.member, found.case_id
    return [
        Page("inbox", member, "/inbox"),
        Page("api todo", member, "/api/todo", api=True),
        Page("case", member, f"/referrals/{case}"),
        Page("api referral", member, f"/api/referrals/{case}", api=True),
        Page("dashboard", COORDINATOR, "/dashboard"),
        Page("api overdue", COORDINATOR, "/api/overdue", api=True),
        Page("api overdue later", COORDINATOR, "/api/overdue", api=True, follow=LATER_PAGE),
        Page("referrals submitted", COORDINATOR, "/referrals?state=submitted"),
        Page("api referrals submitted", COORDINATOR, "/api/referrals?state=submitted", api=True),
        Page("referrals received", member, "/referrals?box=received&state=accepted"),
        Page(f"csv overdue {TERRITORY}", COORDINATOR, f"/dashboard.csv?territory={TERRITORY}"),
    ]


async def measure(bench: Bench, referrals: int, show: Show) -> dict[str, Timing]:
    """Write ``referrals`` referrals over 2024-2026 into ``bench``, then time each page as
    read on the first working day of 2027, showing each figure as it comes."""
    connection = await connect(bench)
    try:
        generated = await generate(connection, referrals=referrals)
    finally:
        await connection.close()
    show(f"paris years generation ({referrals} referrals)", generated.seconds, "s")
    return await measure_pages(bench, referrals, show)


async def measure_pages(
    bench: Bench, referrals: int, show: Show, now: datetime = AFTER_THE_YEAR
) -> dict[str, Timing]:
    """Time each page (``pages``) on ``bench`` already holding the years; then the whole
    CSV exports (``EXPORTS``), to their first byte and to their end."""
    found = await subjects(bench)
    app = create_app(bench.settings, clock=FixedClock(now), engine=bench.engine)
    thresholds = gc.get_threshold()
    prepare_collector()  # as ``relais serve`` does once the app is built
    transport = httpx.ASGITransport(app=app)
    clients: dict[tuple[str, bool], httpx.AsyncClient] = {}
    timings: dict[str, Timing] = {}
    try:
        for page in pages(found):
            key = (page.reader, page.api)
            if key not in clients:
                clients[key] = await _signed_in(transport, page.reader, page.api)
            path = await _followed(clients[key], page.path, page.follow)
            get = _getter(clients[key], path)
            timing = await timed(get, runs=RUNS)
            timings[page.name] = timing
            show_page(show, page.name, referrals, timing)
        web = clients[(COORDINATOR, False)]
        for export, path in EXPORTS:
            await whole_export(app, web, path)
            runs = [await whole_export(app, web, path) for _ in range(EXPORT_RUNS)]
            for index, name in enumerate(("first byte", "total")):
                spent = [run[index] for run in runs]
                timing = Timing(median(spent), max(spent))
                timings[f"csv overdue {export} {name}"] = timing
                show_page(show, f"csv overdue {export} {name}", referrals, timing)
    finally:
        for client in clients.values():
            await client.aclose()
        gc.unfreeze()
        gc.set_threshold(*thresholds)
    return timings


def show_page(show: Show, name: str, referrals: int, timing: Timing) -> None:
    """``page NAME (N referrals): X ms (p95 Y ms)``."""
    show(
        f"page {name} ({referrals} referrals)", timing.median_ms, f"ms (p95 {timing.p95_ms:.4g} ms)"
    )


async def _signed_in(transport: httpx.ASGITransport, email: str, api: bool) -> httpx.AsyncClient:
    """A client signed in as ``email``: through the login form, or with a bearer token."""
    client = httpx.AsyncClient(transport=transport, base_url="http://relais.test")
    if api:
        login = await client.post(
            "/auth/jwt/login", data={"username": email, "password": DEMO_PASSWORD}
        )
        login.raise_for_status()
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        return client
    form = await client.get("/login", headers={"Accept": "text/html"})
    token = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    signed = await client.post(
        "/login", data={"csrf_token": token, "email": email, "password": DEMO_PASSWORD}
    )
    if signed.status_code != 303:
        raise RuntimeError(f"connexion refusée pour {email} : {signed.status_code}")
    client.headers["Accept"] = "text/html"
    return client


def side_by_side(name: str, scales: Sequence[int], timings: Sequence[Timing]) -> str:
    """``page NAME: X ms (p95 Y ms) at N referrals | ...``, one scale after the other."""
    figures = " | ".join(
        f"{timing.median_ms:.4g} ms (p95 {timing.p95_ms:.4g} ms) at {referrals} referrals"
        for referrals, timing in zip(scales, timings, strict=True)
    )
    return f"page {name}: {figures}"


async def _followed(client: httpx.AsyncClient, path: str, hops: int) -> str:
    """``path`` after following its answers' ``next_cursor`` ``hops`` times (or to the last
    page)."""
    followed = path
    for _ in range(hops):
        cursor = (await client.get(followed)).json()["next_cursor"]
        if cursor is None:
            break
        followed = f"{path}?cursor={cursor}"
    return followed


def _getter(client: httpx.AsyncClient, path: str) -> Callable[[], Awaitable[None]]:
    async def get() -> None:
        answer = await client.get(path)
        if answer.status_code != 200:
            raise RuntimeError(f"{path} : {answer.status_code} {answer.text[:200]}")

    return get


async def whole_export(
    app: Callable[..., Awaitable[None]], client: httpx.AsyncClient, path: str
) -> tuple[float, float]:
    """Milliseconds to the first byte of ``path``'s body and to its end, read straight from
    the ASGI application (``httpx.ASGITransport`` hands the body over only once complete)."""
    cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"relais.test"), (b"cookie", cookie.encode())],
        "client": ("127.0.0.1", 1234),
        "server": ("relais.test", 80),
    }
    started = time.perf_counter()
    first: float | None = None
    status = 0

    requested = False
    never = asyncio.Event()

    async def receive() -> dict[str, object]:
        # The request once, then no disconnect: a streamed answer listens for one meanwhile.
        nonlocal requested
        if requested:
            await never.wait()
        requested = True
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        nonlocal first, status
        if message["type"] == "http.response.start":
            status = int(message["status"])  # type: ignore[call-overload]
        elif message["type"] == "http.response.body" and message.get("body") and first is None:
            first = time.perf_counter()

    await app(scope, receive, send)
    ended = time.perf_counter()
    if status != 200 or first is None:
        raise RuntimeError(f"{path} : {status}")
    return (first - started) * 1000, (ended - started) * 1000
