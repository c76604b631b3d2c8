"""``relais retention``: says in French what it would do (``--dry-run``) and what it did."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from core.clock import FixedClock
from core.models import Person
from core.settings import get_settings
from relais.cli import app
from tests.factories import SECRET, World
from tests.services.test_retention import FIRST, completed_referral, in_months


@pytest.fixture
def relais_environment(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[None]:
    """``relais`` in process, on the test database."""
    monkeypatch.setenv("RELAIS_DATABASE_URL", database_url)
    monkeypatch.setenv("RELAIS_ENVIRONMENT", "test")
    monkeypatch.setenv("RELAIS_SECRET_KEY", SECRET)
    monkeypatch.delenv("RELAIS_RETENTION_MONTHS", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def _relais(*arguments: str) -> str:
    # In a thread: the command runs its own event loop.
    result = await asyncio.to_thread(CliRunner().invoke, app, list(arguments))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.usefixtures("relais_environment")
async def test_retention_dry_run_then_run(
    session: AsyncSession, world: World, clock: FixedClock
) -> None:
    await completed_referral(session, world, clock)
    await session.commit()
    later = in_months(clock.now(), 25).isoformat()

    dry = await _relais("retention", "--now", later, "--dry-run")
    assert "(simulation) 1 personne(s) seraient anonymisée(s)." in dry
    assert await session.scalar(select(Person.first_name)) == FIRST
    await session.commit()

    done = await _relais("retention", "--now", later)
    assert "1 personne(s) ont été anonymisée(s)." in done
    assert "0 email(s) envoyé(s) ont été purgé(s)." in done
    assert await session.scalar(select(Person.first_name)) == ""
