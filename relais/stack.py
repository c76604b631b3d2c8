"""``relais up``: the whole engine as child processes, stopped together on Ctrl-C.

Starts a local Prefect server on SQLite under ``./var/prefect`` (unless ``PREFECT_API_URL``
points at a shared one), the worker that serves the flows on their schedules, and the API.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

import httpx
import typer

STOP_GRACE_SECONDS = 15
SERVER_START_TIMEOUT = 120


def _relais(*args: str) -> list[str]:
    return [sys.executable, "-m", "relais", *args]


def _wait_for(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"le processus s'est arrêté (code {process.returncode})")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} ne répond pas après {timeout:.0f} s")


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in reversed(children):
        if child.poll() is None:
            child.send_signal(signal.SIGINT if child is children[-1] else signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children:
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def run_stack(var_dir: Path, host: str, port: int, prefect_port: int) -> int:
    """Start the Prefect server (if needed), the worker and the API; return an exit code."""
    env = dict(os.environ)
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    env.setdefault("PREFECT_HOME", str((var_dir / "prefect").resolve()))
    Path(env["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    children: list[subprocess.Popen[bytes]] = []

    def _terminate(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        if "PREFECT_API_URL" not in os.environ:
            env["PREFECT_API_URL"] = f"http://127.0.0.1:{prefect_port}/api"
            log = (Path(env["PREFECT_HOME"]) / "server.log").open("ab")
            typer.echo(
                f"Démarrage du serveur Prefect (journal : {log.name} dans {env['PREFECT_HOME']})…"
            )
            server = subprocess.Popen(
                [sys.executable, "-m", "prefect", "server", "start",
                 "--host", "127.0.0.1", "--port", str(prefect_port)],
                env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            children.append(server)
            _wait_for(f"{env['PREFECT_API_URL']}/health", server, SERVER_START_TIMEOUT)
            typer.echo(f"Interface Prefect : http://127.0.0.1:{prefect_port}")
        children.append(subprocess.Popen(_relais("worker"), env=env))
        api = subprocess.Popen(_relais("serve", "--host", host, "--port", str(port)), env=env)
        children.append(api)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        stopped = next(child for child in children if child.poll() is not None)
        typer.secho(
            f"Un composant s'est arrêté (code {stopped.returncode}) : arrêt de relais.",
            fg=typer.colors.RED,
            err=True,
        )
        return 1
    except KeyboardInterrupt:
        typer.echo("Arrêt de relais…")
        return 0
    except RuntimeError as error:
        typer.secho(f"relais n'a pas pu démarrer : {error}", fg=typer.colors.RED, err=True)
        return 1
    finally:
        _stop(children)
        signal.signal(signal.SIGTERM, previous)
