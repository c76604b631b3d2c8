"""A 200 MB anonymous ``POST /api/referrals`` against a real server: its memory, how long the
request takes, and how long ``/healthz`` waits meanwhile (issue 12, finding 2).

Not part of ``python -m benchmarks`` (it needs no PostgreSQL): run it on the code of a
directory, e.g. once on a checkout of the code before the body limit and once after::

    .venv/bin/python -m benchmarks.body_bench [--source DIRECTORY] [--megabytes 200]

The server is uvicorn on ``relais.app:served_app`` (as ``relais serve`` runs it) in a
subprocess whose ``PYTHONPATH`` starts with DIRECTORY; the body is streamed over a raw
connection with a ``Content-Length``, then chunked, and the sending stops as soon as the
server answers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from relais.simulation.relay import free_port

CHUNK = 1024 * 1024


def _memory_kib(pid: int, field: str) -> int:
    """A ``/proc/PID/status`` figure in KiB: ``VmRSS`` now, ``VmHWM`` its peak so far."""
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith(field + ":"):
            return int(row.split()[1])
    raise RuntimeError(f"{field} absent")


def _body(megabytes: int) -> Iterator[bytes]:
    """A JSON object of exactly ``megabytes`` MiB, one MiB at a time."""
    opening, closing = b'{"motive": "', b'"}'
    yield opening
    for _ in range(megabytes - 1):
        yield b"x" * CHUNK
    yield b"x" * (CHUNK - len(opening) - len(closing)) + closing


async def _health_while(client: httpx.AsyncClient, base: str, done: asyncio.Event) -> float:
    """The longest ``/healthz`` answer while the upload lasts, in seconds."""
    longest = 0.0
    while not done.is_set():
        started = time.perf_counter()
        await client.get(f"{base}/healthz")
        longest = max(longest, time.perf_counter() - started)
        await asyncio.sleep(0.05)
    return longest


async def _send(port: int, megabytes: int, chunked: bool) -> int:
    """Stream the body over a raw connection, stopping as soon as the server answers; the
    answer's status (0 when the connection closed with none)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {megabytes * CHUNK}"
    writer.write(
        f"POST /api/referrals HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\n{framing}\r\n\r\n".encode()
    )
    answer = asyncio.create_task(reader.readline())
    try:
        for piece in _body(megabytes):
            if answer.done():
                break
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            await writer.drain()
            await asyncio.sleep(0)  # let the answer be read as soon as it comes
        else:
            writer.write(b"0\r\n\r\n" if chunked else b"")
            await writer.drain()
    except ConnectionError:
        pass  # the server answered and closed the connection: the rest is not read
    try:
        line = await answer
    except ConnectionError:  # reset before the answer could be read
        line = b""
    writer.close()
    return int(line.split()[1]) if line else 0


async def _upload(base: str, port: int, megabytes: int, chunked: bool) -> tuple[int, float, float]:
    """Status, seconds, and the longest ``/healthz`` wait of one anonymous upload."""
    async with httpx.AsyncClient(timeout=60) as probe:
        done = asyncio.Event()
        health = asyncio.create_task(_health_while(probe, base, done))
        started = time.perf_counter()
        status = await _send(port, megabytes, chunked)
        elapsed = time.perf_counter() - started
        done.set()
        return status, elapsed, await health


async def _ready(base: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            try:
                if (await client.get(f"{base}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("le serveur ne répond pas")


def main() -> None:
    """Serve the code of ``--source`` and measure the uploads."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", default=".", help="the checkout whose code is served")
    parser.add_argument("--megabytes", type=int, default=200)
    options = parser.parse_args()
    source = str(Path(options.source).resolve())
    port = free_port()
    with tempfile.TemporaryDirectory() as var:
        environment = {
            **os.environ,
            "PYTHONPATH": source,
            "RELAIS_ENVIRONMENT": "test",
            "RELAIS_SECRET_KEY": "body-benchmark-secret-of-at-least-32-characters",
            "RELAIS_DATABASE_URL": f"sqlite+aiosqlite:///{var}/relais.db",
            "RELAIS_VAR_DIR": var,
        }
        command = [sys.executable, "-m", "uvicorn", "--factory", "relais.app:served_app"]
        server = subprocess.Popen(
            [*command, "--port", str(port), "--log-level", "warning"], cwd=source, env=environment
        )
        try:
            base = f"http://127.0.0.1:{port}"
            asyncio.run(_ready(base))
            print(f"source {source}: server RSS {_memory_kib(server.pid, 'VmRSS') // 1024} MiB")
            for chunked in (False, True):
                status, seconds, health = asyncio.run(
                    _upload(base, port, options.megabytes, chunked)
                )
                print(
                    f"{options.megabytes} MB {'chunked' if chunked else 'Content-Length'}: "
                    f"status {status}, {seconds:.2f} s, longest /healthz {health:.2f} s, "
                    f"server RSS now {_memory_kib(server.pid, 'VmRSS') // 1024} MiB, "
                    f"peak {_memory_kib(server.pid, 'VmHWM') // 1024} MiB",
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
