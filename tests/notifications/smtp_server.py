"""A real SMTP server on loopback (aiosmtpd) that records what it accepts and can misbehave.

Tests connect to it over TCP exactly as relais connects to a relay. It can be told to accept,
to refuse at ``RCPT`` or ``DATA`` with any code (4xx or 5xx), to hang at one of those steps
for longer than the client waits, and it can be stopped and started again on the same port
(the relay is down, then back). Every accepted message is kept with its envelope, every
refused one too (to compare what a retry sends), and every SMTP session is counted.

aiosmtpd runs its own event loop in a thread: the handler's records are guarded by a lock.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, Literal

from aiosmtpd.controller import Controller

Stage = Literal["RCPT", "DATA"]


@dataclass(frozen=True)
class Behaviour:
    """What the server does with the next commands: accept, refuse with ``code`` or hang.

    ``only`` limits a refusal or a hang to one recipient address; the others are accepted.
    """

    action: Literal["accept", "refuse", "hang"] = "accept"
    stage: Stage = "RCPT"
    code: int = 250
    only: str | None = None

    def applies(self, stage: Stage, recipients: list[str]) -> bool:
        """Whether this behaviour misbehaves at ``stage`` for a message to ``recipients``."""
        if self.action == "accept" or self.stage != stage:
            return False
        return self.only is None or self.only in recipients


@dataclass(frozen=True)
class Received:
    """One message the server saw: its session number, envelope and parsed email."""

    session: int
    mail_from: str
    recipients: tuple[str, ...]
    email: EmailMessage

    @property
    def message_id(self) -> str:
        """The ``Message-ID`` header."""
        return str(self.email["Message-ID"])

    @property
    def subject(self) -> str:
        """The decoded subject."""
        return str(self.email["Subject"])


class RecordingHandler:
    """aiosmtpd hooks: count sessions, apply the current behaviour, record messages."""

    def __init__(self, hang_seconds: float) -> None:
        self.behaviour = Behaviour()
        self.hang_seconds = hang_seconds
        self._lock = threading.Lock()
        self._sessions = 0
        self._session_numbers: dict[int, int] = {}
        self.accepted: list[Received] = []
        self.refused: list[Received] = []

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        """A client greets: one more SMTP session (aiosmtplib says EHLO once per connection)."""
        session.host_name = hostname
        with self._lock:
            self._sessions += 1
            self._session_numbers[id(session)] = self._sessions
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        """Accept the recipient, or misbehave if told to at ``RCPT``."""
        behaviour = self.behaviour
        if behaviour.applies("RCPT", [address]):
            return await self._misbehave(behaviour)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Accept and record the message, or misbehave if told to at ``DATA``."""
        behaviour = self.behaviour
        email = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(email, EmailMessage)
        with self._lock:
            number = self._session_numbers.get(id(session), 0)
        received = Received(number, envelope.mail_from, tuple(envelope.rcpt_tos), email)
        if behaviour.applies("DATA", list(envelope.rcpt_tos)):
            with self._lock:
                self.refused.append(received)
            return await self._misbehave(behaviour)
        with self._lock:
            self.accepted.append(received)
        return "250 Message accepted for delivery"

    async def _misbehave(self, behaviour: Behaviour) -> str:
        if behaviour.action == "hang":
            await asyncio.sleep(self.hang_seconds)
            return "451 4.4.2 Too slow, try again later"
        return f"{behaviour.code} {behaviour.code // 100}.0.0 Refused by the test server"

    @property
    def sessions(self) -> int:
        """How many SMTP sessions were opened so far."""
        with self._lock:
            return self._sessions

    def snapshot(self) -> tuple[list[Received], list[Received]]:
        """Copies of the accepted and refused messages so far."""
        with self._lock:
            return list(self.accepted), list(self.refused)


class SmtpServer:
    """A recording SMTP server on ``127.0.0.1``; restartable on the same port."""

    host = "127.0.0.1"

    def __init__(self, *, hang_seconds: float = 3.0) -> None:
        self.port = free_port()
        self.handler = RecordingHandler(hang_seconds)
        self._controller: Controller | None = None

    # Running

    def start(self) -> None:
        """Listen (again) on the same port."""
        assert self._controller is None, "already running"
        # A fresh controller each time: a stopped one has closed its event loop.
        controller = Controller(self.handler, hostname=self.host, port=self.port)
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Close the listening socket and every open session: the relay is down."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        """Whether the server listens right now."""
        return self._controller is not None

    # Behaviour

    def accept(self) -> None:
        """Accept every message from now on."""
        self.handler.behaviour = Behaviour()

    def refuse(self, code: int, *, stage: Stage = "RCPT", only: str | None = None) -> None:
        """Answer ``code`` at ``stage`` (for ``only`` that recipient, if given)."""
        self.handler.behaviour = Behaviour("refuse", stage, code, only)

    def hang(self, *, stage: Stage = "DATA", only: str | None = None) -> None:
        """Say nothing at ``stage`` (for ``only`` that recipient, if given) for
        ``hang_seconds``, then answer 451."""
        self.handler.behaviour = Behaviour("hang", stage, 451, only)

    # What happened

    @property
    def sessions(self) -> int:
        """SMTP sessions opened so far (one per connection relais made)."""
        return self.handler.sessions

    @property
    def messages(self) -> list[Received]:
        """Messages accepted so far, in arrival order."""
        return self.handler.snapshot()[0]

    @property
    def refused_messages(self) -> list[Received]:
        """Messages whose DATA was refused or left hanging, in arrival order."""
        return self.handler.snapshot()[1]

    def count_by_message_id(self) -> Counter[str]:
        """How many times each Message-ID was accepted."""
        return Counter(received.message_id for received in self.messages)

    def count_by_recipient(self) -> Counter[str]:
        """How many accepted messages each recipient address got."""
        return Counter(address for received in self.messages for address in received.recipients)


def free_port() -> int:
    """A TCP port nobody listens on right now on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_smtp_server(*, hang_seconds: float = 3.0) -> Iterator[SmtpServer]:
    """A started server, accepting everything, stopped at the end of the block."""
    server = SmtpServer(hang_seconds=hang_seconds)
    server.start()
    try:
        yield server
    finally:
        server.stop()
