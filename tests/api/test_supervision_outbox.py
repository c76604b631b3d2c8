"""What coordinators watch: the dead letters of the outbox and their retry.

Dead letters are made by a real delivery run whose transport refuses every message, with one
attempt allowed (Paris time, March 2026). The overdue cases: ``test_supervision.py``.
"""

from __future__ import annotations

from datetime import datetime
from email import message_from_bytes, policy
from types import TracebackType
from typing import Self

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import OutboxStatus, Role, Territory
from core.models import OutboxMessage, Referral
from notifications.transport import MailTransport, OutgoingEmail, TransportError
from tests.api.supervision_helpers import Sessions, paris, submit
from tests.factories import World, auth_headers, make_offer, make_user
from workflows.delivery import DeliveryPolicy, DeliveryReport, deliver_due

REFUSAL = "refus SMTP 554 : relais fermé"


class RefusingTransport:
    """An SMTP relay that refuses every message for good."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        return None

    async def send(self, email: OutgoingEmail) -> None:
        raise TransportError(REFUSAL, permanent=True)


class RecordingTransport(RefusingTransport):
    """A relay that accepts everything and remembers who it was for."""

    def __init__(self, accepted: list[str]) -> None:
        self.accepted = accepted

    async def send(self, email: OutgoingEmail) -> None:
        message = message_from_bytes(email.content, policy=policy.default)
        self.accepted.append(str(message["Subject"]))


async def deliver(
    sessionmaker: Sessions, transport: MailTransport, now: datetime
) -> DeliveryReport:
    """One delivery run with a single attempt allowed."""
    return await deliver_due(
        sessionmaker,
        lambda: transport,
        now,
        base_url="https://relais.paris.example",
        mail_from="relais <no-reply@relais.paris.example>",
        policy=DeliveryPolicy(max_attempts=1),
    )


async def outbox_row(sessionmaker: Sessions, message_id: int) -> OutboxMessage:
    """An outbox row read in a short transaction of its own (SQLite locks the file)."""
    async with sessionmaker() as session:
        return await session.get_one(OutboxMessage, message_id)


@pytest.fixture
async def dead_letters(world: World, sessionmaker: Sessions, clock: FixedClock) -> list[int]:
    """Two referral.submitted emails that the relay refused: their ids, oldest first."""
    for _ in range(2):
        await submit(sessionmaker, world, world.offer, clock.now())
    report = await deliver(sessionmaker, RefusingTransport(), clock.now())
    assert (len(report.sent), len(report.retried), len(report.dead)) == (0, 0, 2)
    async with sessionmaker() as session:
        return list(
            (await session.execute(select(OutboxMessage.id).order_by(OutboxMessage.id))).scalars()
        )


async def test_dead_letters_are_listed_for_coordinators_and_admins_only(
    client: httpx.AsyncClient,
    world: World,
    dead_letters: list[int],
    sessionmaker: Sessions,
    clock: FixedClock,
) -> None:
    older, newer = dead_letters
    for user in (world.coordinator, world.admin):
        answer = await client.get(
            "/api/outbox", params={"status": "dead"}, headers=await auth_headers(user)
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert [item["id"] for item in body["items"]] == [newer, older]
        assert body["next_cursor"] is None
    item = body["items"][0]
    async with sessionmaker() as session:
        referral_ids = (await session.execute(select(Referral.id).order_by(Referral.id))).scalars()
        assert item.pop("case_id") == list(referral_ids)[1]
    # Dead after its only attempt; the time it would have been retried (+1 minute) stays.
    assert datetime.fromisoformat(item.pop("next_attempt_at")) == paris(2, 9, 1)
    assert datetime.fromisoformat(item.pop("created_at")) == clock.now()
    # Recipient and delivery state, never the content of the email.
    assert item == {
        "id": newer,
        "message": "referral.submitted",
        "case_kind": "referral",
        "recipient_email": "accueil@epi-test.fr",
        "status": "dead",
        "attempts": 1,
        "last_error": REFUSAL,
        "sent_at": None,
    }

    coordinator = await auth_headers(world.coordinator)
    default = await client.get("/api/outbox", headers=coordinator)
    assert [item["id"] for item in default.json()["items"]] == [newer, older]
    pending = await client.get("/api/outbox", params={"status": "pending"}, headers=coordinator)
    assert pending.json() == {"items": [], "next_cursor": None}
    page = await client.get("/api/outbox", params={"limit": 1}, headers=coordinator)
    assert page.json()["next_cursor"] == newer
    rest = await client.get("/api/outbox", params={"cursor": newer}, headers=coordinator)
    assert [item["id"] for item in rest.json()["items"]] == [older]

    for user in (world.receiver_member, world.referrer):
        refused = await client.get("/api/outbox", headers=await auth_headers(user))
        assert refused.status_code == 403
        assert refused.json()["code"] == "forbidden"


async def test_a_retried_dead_letter_goes_back_in_line_and_is_delivered(
    client: httpx.AsyncClient,
    world: World,
    dead_letters: list[int],
    sessionmaker: Sessions,
    clock: FixedClock,
) -> None:
    older, newer = dead_letters
    clock.set(paris(2, 15, 30))
    answer = await client.post(
        f"/api/outbox/{older}/retry", headers=await auth_headers(world.coordinator)
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["id"], body["status"], body["attempts"]) == (older, "pending", 0)
    assert datetime.fromisoformat(body["next_attempt_at"]) == paris(2, 15, 30)
    row = await outbox_row(sessionmaker, older)
    assert (row.status, row.attempts, row.next_attempt_at) == (
        OutboxStatus.PENDING,
        0,
        paris(2, 15, 30),
    )

    again = await client.post(f"/api/outbox/{older}/retry", headers=await auth_headers(world.admin))
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"

    accepted: list[str] = []
    report = await deliver(sessionmaker, RecordingTransport(accepted), clock.now())
    assert (len(report.sent), len(report.dead)) == (1, 0)
    assert accepted == ["Orientation OR-2026-000001 reçue pour « Accompagnement en EPI »"]
    sent = await client.post(
        f"/api/outbox/{older}/retry", headers=await auth_headers(world.coordinator)
    )
    assert sent.status_code == 409  # a sent email is never sent again

    by_admin = await client.post(
        f"/api/outbox/{newer}/retry", headers=await auth_headers(world.admin)
    )
    assert (by_admin.status_code, by_admin.json()["status"]) == (200, "pending")


async def test_retry_refuses_members_and_unknown_messages(
    client: httpx.AsyncClient, world: World, dead_letters: list[int], sessionmaker: Sessions
) -> None:
    older, _ = dead_letters
    refused = await client.post(
        f"/api/outbox/{older}/retry", headers=await auth_headers(world.receiver_member)
    )
    assert refused.status_code == 403
    row = await outbox_row(sessionmaker, older)
    assert (row.status, row.attempts) == (OutboxStatus.DEAD, 1)

    missing = await client.post(
        "/api/outbox/999999/retry", headers=await auth_headers(world.coordinator)
    )
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"


async def test_a_coordinator_of_one_territory_supervises_only_its_emails(
    client: httpx.AsyncClient,
    world: World,
    dead_letters: list[int],
    sessionmaker: Sessions,
    session: AsyncSession,
    clock: FixedClock,
) -> None:
    assert world.offer.territory is not Territory.ARR_18
    local_offer = await make_offer(session, world.receiver, clock.now(), territory=Territory.ARR_18)
    await submit(sessionmaker, world, local_offer, clock.now())
    await deliver(sessionmaker, RefusingTransport(), clock.now())
    async with sessionmaker() as reading:
        (local,) = (
            await reading.execute(
                select(OutboxMessage.id).where(OutboxMessage.id.not_in(dead_letters))
            )
        ).scalars()
    north = await make_user(
        session,
        world.coordination,
        clock.now(),
        role=Role.COORDINATOR,
        email="coordination-18@epec-test.fr",
        scope_territory=Territory.ARR_18,
    )
    headers = await auth_headers(north)
    listed = await client.get("/api/outbox", params={"status": "dead"}, headers=headers)
    assert [item["id"] for item in listed.json()["items"]] == [local]
    # Another territory's dead letter is not theirs to see nor to send again.
    elsewhere = await client.post(f"/api/outbox/{dead_letters[0]}/retry", headers=headers)
    assert elsewhere.status_code == 404
    assert (await outbox_row(sessionmaker, dead_letters[0])).status is OutboxStatus.DEAD
    assert (await client.post(f"/api/outbox/{local}/retry", headers=headers)).status_code == 200
    # A coordinator of all Paris still supervises every email.
    everything = await client.get(
        "/api/outbox", params={"status": "dead"}, headers=await auth_headers(world.coordinator)
    )
    assert [item["id"] for item in everything.json()["items"]] == list(reversed(dead_letters))
