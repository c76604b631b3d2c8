"""A loopback SMTP relay (aiosmtpd) that refuses a share of messages with 451 and counts the
ones it accepted by Message-ID, so that a lost or doubled email shows as a number.
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from email.parser import BytesHeaderParser
from random import Random
from typing import Any

from aiosmtpd.controller import Controller


class FaultyHandler:
    """aiosmtpd hooks: answer 451 at ``failure_rate`` (seeded), otherwise accept and count."""

    def __init__(self, failure_rate: float, seed: int) -> None:
        self.failure_rate = failure_rate
        self._random = Random(seed)
        self._lock = threading.Lock()
        self._parser = BytesHeaderParser()
        self.received: Counter[str] = Counter()
        self.refused = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Refuse with a temporary error, or record the message's Message-ID."""
        with self._lock:
            if self._random.random() < self.failure_rate:
                self.refused += 1
                return "451 4.3.0 Indisponibilité simulée, réessayez plus tard"
        headers = self._parser.parsebytes(envelope.content)
        with self._lock:
            self.received[str(headers["Message-ID"])] += 1
        return "250 Message accepted for delivery"

    def counts(self) -> Counter[str]:
        """A copy of how many times each Message-ID was accepted."""
        with self._lock:
            return Counter(self.received)


class LoopbackRelay:
    """The faulty relay listening on a free port of 127.0.0.1, in its own thread."""

    host = "127.0.0.1"

    def __init__(self, failure_rate: float, seed: int) -> None:
        self.handler = FaultyHandler(failure_rate, seed)
        self.port = free_port()
        self._controller: Controller | None = None

    def start(self) -> None:
        """Listen."""
        self._controller = Controller(self.handler, hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        """Stop listening."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def free_port() -> int:
    """A TCP port nobody listens on right now on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
