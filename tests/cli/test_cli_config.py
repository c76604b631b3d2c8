"""The command line on a refused or a development configuration, as a real process.

Regressions of issue 12: a refused configuration printed a raw traceback carrying the SMTP
password (finding 11); ``relais demo`` loaded accounts with a published password in
production (finding 6); the development key was a constant (finding 1); the server named
itself in a ``Server`` header (finding 11).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.embedded

SMTP_PASSWORD = "Sesame-SMTP-7f3a9c-ne-pas-montrer"
STRONG_KEY = "k3Xq9vR2mW7pL4tZ8bN1cY6hJ5sD0fGa-production"
PRODUCTION = {
    "RELAIS_ENVIRONMENT": "production",
    "RELAIS_SECRET_KEY": STRONG_KEY,
    "RELAIS_BASE_URL": "https://relais.paris.fr",
}


def _environment(**settings: str) -> dict[str, str]:
    """This process's environment without its ``RELAIS_*`` variables, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RELAIS_", "PREFECT_"))}
    return {**env, **settings}


def relais(directory: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """Run ``relais ARGS`` in ``directory`` with only ``settings`` as configuration."""
    return subprocess.run(
        [sys.executable, "-m", "relais", *args],
        cwd=directory, env=_environment(**settings), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("command", [["db", "upgrade"], ["serve"], ["sweep"]])
def test_a_refused_setting_is_named_and_no_value_is_shown(
    tmp_path: Path, command: list[str]
) -> None:
    result = relais(
        tmp_path, *command, RELAIS_SMTP_PASSWORD=SMTP_PASSWORD, RELAIS_SMTP_PORT="70000"
    )
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert SMTP_PASSWORD not in output
    assert "Traceback" not in output
    assert result.stderr == (
        "Configuration refusée :\n  - RELAIS_SMTP_PORT doit être inférieur ou égal à 65535\n"
    )
    assert not (tmp_path / "var").exists()


def test_unsafe_settings_are_each_named_and_no_value_is_shown(tmp_path: Path) -> None:
    result = relais(
        tmp_path, "serve",
        RELAIS_SMTP_PASSWORD=SMTP_PASSWORD, RELAIS_ENVIRONMENT="production",
        RELAIS_SECRET_KEY="z" * 40, RELAIS_BASE_URL="http://relais.paris.fr",
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert SMTP_PASSWORD not in output and "z" * 40 not in output
    assert "Traceback" not in output
    assert "RELAIS_SECRET_KEY ne doit pas être un seul caractère répété" in result.stderr
    assert "RELAIS_BASE_URL doit être une adresse https:// en production" in result.stderr


@pytest.mark.parametrize("environment", ["production", "test"])
@pytest.mark.parametrize("command", [["demo"], ["up", "--demo"]])
def test_the_demo_is_refused_outside_development_and_nothing_is_loaded(
    tmp_path: Path, environment: str, command: list[str]
) -> None:
    database = tmp_path / "relais.db"
    with _taken_port() as port, _taken_port() as prefect_port:
        # Should the refusal ever go, ``up`` finds its ports taken and stops everything
        # it started, rather than leave a stack running after the test.
        ports = ["--port", str(port), "--prefect-port", str(prefect_port)]
        result = relais(
            tmp_path, *command, *(ports if command[0] == "up" else []),
            **{**PRODUCTION, "RELAIS_ENVIRONMENT": environment},
            RELAIS_DATABASE_URL=f"sqlite+aiosqlite:///{database}",
        )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert "refusé hors développement" in result.stderr
    assert "mot de passe est public" in result.stderr
    assert "Comptes de démonstration" not in result.stdout
    assert not database.exists()


@contextlib.contextmanager
def _taken_port() -> Iterator[int]:
    """A port this test listens on, so that nothing else can."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _first_answer(url: str, process: subprocess.Popen[str]) -> httpx.Response:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "relais serve stopped"
        try:
            return httpx.get(url, timeout=1)
        except httpx.TransportError:
            time.sleep(0.3)
    pytest.fail(f"{url} did not answer within 60 s")


def test_serve_in_development_draws_its_key_and_does_not_name_its_server(
    tmp_path: Path,
) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "relais", "serve", "--port", str(port)],
        cwd=tmp_path, env=_environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        health = _first_answer(f"http://127.0.0.1:{port}/healthz", process)
        docs = httpx.get(f"http://127.0.0.1:{port}/docs", timeout=5)
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert "server" not in health.headers
    assert health.headers["x-content-type-options"] == "nosniff"
    assert health.headers["cache-control"] == "no-store"
    assert docs.status_code == 200
    key_file = tmp_path / "var" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    announced = [line for line in output.splitlines() if "Clé secrète de développement" in line]
    assert announced == [
        "Clé secrète de développement : var/secret_key (tirée au hasard au premier "
        "lancement, reprise ensuite ; hors développement, RELAIS_SECRET_KEY est obligatoire)."
    ]
    assert key_file.read_text().strip() not in output
