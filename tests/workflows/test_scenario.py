"""Acceptance 1: a referral nobody answers, chased by the command line against a real SMTP server.

The referral is submitted at T0 = Monday 16 March 2026, 09:00 in Paris. Its deadlines count
business days (weekends and French public holidays excluded), at the same Paris wall-clock time:

- reminder at +3 business days: Tue 17, Wed 18, Thu 19 -> Thursday 19 March 09:00; the
  scenario looks one day later, Friday 20 March 09:00;
- escalation at +5: Fri 20, Mon 23 -> Monday 23 March 09:00; one day later is Tuesday
  24 March, a business day, whose digest runs at 08:00 and whose sweep runs at 09:00;
- expiry at +20: Tue 24 (6) ... Fri 27 (9), Mon 30 (10), Tue 31 (11), Wed 1 April (12),
  Thu 2 (13), Fri 3 (14), Easter Monday 6 April is a public holiday, Tue 7 (15) ... Fri 10 (18),
  Mon 13 (19), Tue 14 (20) -> Tuesday 14 April 09:00 (summer time since 29 March: 07:00 UTC);
  one day later is Wednesday 15 April 09:00. A count that forgot Easter Monday would expire it
  on Monday 13 April, so the scenario also sweeps on Tuesday 14 April at 08:59 and expects
  nothing.

Every step runs ``python -m relais`` as a separate process with ``--now`` (naive: Paris time),
exactly as an operator would, and checks what an SMTP server on loopback received.

The database is always a fresh SQLite file, even when ``RELAIS_TEST_DATABASE_URL`` names
PostgreSQL: this scenario is about deadlines, messages and the command line, which behave the
same on both; concurrency on PostgreSQL is the subject of its own tests. A private file also
keeps these processes away from the session database that other tests empty between tests.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from core.business_days import PARIS
from core.clock import FixedClock
from core.db import create_engine, create_sessionmaker
from core.migrate import upgrade_engine
from core.models import OutboxMessage, Referral, Timer
from services.referral_service import create_referral
from tests.factories import actor_of, make_world, referral_create
from tests.workflows.smtp import SmtpServer, smtp_server

pytestmark = pytest.mark.embedded

T0 = datetime(2026, 3, 16, 9, 0, tzinfo=PARIS)
REFERENCE = "OR-2026-000001"
RECEIVER = "accueil@epi-test.fr"
REFERRER = "conseillere@ml-test.fr"
COORDINATOR = "coordination@epec-test.fr"

SUBMITTED = (RECEIVER, "referral.submitted")
REMINDER = (RECEIVER, "reminder")
DIGEST = (COORDINATOR, "digest")
ESCALATION = (COORDINATOR, "escalation")
EXPIRED = (REFERRER, "referral.expired")

NOTHING_SWEPT = (
    "0 rappel(s), 0 alerte(s) aux coordinateurs, 0 action(s) automatique(s), 0 reportée(s)"
)
NOTHING_DELIVERED = "0 envoyé(s), 0 à réessayer, 0 abandonné(s)"


class Relais:
    """``python -m relais`` in one directory, on one database, with one SMTP relay (or none)."""

    def __init__(self, directory: Path, database_url: str, smtp: SmtpServer | None) -> None:
        self.directory = directory
        self.env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("RELAIS_", "PREFECT_"))
        }
        self.env["RELAIS_DATABASE_URL"] = database_url
        self.env["RELAIS_VAR_DIR"] = str(directory / "var")
        if smtp is not None:
            self.env["RELAIS_SMTP_HOST"] = smtp.host
            self.env["RELAIS_SMTP_PORT"] = str(smtp.port)

    def __call__(self, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        """Run one command; check its exit code."""
        result = subprocess.run(
            [sys.executable, "-m", "relais", *args],
            cwd=self.directory,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == code, result.stdout + result.stderr
        return result

    def lines(self, *args: str) -> list[str]:
        """Run one command that must succeed; its printed lines, stripped."""
        return [line.strip() for line in self(*args).stdout.splitlines()]


async def prepare_database(database_url: str) -> None:
    """Migrate a fresh database and submit one referral at T0 (the world of tests.factories).

    Referring side: Mission locale de Paris (conseillere@ml-test.fr); receiving side: EPI Paris
    Centre (accueil@epi-test.fr) and its offer; coordination@epec-test.fr, a coordinator for
    all of Paris; plus an outsider and a platform admin, who must receive nothing.
    """
    engine = create_engine(database_url)
    try:
        await upgrade_engine(engine)
        async with create_sessionmaker(engine)() as session:
            now = FixedClock(T0).now()
            world = await make_world(session, now)
            view = await create_referral(
                session, actor_of(world.referrer), referral_create(world.offer), now
            )
            assert view.case.reference == REFERENCE
    finally:
        await engine.dispose()


async def database_state(database_url: str) -> tuple[str, list[str], list[str]]:
    """The referral's state, its timers' statuses and the outbox statuses, in id order."""
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            state = await session.scalar(select(Referral.state))
            timers = (await session.scalars(select(Timer.status).order_by(Timer.id))).all()
            outbox = (
                await session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id))
            ).all()
    finally:
        await engine.dispose()
    assert state is not None
    return state, [str(status) for status in timers], [str(status) for status in outbox]


async def received(smtp: SmtpServer, database_url: str, since: int = 0) -> list[tuple[str, str]]:
    """(recipient, catalog message) of every email the server accepted after the first ``since``.

    Emails are matched to their outbox rows by Message-ID, which delivery derives from the
    row's idempotency key (stable across retries): the wording of subjects may change, what
    each email is may not.
    """
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            rows = await session.execute(
                select(
                    OutboxMessage.idempotency_key,
                    OutboxMessage.recipient_email,
                    OutboxMessage.message,
                )
            )
            by_id = {
                f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@relais>": (email, message)
                for key, email, message in rows.tuples()
            }
    finally:
        await engine.dispose()
    pairs = []
    for email in smtp.messages[since:]:
        assert email.mail_from == "no-reply@relais.localhost"
        recipient, message = by_id[email.message_id]
        assert email.recipients == (recipient,)
        assert REFERENCE in email.text
        pairs.append((recipient, message))
    return pairs


@pytest.fixture
def scenario_database(tmp_path: Path) -> str:
    """A private SQLite file for the processes of one test (see the module docstring)."""
    return f"sqlite+aiosqlite:///{tmp_path / 'scenario.db'}"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A recording SMTP server on 127.0.0.1."""
    with smtp_server() as server:
        yield server


async def test_an_unanswered_referral_is_reminded_escalated_digested_and_expired(
    tmp_path: Path, scenario_database: str, smtp: SmtpServer
) -> None:
    await prepare_database(scenario_database)
    relais = Relais(tmp_path, scenario_database, smtp)

    # T0: the submission notice, queued with the referral, goes out at the first delivery.
    assert relais.lines("deliver", "--now", "2026-03-16T09:00") == [
        "envoyé event:2:referral.submitted:4905473539e17ed2",
        "1 envoyé(s), 0 à réessayer, 0 abandonné(s)",
    ]
    assert await received(smtp, scenario_database) == [SUBMITTED]

    await _remind_the_receiver(relais, smtp, scenario_database)
    await _digest_then_escalate(relais, smtp, scenario_database)

    # Tuesday 14 April 08:59: past a count that forgot Easter Monday, before the real deadline.
    assert relais.lines("sweep", "--now", "2026-04-14T08:59") == [NOTHING_SWEPT]
    assert (await database_state(scenario_database))[0] == "submitted"

    await _expire_and_tell_the_referrer(relais, smtp, scenario_database)
    await _check_the_end(tmp_path, smtp, scenario_database)


async def _remind_the_receiver(relais: Relais, smtp: SmtpServer, database_url: str) -> None:
    """T0 + 3 business days + 1 day: exactly one reminder, to the receiving side."""
    assert relais.lines("sweep", "--now", "2026-03-20T09:00") == [
        "rappel OR-2026-000001 : rappel à 1 destinataire(s)",
        "1 rappel(s), 0 alerte(s) aux coordinateurs, 0 action(s) automatique(s), 0 reportée(s)",
    ]
    assert relais.lines("deliver", "--now", "2026-03-20T09:00")[-1] == (
        "1 envoyé(s), 0 à réessayer, 0 abandonné(s)"
    )
    assert await received(smtp, database_url, 1) == [REMINDER]
    # Waiting since T0; the coordinators will hear of it at +5 business days.
    reminder = smtp.messages[1]
    assert "OR-2026-000001" in reminder.subject
    assert "lundi 16 mars 2026" in reminder.text
    assert "lundi 23 mars 2026" in reminder.text
    # The same step again at the same time: nothing new.
    assert relais.lines("sweep", "--now", "2026-03-20T09:00") == [NOTHING_SWEPT]
    assert relais.lines("deliver", "--now", "2026-03-20T09:00") == [NOTHING_DELIVERED]
    assert len(smtp.messages) == 2


async def _digest_then_escalate(relais: Relais, smtp: SmtpServer, database_url: str) -> None:
    """T0 + 5 business days + 1 day (Tuesday 24 March): the 08:00 digest, then the sweep."""
    assert relais.lines("digest", "--now", "2026-03-24T08:00") == [
        "digest coordination@epec-test.fr : 1 dossier(s) en retard",
        "1 digest(s) mis en file, 0 déjà envoyé(s), 0 destinataire(s) sans retard",
    ]
    assert relais.lines("sweep", "--now", "2026-03-24T09:00") == [
        "alerte OR-2026-000001 : alerte à 1 destinataire(s)",
        "0 rappel(s), 1 alerte(s) aux coordinateurs, 0 action(s) automatique(s), 0 reportée(s)",
    ]
    assert relais.lines("deliver", "--now", "2026-03-24T09:00")[-1] == (
        "2 envoyé(s), 0 à réessayer, 0 abandonné(s)"
    )
    assert await received(smtp, database_url, 2) == [DIGEST, ESCALATION]
    digest, escalation = smtp.messages[2:4]
    assert "mardi 24 mars 2026" in digest.text
    assert "EPI Paris Centre" in digest.text
    assert "- OR-2026-000001, orientation" in digest.text
    assert "1 jour ouvré de retard" in digest.text
    assert "OR-2026-000001" in escalation.subject
    assert "lundi 23 mars 2026" in escalation.text
    # Each of the three steps again at the same time: nothing new.
    assert relais.lines("digest", "--now", "2026-03-24T08:00") == [
        "0 digest(s) mis en file, 1 déjà envoyé(s), 0 destinataire(s) sans retard"
    ]
    assert relais.lines("sweep", "--now", "2026-03-24T09:00") == [NOTHING_SWEPT]
    assert relais.lines("deliver", "--now", "2026-03-24T09:00") == [NOTHING_DELIVERED]
    assert len(smtp.messages) == 4


async def _expire_and_tell_the_referrer(
    relais: Relais, smtp: SmtpServer, database_url: str
) -> None:
    """T0 + 20 business days + 1 day: expired, and the referrer is told."""
    assert relais.lines("sweep", "--now", "2026-04-15T09:00") == [
        "automatique OR-2026-000001 : expire",
        "0 rappel(s), 0 alerte(s) aux coordinateurs, 1 action(s) automatique(s), 0 reportée(s)",
    ]
    assert relais.lines("deliver", "--now", "2026-04-15T09:00")[-1] == (
        "1 envoyé(s), 0 à réessayer, 0 abandonné(s)"
    )
    assert await received(smtp, database_url, 4) == [EXPIRED]
    expired = smtp.messages[4]
    assert "OR-2026-000001" in expired.subject
    assert "EPI Paris Centre n'a pas répondu à l'orientation OR-2026-000001" in expired.text
    assert relais.lines("sweep", "--now", "2026-04-15T09:00") == [NOTHING_SWEPT]
    assert relais.lines("deliver", "--now", "2026-04-15T09:00") == [NOTHING_DELIVERED]
    assert len(smtp.messages) == 5


async def _check_the_end(tmp_path: Path, smtp: SmtpServer, database_url: str) -> None:
    """The submission's timers fired, every email sent, to the parties only, none naming them."""
    state, timers, outbox = await database_state(database_url)
    assert state == "expired"
    # The expired referral now waits on its referrer: its two timers (issue 13) are pending.
    assert timers == ["fired", "fired", "fired", "pending", "pending"]
    assert outbox == ["sent"] * 5
    # The outsider and the platform admin got nothing; no email names the person.
    assert {message.recipients for message in smtp.messages} == {
        (RECEIVER,),
        (COORDINATOR,),
        (REFERRER,),
    }
    for message in smtp.messages:
        assert "Quatremer" not in message.email.as_string()
    # With a relay configured, nothing fell back to the local mail folder.
    assert not (tmp_path / "var" / "mail").exists()


async def test_dry_run_reports_what_would_happen_and_changes_nothing(
    tmp_path: Path, scenario_database: str
) -> None:
    await prepare_database(scenario_database)
    relais = Relais(tmp_path, scenario_database, None)
    before = await database_state(scenario_database)
    assert before == ("submitted", ["pending", "pending", "pending"], ["pending"])

    # Everything is due at once on 15 April: the sweep would act on all three timers.
    assert relais.lines("sweep", "--now", "2026-04-15T09:00", "--dry-run") == [
        "rappel OR-2026-000001 : rappel à 1 destinataire(s)",
        "alerte OR-2026-000001 : alerte à 1 destinataire(s)",
        "automatique OR-2026-000001 : expire",
        "(simulation) 1 rappel(s), 1 alerte(s) aux coordinateurs, 1 action(s) automatique(s), "
        "0 reportée(s)",
    ]
    assert relais.lines("digest", "--now", "2026-03-24T08:00", "--dry-run") == [
        "digest coordination@epec-test.fr : 1 dossier(s) en retard",
        "(simulation) 1 digest(s) mis en file, 0 déjà envoyé(s), 0 destinataire(s) sans retard",
    ]
    # No timer fired, no state changed, nothing queued beyond the submission notice.
    assert await database_state(scenario_database) == before


def test_a_malformed_now_is_refused_in_french(tmp_path: Path, scenario_database: str) -> None:
    relais = Relais(tmp_path, scenario_database, None)
    result = relais("sweep", "--now", "2026-03-24T25:00", code=2)
    assert "--now : « 2026-03-24T25:00 » n'est pas une date ISO 8601" in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "scenario.db").exists()
