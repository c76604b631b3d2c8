"""Emails per second to a local aiosmtpd, through relais' delivery and through a plain
aiosmtplib loop sending the same messages on one connection.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import aiosmtplib
from sqlalchemy import select, text

from benchmarks.database import Bench
from core.models import OutboxMessage
from notifications.render import render
from notifications.transport import SmtpTransport
from relais.simulation.relay import free_port
from workflows.delivery import DeliveryPolicy, Envelope, build_email, deliver_due

BASE_URL = "https://relais.paris.example"
MAIL_FROM = "relais <no-reply@relais.paris.example>"


@contextmanager
def sink() -> Iterator[int]:
    """An aiosmtpd server that accepts and discards everything, in its own process."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ],
    )
    try:
        yield port
    finally:
        server.terminate()
        server.wait()


async def _wait_for(port: int) -> None:
    for _ in range(100):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise RuntimeError("le serveur SMTP local ne répond pas")


async def queue_copies(bench: Bench, count: int) -> None:
    """``count`` pending copies of the first queued message, each under its own key."""
    async with bench.engine.begin() as connection:
        await connection.execute(
            text(
                """
                INSERT INTO outbox (idempotency_key, message, case_kind, case_id,
                    recipient_email, context, status, attempts, next_attempt_at, created_at)
                SELECT 'bench:' || n, o.message, o.case_kind, o.case_id, o.recipient_email,
                    o.context, 'pending', 0, o.next_attempt_at, o.created_at
                FROM (SELECT * FROM outbox ORDER BY id LIMIT 1) o, generate_series(1, :count) n
                """
            ),
            {"count": count},
        )
        await connection.execute(
            text("DELETE FROM outbox WHERE idempotency_key NOT LIKE 'bench:%'")
        )


async def compare(bench: Bench, count: int, now: datetime) -> tuple[float, float]:
    """Emails per second through relais, and through a plain loop, of ``count`` messages."""
    await queue_copies(bench, count)
    async with bench.sessions() as session:
        rows = list((await session.execute(select(OutboxMessage))).scalars())
    messages = [
        build_email(
            Envelope(row.id, row.idempotency_key, row.message, row.recipient_email, 0, row.context),
            render(row.message, row.context, BASE_URL),
            MAIL_FROM,
            now,
        )
        for row in rows
    ]
    with sink() as port:
        await _wait_for(port)
        started = time.perf_counter()
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=30)
        await client.connect()
        for message in messages:
            await client.sendmail(message.sender, [message.recipient], message.content)
        await client.quit()
        plain = count / (time.perf_counter() - started)

        started = time.perf_counter()
        report = await deliver_due(
            bench.sessions,
            lambda: SmtpTransport("127.0.0.1", port, timeout=30),
            now,
            base_url=BASE_URL,
            mail_from=MAIL_FROM,
            policy=DeliveryPolicy(max_batches=count),
        )
        relais = len(report.sent) / (time.perf_counter() - started)
    assert len(report.sent) == count, report.summary()
    return relais, plain
