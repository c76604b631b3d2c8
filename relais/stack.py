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
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
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
    """Stop the children one after the other, last started first.

    Each child runs in its own process group, so a Ctrl-C in the terminal reaches
    ``relais up`` alone, and only this function decides how and in which order they stop.

    The Prefect server goes last: on its way out the worker pauses its deployments through
    the server's API, and with the server already gone it would retry until killed.
    """
    for child in reversed(children):
        if child.poll() is None:
            child.send_signal(signal.SIGINT if child is children[-1] else signal.SIGTERM)
        try:
            child.wait(timeout=STOP_GRACE_SECONDS)
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

    # Closing the terminal stops relais as Ctrl-C does.
    previous = {number: signal.getsignal(number) for number in (signal.SIGINT, *STOP_SIGNALS)}
    for number in STOP_SIGNALS:
        signal.signal(number, _terminate)
    try:
        if "PREFECT_API_URL" not in os.environ:
            env["PREFECT_API_URL"] = f"http://127.0.0.1:{prefect_port}/api"
            log = (Path(env["PREFECT_HOME"]) / "server.log").open("ab")
            typer.echo(f"Démarrage du serveur Prefect (journal : {log.name})…")
            server = subprocess.Popen(
                [sys.executable, "-m", "prefect", "server", "start",
                 "--host", "127.0.0.1", "--port", str(prefect_port)],
                env=env, stdout=log, stderr=subprocess.STDOUT, process_group=0,
            )  # fmt: skip
            children.append(server)
            _wait_for(f"{env['PREFECT_API_URL']}/health", server, SERVER_START_TIMEOUT)
            typer.echo(f"Interface Prefect : http://127.0.0.1:{prefect_port}")
        children.append(subprocess.Popen(_relais("worker"), env=env, process_group=0))
        api = subprocess.Popen(
            _relais("serve", "--host", host, "--port", str(port)), env=env, process_group=0
        )
        children.append(api)
        shown = "127.0.0.1" if host in {"0.0.0.0", "::"} else host
        typer.secho(
            f"Ouvrez relais dans votre navigateur : http://{shown}:{port}",
            fg=typer.colors.GREEN,
        )
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
        # A second Ctrl-C must not interrupt the stop and leave children running.
        for number in previous:
            signal.signal(number, signal.SIG_IGN)
        _stop(children)
        for number, handler in previous.items():
            signal.signal(number, handler)
