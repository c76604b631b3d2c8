"""A real SMTP server on loopback (aiosmtpd) that records every message it accepts.

Self-contained for the workflow tests: the command line under test connects to it over TCP
exactly as it would to a relay.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    """One message as the server accepted it: the envelope and the parsed email."""

    mail_from: str
    recipients: tuple[str, ...]
    email: EmailMessage

    @property
    def subject(self) -> str:
        """The decoded subject."""
        return str(self.email["Subject"])

    @property
    def message_id(self) -> str:
        """The Message-ID header."""
        return str(self.email["Message-ID"])

    @property
    def text(self) -> str:
        """The plain-text part, with the wire's CRLF line ends made plain newlines."""
        body = self.email.get_body(preferencelist=("plain",))
        assert body is not None, "every relais email has a text part"
        return cast(str, body.get_content()).replace("\r\n", "\n")


@dataclass
class RecordingHandler:
    """An aiosmtpd handler that keeps every message and answers 250."""

    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Record the message (aiosmtpd calls this once the DATA is complete)."""
        email = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(email, EmailMessage)
        with self.lock:
            self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), email))
        return "250 Message accepted for delivery"

    def snapshot(self) -> list[Received]:
        """A copy of what arrived so far."""
        with self.lock:
            return list(self.received)


@dataclass(frozen=True)
class SmtpServer:
    """The running server: where it listens and what it received."""

    host: str
    port: int
    handler: RecordingHandler

    @property
    def messages(self) -> list[Received]:
        """Every message received so far, in arrival order."""
        return self.handler.snapshot()


def free_port() -> int:
    """A TCP port nobody listens on right now on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    """Run a recording SMTP server on 127.0.0.1 (free port) for the duration of the block."""
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, handler)
    finally:
        controller.stop()
