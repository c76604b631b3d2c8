"""Fixtures of the notification tests: a real SMTP server on loopback (see ``smtp_server``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.notifications.smtp_server import SmtpServer, running_smtp_server


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A recording SMTP server on 127.0.0.1, accepting everything until told otherwise."""
    with running_smtp_server() as server:
        yield server
