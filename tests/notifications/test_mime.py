"""The email bytes relais writes itself (``notifications.mime``) read back exactly like the
message the ``email`` package builds from the same parts, for every message of the catalog and
for the characters that quoted-printable and RFC 2047 treat specially."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.header import Header
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import format_datetime, formataddr, parseaddr

import pytest

from notifications.mime import UTF8
from notifications.render import RenderedEmail, render
from tests.notifications.test_snapshots import BASE_URL, CASES
from workflows.delivery import Envelope, build_email, message_id

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
MAIL_FROM = "Équipe Relais <relais@ppie-test.fr>"
RECIPIENT = "accueil@epi-test.fr"

TRICKY = {
    "signs": RenderedEmail(
        subject="a=b ? c_d =?utf-8?q?x?= 100 % « rendez-vous » — ok",
        text="x=y\nfin de ligne avec espaces   \n\ttab\n.\nFrom here\n" + "é" * 200,
        html='<a href="https://x.example/?a=1&b=2">lien</a>\n',
    ),
    "long subject and no final newline": RenderedEmail(
        subject="Orientation OR-2026-000042 retournée : " + "pièces manquantes, " * 12,
        text="une seule ligne très longue " * 20,
        html="<p>" + "mot " * 100 + "</p>",
    ),
    "beyond the basic plane": RenderedEmail(
        subject="Réunion 📅 le 3 mars 𝔸", text="🙂 merci\n", html="<p>🙂</p>"
    ),
    "ascii": RenderedEmail(subject="Plain subject", text="Hello\n", html="<p>Hello</p>\n"),
}


def stdlib_email(envelope: Envelope, rendered: RenderedEmail) -> bytes:
    """The same message built with ``email.mime`` and its generator, as relais did before."""
    email = MIMEMultipart("alternative")
    name, address = parseaddr(MAIL_FROM)
    email["From"] = formataddr((name, address), charset=UTF8)
    email["To"] = envelope.recipient
    email["Subject"] = Header(rendered.subject, UTF8, header_name="Subject").encode()
    email["Date"] = format_datetime(NOW)
    email["Message-ID"] = message_id(envelope.key)
    email["Auto-Submitted"] = "auto-generated"
    for body, subtype in ((rendered.text, "plain"), (rendered.html, "html")):
        part = MIMENonMultipart("text", subtype)
        part.set_payload(body, UTF8)
        email.attach(part)
    return email.as_bytes()


def read(content: bytes) -> tuple[dict[str, str], list[tuple[str, str, str, str]]]:
    """The decoded headers, and each part's type, charset, transfer encoding and text."""
    email = message_from_bytes(content, policy=policy.default)
    assert isinstance(email, EmailMessage)
    parts = [
        (
            part.get_content_type(),
            part.get_content_charset() or "",
            part["Content-Transfer-Encoding"],
            part.get_content(),
        )
        for part in email.iter_parts()
    ]
    headers = {name: str(value) for name, value in email.items() if name != "Content-Type"}
    headers["Content-Type"] = email.get_content_type()
    return headers, parts


def compare(rendered: RenderedEmail) -> bytes:
    """Assert relais' bytes read back as the ``email`` package's; return relais' bytes."""
    envelope = Envelope(1, "event:1:referral.submitted:abc", "x", RECIPIENT, 0, {})
    built = build_email(envelope, rendered, MAIL_FROM, NOW)
    assert (built.sender, built.recipient) == ("relais@ppie-test.fr", RECIPIENT)
    assert read(built.content) == read(stdlib_email(envelope, rendered))
    headers, parts = read(built.content)
    assert headers["Subject"] == rendered.subject
    assert [text for *_, text in parts] == [rendered.text, rendered.html]
    assert built.content.isascii()
    assert max(len(line) for line in built.content.split(b"\n")) <= 76
    return built.content


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_catalog_message_reads_back_as_the_email_package_builds_it(name: str) -> None:
    message, context = CASES[name]
    compare(render(message, context, BASE_URL))


@pytest.mark.parametrize("name", TRICKY)
def test_special_characters_read_back_as_the_email_package_builds_them(name: str) -> None:
    compare(TRICKY[name])


def test_an_accent_is_never_split_between_two_encoded_words() -> None:
    # 44 safe characters, then « é » (6 encoded characters) crosses the 45 of a word.
    content = compare(RenderedEmail(subject="a" * 44 + "é" * 3, text="", html=""))
    subject = content.split(b"Subject: ")[1].split(b"\nDate:")[0]
    assert subject == b"=?utf-8?q?" + b"a" * 44 + b"?=\n =?utf-8?q?=C3=A9=C3=A9=C3=A9?="
