"""Invitations through the API (issue 13, point 2): ``POST /auth/invitations/{token}`` makes
the member account the link offers, once; two uses at once make one account."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.models import AuditEntry, Invitation, OutboxMessage, User
from services.referral_service import create_referral
from tests.factories import (
    CONTACT_EMAIL,
    World,
    actor_of,
    make_contact_only_offer,
    referral_create,
)

EMAIL = User.__table__.c.email
BODY = {"full_name": "Samia Benali", "password": "trois-pommes-sur-un-velo"}


async def _invitation_token(session: AsyncSession, world: World, clock: FixedClock) -> str:
    """The token of the invitation a referral to a contact-only offer sent."""
    offer = await make_contact_only_offer(session, clock.now())
    await create_referral(session, actor_of(world.referrer), referral_create(offer), clock.now())
    context: dict[str, Any] = (
        await session.execute(
            select(OutboxMessage.context).where(OutboxMessage.recipient_email == CONTACT_EMAIL)
        )
    ).scalar_one()
    await session.rollback()
    return str(context["invitation_path"]).removeprefix("/invitations/")


async def _accounts(session: AsyncSession) -> int:
    count = await session.scalar(
        select(func.count()).select_from(User).where(EMAIL == CONTACT_EMAIL)
    )
    await session.rollback()
    return count or 0


async def test_the_link_makes_a_member_account_once(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    token = await _invitation_token(session, world, clock)
    organisation_id = (await session.execute(select(Invitation.organisation_id))).scalar_one()
    await session.rollback()

    made = await client.post(f"/auth/invitations/{token}", json=BODY)
    assert made.status_code == 201, made.text
    account = made.json()
    assert account["email"] == CONTACT_EMAIL and account["role"] == "member"
    assert account["organisation_id"] == organisation_id
    assert account["full_name"] == BODY["full_name"]
    login = await client.post(
        "/auth/jwt/login", data={"username": CONTACT_EMAIL, "password": BODY["password"]}
    )
    assert login.status_code == 200

    again = await client.post(f"/auth/invitations/{token}", json=BODY)
    assert again.status_code == 410 and again.json()["code"] == "link_gone"
    assert await _accounts(session) == 1
    # The account's creation is in the trail, by the person it made, once.
    rows = await session.execute(
        select(AuditEntry.entity_id, AuditEntry.action, AuditEntry.actor_id, AuditEntry.changes)
    )
    trail = [tuple(row) for row in rows]
    await session.rollback()
    assert [row[:3] for row in trail] == [(account["id"], "created", account["id"])]
    assert trail[0][3]["role"] == {"from": None, "to": "member"}
    assert "hashed_password" not in trail[0][3]


async def test_refusals_say_why(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    token = await _invitation_token(session, world, clock)
    unknown = await client.post("/auth/invitations/" + "x" * 43, json=BODY)
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    weak = await client.post(f"/auth/invitations/{token}", json={**BODY, "password": "azerty"})
    assert weak.status_code == 422 and weak.json()["errors"][0]["field"] == "password"
    clock.advance(timedelta(days=10))
    late = await client.post(f"/auth/invitations/{token}", json=BODY)
    assert late.status_code == 410 and "expiré" in late.json()["detail"]
    assert await _accounts(session) == 0


async def test_two_uses_at_once_make_one_account(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    token = await _invitation_token(session, world, clock)
    answers = await asyncio.gather(
        client.post(f"/auth/invitations/{token}", json=BODY),
        client.post(f"/auth/invitations/{token}", json={**BODY, "full_name": "Autre Personne"}),
    )
    # One wins; the other finds the link used (410), or, when it read it before the winner
    # committed and its conditional update then matched nothing, used as well.
    assert sorted(answer.status_code for answer in answers) == [201, 410], [
        answer.text for answer in answers
    ]
    assert await _accounts(session) == 1
