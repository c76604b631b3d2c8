"""The ``relais`` command, run as a real process on a fresh embedded database."""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from relais.demo import ACCOUNTS, DEMO_PASSWORD, PARTNERS
from relais.stack import STOP_GRACE_SECONDS

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
    assert "au moins 12 caractères" in short.stderr
    bad = relais(
        tmp_path,
        "user", "add", "--email", "pas-un-email", "--password", "assez-long-pour-passer",
        "--role", "member",
        check=False,
    )  # fmt: skip
    assert bad.returncode == 1
    assert "email" in bad.stderr


def test_user_list_deactivate_and_set_password(tmp_path: Path) -> None:
    for address, role in (("operateur@paris.fr", "admin"), ("conseil@paris.fr", "member")):
        relais(
            tmp_path,
            "user", "add", "--email", address, "--password", "un-mot-de-passe-solide",
            "--role", role,
        )  # fmt: skip
    listed = relais(tmp_path, "user", "list").stdout.splitlines()
    assert listed[0].split() == ["Adresse", "Rôle", "Organisation", "Actif"]
    assert listed[1].split() == ["conseil@paris.fr", "member", "Plateforme", "relais", "oui"]
    assert listed[2].split() == ["operateur@paris.fr", "admin", "Plateforme", "relais", "oui"]
    assert listed[3] == "2 comptes."

    for weak, words in (("onze-signes", "au moins 12 caractères"), ("qwerty123456", "courant")):
        refused = relais(
            tmp_path, "user", "set-password", "--email", "conseil@paris.fr", "--password", weak,
            check=False,
        )  # fmt: skip
        assert (refused.returncode, words in refused.stderr) == (1, True), refused.stderr
    changed = relais(
        tmp_path,
        "user", "set-password", "--email", "Conseil@Paris.fr", "--password", "trois-pommes-bleues",
    )  # fmt: skip
    assert "Mot de passe changé : conseil@paris.fr." in changed.stdout
    unknown = relais(
        tmp_path, "user", "set-password", "--email", "personne@paris.fr",
        "--password", "trois-pommes-bleues", check=False,
    )  # fmt: skip
    assert unknown.returncode == 1 and "Aucun compte pour personne@paris.fr" in unknown.stderr

    gone = relais(tmp_path, "user", "deactivate", "--email", "conseil@paris.fr")
    assert "Compte désactivé : conseil@paris.fr." in gone.stdout
    assert relais(tmp_path, "user", "list").stdout.splitlines()[1].endswith("non")
    last = relais(tmp_path, "user", "deactivate", "--email", "operateur@paris.fr", check=False)
    assert last.returncode == 1 and "dernier compte administrateur actif" in last.stderr


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


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (children, grandchildren...), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.add(child)
            pending.append(child)
    return found


def _alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie waiting to be reaped does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _interruptible() -> None:
    # Ctrl-C must reach ``relais up`` even when the test runner was started in the
    # background, where SIGINT is ignored and children inherit that.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@dataclass(frozen=True)
class Stack:
    """A running ``relais up``: its process, directory, API and Prefect API addresses."""

    process: subprocess.Popen[bytes]
    directory: Path
    api: str
    api_port: int
    prefect_api: str
    prefect_port: int
    log: Path

    def output(self) -> str:
        """What ``relais up`` and its children printed so far."""
        return self.log.read_text(errors="replace")


@pytest.fixture
def running_relais(tmp_path: Path) -> Iterator[Stack]:
    """``relais up --demo`` in a fresh directory: Prefect server, worker and API, as the
    README's run command starts them (on free ports)."""
    port, prefect_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RELAIS_", "PREFECT_"))}
    log = tmp_path / "up.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "relais", "up", "--demo",
             "--port", str(port), "--prefect-port", str(prefect_port)],
            cwd=tmp_path, env=env, stdout=output, stderr=subprocess.STDOUT,
            # Its own session, so that signalling its group is what a terminal's Ctrl-C does.
            start_new_session=True, preexec_fn=_interruptible,
        )  # fmt: skip
    stack = Stack(
        process,
        tmp_path,
        f"http://127.0.0.1:{port}",
        port,
        f"http://127.0.0.1:{prefect_port}/api",
        prefect_port,
        log,
    )
    try:
        # Migrations, the demo, then the Prefect server (20-40 s on a small machine).
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert process.poll() is None, stack.output()
            try:
                if httpx.get(f"{stack.api}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail("relais up did not answer /healthz within 180 s:\n" + stack.output())
        yield stack
    finally:
        # After a failure: leave nothing running (each child has its own process group).
        if process.poll() is None:
            for pid in [process.pid, *_descendants(process.pid)]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            process.wait()


def _deployments(prefect_api: str) -> dict[str, list[dict[str, object]]]:
    """``flow/deployment`` name -> schedules, as the Prefect server lists them."""
    # Deployments first: a deployment's flow exists before it, so every flow they name is
    # listed even while the worker is still registering them.
    listed = httpx.post(f"{prefect_api}/deployments/filter", json={}, timeout=10).json()
    flows = httpx.post(f"{prefect_api}/flows/filter", json={}, timeout=10).json()
    flow_names = {flow["id"]: flow["name"] for flow in flows}
    return {
        f"{flow_names[item['flow_id']]}/{item['name']}": [
            {key: value for key, value in schedule["schedule"].items() if key != "anchor_date"}
            for schedule in item["schedules"]
            if schedule["active"]
        ]
        for item in listed
    }


def test_up_with_demo_serves_the_api_and_the_scheduled_flows_until_ctrl_c(
    running_relais: Stack,
) -> None:
    """One start of the whole engine (it costs 20-40 s), checked from every side."""
    _check_the_api_serves_the_demo(running_relais)
    _check_the_pages_sign_in(running_relais.api)
    _wait_for_the_deployments(running_relais)
    _check_a_reminder_lands_in_the_mail_folder(running_relais)
    _stop_with_ctrl_c(running_relais)


def _check_the_api_serves_the_demo(running_relais: Stack) -> None:
    """Health, a demo login, the EPI's received referrals, its profile and the docs."""
    api = running_relais.api
    health = httpx.get(f"{api}/healthz")
    assert health.json() == {"status": "ok", "database": "ok"}
    login = httpx.post(
        f"{api}/auth/jwt/login",
        data={"username": "epi-centre@relais-demo.paris", "password": DEMO_PASSWORD},
    )
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    received = httpx.get(f"{api}/api/referrals", params={"box": "received"}, headers=headers)
    assert received.status_code == 200
    items = received.json()["items"]
    assert items, "the demo EPI should have received referrals"
    assert {item["receiver_organisation"]["name"] for item in items} == {
        "Espace parisien d'insertion Paris Centre"
    }
    me = httpx.get(f"{api}/users/me", headers=headers)
    assert me.json()["role"] == "member"
    assert httpx.get(f"{api}/docs").status_code == 200
    assert f"Ouvrez relais dans votre navigateur : {api}" in running_relais.output()


def _check_the_pages_sign_in(api: str) -> None:
    """The same account signs in on the pages and finds its inbox."""
    with httpx.Client(base_url=api) as browser:
        form = browser.get("/login")
        token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
        signed_in = browser.post(
            "/login",
            data={
                "csrf_token": token,
                "email": "epi-centre@relais-demo.paris",
                "password": DEMO_PASSWORD,
            },
            follow_redirects=True,
        )
    assert signed_in.url.path == "/inbox"
    assert "Inès MARTIN" in signed_in.text


def _wait_for_the_deployments(running_relais: Stack) -> None:
    """The worker registers the deployments with the local Prefect server once it runs."""
    expected = {
        "relais-deliver/deliver": [{"interval": 60.0, "timezone": "Europe/Paris"}],
        "relais-digest/digest": [
            {"cron": "0 8 * * 1-5", "timezone": "Europe/Paris", "day_or": True}
        ],
        "relais-governance/governance": [
            {"cron": "30 8 * * *", "timezone": "Europe/Paris", "day_or": True}
        ],
        "relais-retention/retention": [
            {"cron": "0 3 * * *", "timezone": "Europe/Paris", "day_or": True}
        ],
        "relais-sweep/sweep": [{"interval": 300.0, "timezone": "Europe/Paris"}],
    }
    deadline = time.monotonic() + 90
    while _deployments(running_relais.prefect_api) != expected:
        assert time.monotonic() < deadline, running_relais.output()
        time.sleep(1)


def _check_a_reminder_lands_in_the_mail_folder(running_relais: Stack) -> None:
    """A referral left unanswered in the demo: once its time comes, its reminder is in
    ./var/mail (no SMTP relay configured). Far in the future, every deadline has passed."""
    later = "2099-01-05T10:00"
    swept = relais(running_relais.directory, "sweep", "--now", later)
    assert "  rappel OR-" in swept.stdout
    delivered = relais(running_relais.directory, "deliver", "--now", later)
    assert "  envoyé reminder:referral-" in delivered.stdout
    assert delivered.stdout.splitlines()[-1].endswith(" à réessayer, 0 abandonné(s)")
    maildir = running_relais.directory / "var" / "mail" / "new"
    subjects = [
        str(message["Subject"])
        for message in (
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in maildir.iterdir()
        )
    ]
    assert any(subject.startswith("Rappel : orientation OR-") for subject in subjects), subjects


def _stop_with_ctrl_c(running_relais: Stack) -> None:
    """Ctrl-C: the terminal sends SIGINT to the foreground process group; all stop by
    themselves, in time, and free their ports."""
    children = _descendants(running_relais.process.pid)
    assert len(children) >= 3, "the Prefect server, the worker and the API"
    interrupted = time.monotonic()
    os.killpg(running_relais.process.pid, signal.SIGINT)
    assert running_relais.process.wait(timeout=25) == 0, running_relais.output()
    # Each child stopped by itself: none waited out its grace period and had to be killed.
    assert time.monotonic() - interrupted < STOP_GRACE_SECONDS, running_relais.output()
    assert "Arrêt de relais…" in running_relais.output()
    assert [pid for pid in children if _alive(pid)] == []
    assert not _listening(running_relais.api_port)
    assert not _listening(running_relais.prefect_port)
