"""The ``relais`` command, run as a real process on a fresh embedded database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from relais.demo import ACCOUNTS, DEMO_PASSWORD, PARTNERS

pytestmark = pytest.mark.embedded


def relais(
    directory: Path, *args: str, check: bool = True, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``relais ARGS`` in ``directory`` with the default (SQLite under ./var) settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
    result = subprocess.run(
        [sys.executable, "-m", "relais", *args],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_user_add_makes_the_first_admin_on_an_empty_database(tmp_path: Path) -> None:
    result = relais(
        tmp_path,
        "user", "add",
        "--email", "operateur@paris.fr",
        "--password", "un-mot-de-passe-solide",
        "--role", "admin",
    )  # fmt: skip
    assert "Compte créé : operateur@paris.fr (admin)" in result.stdout
    assert (tmp_path / "var" / "relais.db").exists()

    again = relais(
        tmp_path,
        "user", "add",
        "--email", "operateur@paris.fr",
        "--password", "un-mot-de-passe-solide",
        "--role", "member",
        check=False,
    )  # fmt: skip
    assert again.returncode == 1
    assert "Un compte existe déjà pour operateur@paris.fr" in again.stderr


def test_user_add_refuses_a_short_password_and_a_bad_email(tmp_path: Path) -> None:
    short = relais(
        tmp_path,
        "user", "add", "--email", "a@paris.fr", "--password", "court", "--role", "member",
        check=False,
    )  # fmt: skip
    assert short.returncode == 1
    assert "au moins 10 caractères" in short.stderr
    bad = relais(
        tmp_path,
        "user", "add", "--email", "pas-un-email", "--password", "assez-long-pour-passer",
        "--role", "member",
        check=False,
    )  # fmt: skip
    assert bad.returncode == 1
    assert "email" in bad.stderr


def test_demo_loads_once_and_prints_logins(tmp_path: Path) -> None:
    first = relais(tmp_path, "demo")
    assert "Démo chargée." in first.stdout
    for account in ACCOUNTS:
        assert account.email in first.stdout
    assert DEMO_PASSWORD in first.stdout
    second = relais(tmp_path, "demo")
    assert "La démo était déjà chargée." in second.stdout
    assert len(PARTNERS) >= 15


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def running_relais(tmp_path: Path) -> Iterator[str]:
    """``relais up --demo`` in a fresh directory, as the README's run command starts it."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "relais", "up", "--demo", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail("relais up did not answer /healthz within 60 s")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        if process.stdout:
            process.stdout.close()


def test_up_with_demo_serves_and_a_demo_account_lists_its_received_referrals(
    running_relais: str,
) -> None:
    health = httpx.get(f"{running_relais}/healthz")
    assert health.json() == {"status": "ok", "database": "ok"}
    login = httpx.post(
        f"{running_relais}/auth/jwt/login",
        data={"username": "epi-centre@relais-demo.paris", "password": DEMO_PASSWORD},
    )
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    received = httpx.get(
        f"{running_relais}/api/referrals", params={"box": "received"}, headers=headers
    )
    assert received.status_code == 200
    items = received.json()["items"]
    assert items, "the demo EPI should have received referrals"
    assert {item["receiver_organisation"]["name"] for item in items} == {
        "Espace parisien d'insertion Paris Centre"
    }
    me = httpx.get(f"{running_relais}/users/me", headers=headers)
    assert me.json()["role"] == "member"
    assert httpx.get(f"{running_relais}/docs").status_code == 200
