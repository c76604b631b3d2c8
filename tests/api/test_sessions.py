"""Bearer sessions end: on logout, on a password change, on deactivation, on a stale version."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi_users.authentication import JWTStrategy
from fastapi_users.password import PasswordHelper
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import transaction
from core.models import User
from services.auth import SessionStrategy, end_sessions
from tests.factories import PASSWORD, SECRET, World, auth_headers

NEW_PASSWORD = "un-autre-mot-de-passe-solide"


async def _log_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD
) -> dict[str, str]:
    answer = await client.post("/auth/jwt/login", data={"username": email, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def _me(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    return (await client.get("/users/me", headers=headers)).status_code


async def _set(session: AsyncSession, user: User, **values: Any) -> None:
    """Change the account's row straight in the database, as another process would."""
    await session.execute(update(User).where(User.id == user.id).values(**values))
    await session.commit()


async def test_after_logout_the_token_and_the_accounts_other_tokens_answer_401(
    client: httpx.AsyncClient, world: World
) -> None:
    email = world.referrer.email
    laptop, phone = await _log_in(client, email), await _log_in(client, email)
    assert await _me(client, laptop) == await _me(client, phone) == 200

    logout = await client.post("/auth/jwt/logout", headers=laptop)

    assert logout.status_code == 204
    assert await _me(client, laptop) == 401
    assert await _me(client, phone) == 401, "logout ends every session of the account"
    assert (await client.post("/auth/jwt/logout", headers=laptop)).status_code == 401
    assert await _me(client, await _log_in(client, email)) == 200
    assert await _me(client, await auth_headers(world.receiver_member)) == 200


async def test_a_password_changed_by_anyone_ends_the_sessions_signed_before(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    email = world.referrer.email
    await session.commit()
    old = await _log_in(client, email)

    await _set(session, world.referrer, hashed_password=PasswordHelper().hash(NEW_PASSWORD))

    assert await _me(client, old) == 401
    assert await _me(client, await _log_in(client, email, NEW_PASSWORD)) == 200


async def test_end_sessions_ends_them_when_its_transaction_commits(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    user = await session.get_one(User, world.referrer.id)
    await session.commit()
    token = await _log_in(client, user.email)
    try:
        async with transaction(session):
            await end_sessions(session, user)
            raise LookupError("the password change failed")
    except LookupError:
        pass
    await session.refresh(user)
    await session.commit()
    assert await _me(client, token) == 200, "a rolled-back change ends nothing"

    async with transaction(session):
        await end_sessions(session, user)

    assert user.session_version == 1
    assert await _me(client, token) == 401
    assert await _me(client, await _log_in(client, user.email)) == 200


async def test_a_deactivated_users_token_stops_at_the_next_request_and_stays_dead(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    user = await session.get_one(User, world.referrer.id)
    await session.commit()
    token = await _log_in(client, user.email)
    assert await _me(client, token) == 200

    async with transaction(session):  # as the account pages deactivate: with end_sessions
        user.is_active = False
        await end_sessions(session, user)
    assert await _me(client, token) == 401

    await _set(session, user, is_active=True)
    assert await _me(client, token) == 401, "reactivation does not revive the old sessions"
    assert await _me(client, await _log_in(client, user.email)) == 200


async def test_an_inactive_account_is_refused_even_with_a_current_token(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    token = await auth_headers(world.referrer)
    await _set(session, world.referrer, is_active=False)
    assert await _me(client, token) == 401


async def test_a_token_of_a_stale_version_is_refused(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    token = await auth_headers(world.referrer)
    assert await _me(client, token) == 200

    await _set(session, world.referrer, session_version=User.session_version + 1)

    assert await _me(client, token) == 401


async def test_a_token_without_a_session_version_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    """Tokens as relais signed them before sessions could end: valid signature, no version."""
    bare = await JWTStrategy[User, int](secret=SECRET, lifetime_seconds=3600).write_token(
        world.referrer
    )
    assert await _me(client, {"Authorization": f"Bearer {bare}"}) == 401
    current = await SessionStrategy(SECRET, 3600).write_token(world.referrer)
    assert await _me(client, {"Authorization": f"Bearer {current}"}) == 200


@pytest.mark.parametrize("grant_type", ["", "client_credentials"])
async def test_a_login_with_another_grant_type_is_refused(
    client: httpx.AsyncClient, world: World, grant_type: str
) -> None:
    form = {"username": world.referrer.email, "password": PASSWORD}
    refused = await client.post("/auth/jwt/login", data={**form, "grant_type": grant_type})
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "grant_type"
    for accepted in ({**form, "grant_type": "password"}, form):
        assert (await client.post("/auth/jwt/login", data=accepted)).status_code == 200
