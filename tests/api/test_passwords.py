"""Passwords through the API: the rule (12 characters, not common, not the demo's outside
development), changing one's own, and « mot de passe oublié » links that work once, for an
hour, and answer alike for any address (issue 12, finding 5)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.clock import FixedClock
from core.models import OutboxMessage, PasswordResetToken
from core.settings import Settings
from relais.app import create_app
from services.auth import DEMO_PASSWORD
from services.passwords import FORGOTTEN_ANSWER, token_hash
from tests.factories import PASSWORD, PASSWORDS, SECRET, World, auth_headers

NEW_PASSWORD = "trois-pommes-sur-un-velo"


def _account(organisation_id: int, password: str) -> dict[str, Any]:
    return {
        "email": "nouvelle.recrue@epi-test.fr",
        "password": password,
        "organisation_id": organisation_id,
        "role": "member",
    }


async def _login(client: httpx.AsyncClient, email: str, password: str) -> int:
    answer = await client.post("/auth/jwt/login", data={"username": email, "password": password})
    return answer.status_code


async def _reset_messages(session: AsyncSession) -> list[tuple[str, dict[str, Any]]]:
    """The reset emails in the outbox: (recipient, context), oldest first."""
    rows = await session.execute(
        select(OutboxMessage.recipient_email, OutboxMessage.context)
        .where(OutboxMessage.message == "account.reset")
        .order_by(OutboxMessage.id)
    )
    messages = [(email, context) for email, context in rows.tuples()]
    await session.rollback()
    return messages


def _token_of(message: tuple[str, dict[str, Any]]) -> str:
    query = parse_qs(urlsplit(str(message[1]["reset_path"])).query)
    return query["token"][0]


@pytest.mark.parametrize(
    ("password", "words"),
    [
        ("onze-signes", "au moins 12 caractères"),  # 11 characters
        ("qwerty123456", "trop courant"),
        ("Password2026", "trop courant"),
        ("aaaaaaaaaaaaaaaa", "trop courant"),
        (DEMO_PASSWORD, "démonstration"),
    ],
    ids=["eleven_characters", "common", "common_variant", "repeated", "demo_password"],
)
async def test_weak_passwords_are_refused_in_french(
    client: httpx.AsyncClient, world: World, password: str, words: str
) -> None:
    answer = await client.post(
        "/api/users",
        json=_account(world.receiver.id, password),
        headers=await auth_headers(world.admin),
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "password"
    assert words in answer.json()["detail"]


async def test_the_demo_password_is_accepted_in_development_only(
    world: World, db_engine: AsyncEngine, clock: FixedClock, database_url: str
) -> None:
    settings = Settings(environment="development", secret_key=SECRET, database_url=database_url)
    app = create_app(settings, clock=clock, engine=db_engine, password_helper=PASSWORDS)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://relais.test"
    ) as client:
        answer = await client.post(
            "/api/users",
            json=_account(world.receiver.id, DEMO_PASSWORD),
            headers=await auth_headers(world.admin),
        )
    assert answer.status_code == 201, answer.text


async def test_everyone_changes_their_own_password(client: httpx.AsyncClient, world: World) -> None:
    headers = await auth_headers(world.referrer)
    email = world.referrer.email
    path = "/api/users/me/password"
    wrong = await client.post(
        path,
        json={"current_password": "pas-le-bon-mot-de-passe", "new_password": NEW_PASSWORD},
        headers=headers,
    )
    assert (wrong.status_code, wrong.json()["errors"][0]["field"]) == (422, "current_password")
    weak = await client.post(
        path, json={"current_password": PASSWORD, "new_password": "court"}, headers=headers
    )
    assert (weak.status_code, weak.json()["errors"][0]["field"]) == (422, "new_password")
    assert "12 caractères" in weak.json()["detail"]
    changed = await client.post(
        path, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}, headers=headers
    )
    assert changed.status_code == 204, changed.text
    # The session that changed it ends with the old password, like every other one.
    assert (await client.get("/users/me", headers=headers)).status_code == 401
    assert await _login(client, email, PASSWORD) == 400
    assert await _login(client, email, NEW_PASSWORD) == 200
    assert (await client.post(path, json={}, headers={})).status_code == 401


async def test_forgot_password_answers_alike_and_sends_only_to_an_active_account(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    email = world.referrer.email
    unknown = await client.post("/auth/forgot-password", json={"email": "personne@ml-test.fr"})
    assert unknown.status_code == 202
    assert unknown.json() == {"detail": FORGOTTEN_ANSWER}
    assert await _reset_messages(session) == []
    known = await client.post("/auth/forgot-password", json={"email": email.upper()})
    assert (known.status_code, known.json()) == (202, unknown.json())
    [message] = await _reset_messages(session)
    assert message[0] == email
    assert set(message[1]) == {"reset_path", "expires_at"}
    token = _token_of(message)
    stored = (await session.execute(select(PasswordResetToken.token_hash))).scalars().all()
    await session.rollback()
    assert stored == [token_hash(token)] and token not in stored
    invalid = await client.post("/auth/forgot-password", json={"email": "pas-une-adresse"})
    assert invalid.status_code == 422


async def test_a_reset_link_works_once(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    email = world.referrer.email
    await client.post("/auth/forgot-password", json={"email": email})
    [message] = await _reset_messages(session)
    token = _token_of(message)
    weak = await client.post("/auth/reset-password", json={"token": token, "password": "court"})
    assert (weak.status_code, weak.json()["errors"][0]["field"]) == (422, "password")
    body = {"token": token, "password": NEW_PASSWORD}
    used = await client.post("/auth/reset-password", json=body)
    assert used.status_code == 204, used.text
    assert await _login(client, email, NEW_PASSWORD) == 200
    again = await client.post(
        "/auth/reset-password", json={"token": token, "password": "une-autre-phrase-secrete"}
    )
    assert (again.status_code, again.json()["errors"][0]["field"]) == (422, "token")
    assert "n'est plus valable" in again.json()["detail"]
    assert await _login(client, email, NEW_PASSWORD) == 200
    forged = await client.post(
        "/auth/reset-password", json={"token": "x" * 43, "password": NEW_PASSWORD}
    )
    assert forged.status_code == 422


async def test_a_reset_link_expires_after_an_hour(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    email = world.referrer.email
    await client.post("/auth/forgot-password", json={"email": email})
    [message] = await _reset_messages(session)
    clock.advance(timedelta(hours=1))
    late = await client.post(
        "/auth/reset-password", json={"token": _token_of(message), "password": NEW_PASSWORD}
    )
    assert (late.status_code, late.json()["errors"][0]["field"]) == (422, "token")
    assert await _login(client, email, PASSWORD) == 200


async def test_no_link_for_an_inactive_account_nor_beyond_three_an_hour(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    email = world.referrer.email
    world.outsider_member.is_active = False
    session.add(world.outsider_member)
    await session.commit()
    answer = await client.post("/auth/forgot-password", json={"email": "agent@caf-test.fr"})
    assert answer.json() == {"detail": FORGOTTEN_ANSWER}
    assert await _reset_messages(session) == []
    for _ in range(4):
        await client.post("/auth/forgot-password", json={"email": email})
    assert len(await _reset_messages(session)) == 3
    clock.advance(timedelta(hours=1, minutes=1))
    await client.post("/auth/forgot-password", json={"email": email})
    count = await session.scalar(select(func.count()).select_from(PasswordResetToken))
    await session.rollback()
    assert count == 4
