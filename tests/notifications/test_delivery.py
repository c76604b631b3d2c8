"""Delivering the outbox over a real SMTP server (aiosmtpd on loopback) and into a Maildir.

Messages are queued by real transitions: each submitted referral tells the members of the
receiving organisation. Here the relay works: one connection per batch, the email relais
builds (French text with an HTML alternative, every accent kept), and the local mail folder
used when no relay is configured. A relay that fails: ``test_delivery_retries.py``.

Times: the clock starts on Monday 2 March 2026 at 09:00 in Paris, 08:00 UTC.
"""

from __future__ import annotations

import mailbox
from collections import Counter
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

from core.enums import OutboxStatus
from core.settings import Settings
from notifications.render import RenderedEmail
from tests.factories import SECRET, World
from tests.notifications.delivery_helpers import (
    FIRST,
    MAIL_FROM,
    RECEIVERS,
    SECOND,
    Sessions,
    deliver,
    message_id,
    outbox,
    submit,
)
from tests.notifications.smtp_server import SmtpServer
from workflows.delivery import DeliveryPolicy, Envelope, build_email


async def test_one_connection_per_batch(
    sessionmaker: Sessions,
    receiving_world: World,
    smtp_server: SmtpServer,
    smtp_settings: Settings,
) -> None:
    await submit(sessionmaker, receiving_world, 3, FIRST)
    report = await deliver(sessionmaker, smtp_settings, FIRST, DeliveryPolicy(batch_size=4))
    await submit(sessionmaker, receiving_world, 2, SECOND)
    later = await deliver(sessionmaker, smtp_settings, SECOND, DeliveryPolicy(batch_size=100))

    assert (len(report.sent), len(later.sent)) == (6, 4)
    assert smtp_server.sessions == 3
    assert Counter(received.session for received in smtp_server.messages) == Counter(
        {1: 4, 2: 2, 3: 4}
    )


async def test_a_run_bounded_by_an_id_leaves_the_messages_queued_after_it(
    sessionmaker: Sessions,
    receiving_world: World,
    smtp_server: SmtpServer,
    smtp_settings: Settings,
) -> None:
    # The simulation delivers what one hour queued while the next hour's traffic runs.
    await submit(sessionmaker, receiving_world, 2, FIRST)
    queued = await outbox(sessionmaker)
    await submit(sessionmaker, receiving_world, 1, FIRST)
    bound = queued[-1].id

    first = await deliver(sessionmaker, smtp_settings, SECOND, DeliveryPolicy(), bound)
    left = [row for row in await outbox(sessionmaker) if row.status == OutboxStatus.PENDING]
    rest = await deliver(sessionmaker, smtp_settings, SECOND, DeliveryPolicy())

    # Two receivers each: the bound's own message is sent, the ones after it wait.
    assert sorted(first.sent) == sorted(row.idempotency_key for row in queued)
    assert [row.id > bound for row in left] == [True, True]
    assert sorted(rest.sent) == sorted(row.idempotency_key for row in left)
    counts = smtp_server.count_by_message_id()
    assert (len(counts), set(counts.values())) == (6, {1})


async def test_the_email_is_french_text_with_an_html_alternative(
    sessionmaker: Sessions,
    world: World,
    smtp_server: SmtpServer,
    smtp_settings: Settings,
) -> None:
    [reference] = await submit(sessionmaker, world, 1, FIRST)
    await deliver(sessionmaker, smtp_settings, FIRST)

    [row] = await outbox(sessionmaker)
    [received] = smtp_server.messages
    email = received.email
    assert reference == "OR-2026-000001"
    assert received.mail_from == "relais@ppie-test.fr"
    assert received.recipients == ("accueil@epi-test.fr",)
    assert email["From"] == MAIL_FROM
    assert email["To"] == "accueil@epi-test.fr"
    assert email["Subject"] == "Orientation OR-2026-000001 reçue pour « Accompagnement en EPI »"
    assert email["Message-ID"] == message_id(row.idempotency_key)
    assert email["Auto-Submitted"] == "auto-generated"
    assert email.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in email.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    text = email.get_body(preferencelist=("plain",))
    html = email.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    link = f"https://relais.paris.test/referrals/{row.case_id}"
    assert link in text.get_content()
    assert f'href="{link}"' in html.get_content()
    assert "OR-2026-000001" in text.get_content()


def test_the_built_message_keeps_every_accent_and_line_of_the_rendered_email() -> None:
    rendered = RenderedEmail(
        subject="Orientation OR-2026-000042 retournée : « Accompagnement à l'emploi » — "
        "pièces manquantes pour l'équipe d'accueil",
        text="Bonjour,\n\nL'orientation a été retournée.\n.\nUne ligne qui commence par un point.",
        html="<p>Bonjour, l'orientation a été <strong>retournée</strong>.</p>",
    )
    envelope = Envelope(
        7, "event:1:referral.returned:abc", "referral.returned", RECEIVERS[0], 0, {}
    )
    built = build_email(envelope, rendered, "Équipe Relais <relais@ppie-test.fr>", FIRST)

    assert (built.sender, built.recipient) == ("relais@ppie-test.fr", RECEIVERS[0])
    assert built.content.isascii()  # every accent travels encoded, whatever the relay
    email = message_from_bytes(built.content, policy=policy.default)
    assert email["Subject"] == rendered.subject
    assert email["From"] == "Équipe Relais <relais@ppie-test.fr>"
    assert email["Message-ID"] == message_id(envelope.key)
    assert email["Date"] == "Mon, 02 Mar 2026 08:00:00 +0000"
    text = email.get_body(preferencelist=("plain",))
    html = email.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert text.get_content() == rendered.text
    assert html.get_content() == rendered.html


async def test_without_a_relay_messages_land_in_a_readable_maildir(
    sessionmaker: Sessions, receiving_world: World, database_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        environment="test", secret_key=SECRET, database_url=database_url, var_dir=str(tmp_path)
    )
    await submit(sessionmaker, receiving_world, 2, FIRST)

    report = await deliver(sessionmaker, settings, FIRST)
    again = await deliver(sessionmaker, settings, FIRST + timedelta(hours=1))

    rows = await outbox(sessionmaker)
    box = mailbox.Maildir(tmp_path / "mail", create=False)
    emails = [
        message_from_bytes(box.get_bytes(key), policy=policy.default) for key in box.iterkeys()
    ]
    box.close()
    assert (len(report.sent), len(again.sent)) == (4, 0)
    assert [row.status for row in rows] == [OutboxStatus.SENT] * 4
    assert sorted(str(email["Message-ID"]) for email in emails) == sorted(
        message_id(row.idempotency_key) for row in rows
    )
    assert sorted(str(email["To"]) for email in emails) == sorted(RECEIVERS * 2)
    assert sorted(str(email["Subject"]) for email in emails) == [
        "Orientation OR-2026-000001 reçue pour « Accompagnement en EPI »",
        "Orientation OR-2026-000001 reçue pour « Accompagnement en EPI »",
        "Orientation OR-2026-000002 reçue pour « Accompagnement en EPI »",
        "Orientation OR-2026-000002 reçue pour « Accompagnement en EPI »",
    ]
    assert [email.get_content_type() for email in emails] == ["multipart/alternative"] * 4


async def test_a_mail_folder_that_cannot_be_created_is_retried_then_delivered(
    sessionmaker: Sessions, world: World, database_url: str, tmp_path: Path
) -> None:
    blocker = tmp_path / "var"
    blocker.write_text("a file where the var folder should be")
    settings = Settings(
        environment="test", secret_key=SECRET, database_url=database_url, var_dir=str(blocker)
    )
    await submit(sessionmaker, world, 1, FIRST)

    failed = await deliver(sessionmaker, settings, FIRST)
    [row] = await outbox(sessionmaker)
    assert (failed.sent, len(failed.retried)) == ([], 1)
    assert (row.status, row.attempts, row.next_attempt_at) == (OutboxStatus.PENDING, 1, SECOND)
    assert (row.last_error or "").startswith(f"écriture impossible dans {blocker / 'mail'}")

    blocker.unlink()
    delivered = await deliver(sessionmaker, settings, SECOND)
    [row] = await outbox(sessionmaker)
    assert (len(delivered.sent), row.status, row.attempts) == (1, OutboxStatus.SENT, 2)
    box = mailbox.Maildir(blocker / "mail", create=False)
    assert len(box) == 1
    box.close()
