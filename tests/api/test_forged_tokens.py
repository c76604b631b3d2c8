"""No one signs a session for another account: the key is never a constant of the code.

Regression (issue 12, finding 1): with no ``RELAIS_SECRET_KEY``, relais signed with a
constant published in its code, and a token minted with it for the admin was accepted.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core import settings as settings_module
from core.clock import FixedClock
from core.models import User
from core.settings import Settings
from relais.app import create_app
from services.auth import SessionStrategy
from tests.factories import PASSWORDS, World

FORMER_CONSTANT = "relais-development-secret-not-for-production-use"


async def _me(settings: Settings, engine: AsyncEngine, clock: FixedClock, secret: str,
              user: User) -> int:  # fmt: skip
    """The status of ``GET /users/me`` with a token for ``user`` signed with ``secret``, made
    as relais makes its own (an attacker reads the code: only the key is secret)."""
    token = await SessionStrategy(secret, lifetime_seconds=3600).write_token(user)
    app = create_app(settings, clock=clock, engine=engine, password_helper=PASSWORDS)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://relais.test") as client:
        response = await client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
    return response.status_code


async def test_a_token_signed_with_the_former_constant_is_refused(
    world: World, session: AsyncSession, db_engine: AsyncEngine, clock: FixedClock,
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.delenv("RELAIS_SECRET_KEY", raising=False)
    admin = world.admin
    await session.commit()
    settings = Settings(
        environment="development", database_url=database_url, var_dir=str(tmp_path / "var")
    )
    assert await _me(settings, db_engine, clock, FORMER_CONSTANT, admin) == 401
    assert FORMER_CONSTANT in settings_module.PUBLISHED_SECRETS  # refused in production
    # The key relais drew for this machine does sign in: the refusal is the key's doing.
    assert settings.secret_key_file == tmp_path / "var" / "secret_key"
    assert await _me(settings, db_engine, clock, settings.secret_key, admin) == 200
    # Another machine's key is no good here either.
    elsewhere = Settings(
        environment="development", database_url=database_url, var_dir=str(tmp_path / "other")
    )
    assert elsewhere.secret_key != settings.secret_key
    assert await _me(settings, db_engine, clock, elsewhere.secret_key, admin) == 401
