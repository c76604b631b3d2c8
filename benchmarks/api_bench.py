"""Create-then-accept over HTTP with 32 concurrent clients, against one then two server
processes (``relais serve``): requests per second, and p50/p99 latency of a request.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from statistics import quantiles

import httpx
from sqlalchemy import select

from benchmarks.database import SECRET, Bench
from core.models import Offer, Organisation
from relais.demo import DEMO_PASSWORD
from relais.simulation.relay import free_port

CLIENTS = 32
SENDER = "mission-locale@relais-demo.paris"
RECEIVER = "epi-centre@relais-demo.paris"
RECEIVING = "Espace parisien d'insertion Paris Centre"


@dataclass(frozen=True)
class ApiFigures:
    """Throughput and latency of one configuration."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float


@contextmanager
def servers(bench: Bench, count: int) -> Iterator[list[str]]:
    """``count`` ``relais serve`` processes on the benchmark database; their base URLs."""
    environment = {
        **os.environ,
        "RELAIS_DATABASE_URL": bench.url,
        "RELAIS_SECRET_KEY": SECRET,
        "RELAIS_ENVIRONMENT": "test",
    }
    ports = [free_port() for _ in range(count)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "relais.cli", "serve", "--port", str(port)],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait()


async def _ready(client: httpx.AsyncClient, base: str) -> None:
    for _ in range(200):
        try:
            if (await client.get(f"{base}/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{base} ne répond pas")


async def _token(client: httpx.AsyncClient, base: str, email: str) -> dict[str, str]:
    answer = await client.post(
        f"{base}/auth/jwt/login", data={"username": email, "password": DEMO_PASSWORD}
    )
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def measure(bench: Bench, processes: int, pairs: int) -> ApiFigures:
    """``pairs`` create-then-accept sequences by 32 clients over ``processes`` servers."""
    async with bench.sessions() as session:
        offer_id = (
            await session.execute(
                select(Offer.id)
                .join(Organisation, Organisation.id == Offer.organisation_id)
                .where(Organisation.name == RECEIVING)
            )
        ).scalar_one()
    latencies: list[float] = []
    with servers(bench, processes) as bases:
        limits = httpx.Limits(max_connections=CLIENTS * 2)
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            for base in bases:
                await _ready(client, base)
            sender = await _token(client, bases[0], SENDER)
            receiver = await _token(client, bases[0], RECEIVER)
            body = {
                "offer_id": offer_id,
                "person": {"first_name": "Prénom", "last_name": "Nom"},
                "motive": "Orientation de mesure.",
                "consent": True,
            }
            remaining = [pairs]

            async def request(
                base: str, path: str, headers: dict[str, str], json: object
            ) -> dict[str, object]:
                started = time.perf_counter()
                answer = await client.post(f"{base}{path}", json=json, headers=headers)
                latencies.append(time.perf_counter() - started)
                if answer.status_code not in (200, 201):
                    raise RuntimeError(f"{path}: {answer.status_code} {answer.text[:200]}")
                result: dict[str, object] = answer.json()
                return result

            async def worker(number: int) -> None:
                base = bases[number % len(bases)]
                while remaining[0] > 0:
                    remaining[0] -= 1
                    created = await request(base, "/api/referrals", sender, body)
                    await request(base, f"/api/referrals/{created['id']}/accept", receiver, {})

            started = time.perf_counter()
            await asyncio.gather(*(worker(number) for number in range(CLIENTS)))
            elapsed = time.perf_counter() - started
    cuts = quantiles(latencies, n=100)
    return ApiFigures(len(latencies) / elapsed, cuts[49] * 1000, cuts[98] * 1000)
