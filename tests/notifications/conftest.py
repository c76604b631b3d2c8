"""Fixtures of the notification tests: a real SMTP server on loopback (see ``smtp_server``),
the settings that point relais at it, and a receiving organisation with two members."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import Settings
from tests.factories import SECRET, World, make_user
from tests.notifications.delivery_helpers import MAIL_FROM, RECEIVERS
from tests.notifications.smtp_server import SmtpServer, running_smtp_server


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A recording SMTP server on 127.0.0.1, accepting everything until told otherwise."""
    with running_smtp_server() as server:
        yield server


@pytest.fixture
async def smtp_settings(database_url: str, smtp_server: SmtpServer) -> Settings:
    """Settings pointing relais at the test relay with a 1 s timeout."""
    return Settings(
        environment="test",
        secret_key=SECRET,
        database_url=database_url,
        base_url="https://relais.paris.test",
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        smtp_timeout_seconds=1,
        mail_from=MAIL_FROM,
    )


@pytest.fixture
async def receiving_world(world: World, session: AsyncSession) -> World:
    """The usual world with a second member on the receiving side: two emails per referral."""
    await make_user(session, world.receiver, world.offer.created_at, email=RECEIVERS[1])
    return world
