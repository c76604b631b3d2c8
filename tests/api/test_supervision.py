"""What coordinators watch: ``GET /api/overdue``, the dead letters and their retry.

Overdue cases are made by letting real time pass on the clock (Paris time, March 2026, no
public holiday): a referral submitted at 09:00 on day D is overdue from 09:00 on D + 5
business days, a returned one 10 business days after its return. Dead letters are made by a
real delivery run whose transport refuses every message, with one attempt allowed.
"""

from __future__ import annotations

from datetime import datetime
from email import message_from_bytes, policy
from types import TracebackType
from typing import Any, Self
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import OrganisationKind, OutboxStatus, Role, Territory
from core.models import Offer, Organisation, OutboxMessage, Referral
from notifications.transport import MailTransport, OutgoingEmail, TransportError
from services.referral_service import create_referral
from states import engine
from states.referral import REFERRAL
from states.registry import LIFECYCLES
from tests.factories import (
    World,
    actor_of,
    auth_headers,
    make_offer,
    make_organisation,
    make_user,
    referral_create,
)
from workflows.delivery import DeliveryPolicy, DeliveryReport, deliver_due
from workflows.digest import send_digests

PARIS = ZoneInfo("Europe/Paris")
Sessions = async_sessionmaker[AsyncSession]
SUBJECT = "« Accompagnement en EPI », de Mission locale de Paris à EPI Paris Centre"
REFUSAL = "refus SMTP 554 : relais fermé"


def paris(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of March 2026 in Paris."""
    return datetime(2026, 3, day, hour, minute, tzinfo=PARIS)


async def submit(sessionmaker: Sessions, world: World, offer: Offer, now: datetime) -> int:
    """A referral created and submitted at ``now`` by the world's referrer."""
    async with sessionmaker() as session:
        view = await create_referral(session, actor_of(world.referrer), referral_create(offer), now)
    return int(view.case.id)


async def overdue(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    """The overdue listing as ``headers``' user sees it."""
    answer = await client.get("/api/overdue", headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def summary(body: dict[str, Any]) -> list[tuple[str, int, list[tuple[int, int]]]]:
    """(organisation, count, [(case id, days overdue)...]) per group, in the answer's order."""
    return [
        (
            group["organisation"],
            group["count"],
            [(case["case_id"], case["days_overdue"]) for case in group["cases"]],
        )
        for group in body["groups"]
    ]


@pytest.fixture
async def territory_11(
    world: World, session: AsyncSession, clock: FixedClock
) -> tuple[Organisation, Offer]:
    """An EPI of the 11th arrondissement and its offer, on the 11th's territory."""
    epi = await make_organisation(
        session, clock.now(), name="EPI Paris 11", kind=OrganisationKind.EPI,
        territory=Territory.ARR_11,
    )  # fmt: skip
    return epi, await make_offer(session, epi, clock.now(), title="Atelier du 11e")


async def test_overdue_cases_by_organisation_oldest_first_within_each_scope(
    client: httpx.AsyncClient,
    world: World,
    territory_11: tuple[Organisation, Offer],
    sessionmaker: Sessions,
    session: AsyncSession,
    clock: FixedClock,
) -> None:
    epi_11, offer_11 = territory_11
    first = await submit(sessionmaker, world, world.offer, paris(2, 9))  # overdue 9 March 09:00
    returned = await submit(sessionmaker, world, world.offer, paris(2, 9))
    async with sessionmaker() as work:
        payload = {"reason": "no_capacity", "comment": "Plus de place ce trimestre."}
        actor = actor_of(world.receiver_member)
        await engine.fire(work, REFERRAL, returned, "return", actor, payload, paris(2, 11))
    # Returned on 2 March 11:00: waits on the referrer, overdue 16 March 11:00.
    second = await submit(sessionmaker, world, world.offer, paris(3, 9))  # 10 March 09:00
    eleventh = await submit(sessionmaker, world, offer_11, paris(4, 9))  # 11 March 09:00
    await submit(sessionmaker, world, world.offer, paris(16, 9))  # not overdue until 23 March

    now = clock.now()
    scoped = await make_user(
        session, world.coordination, now, role=Role.COORDINATOR, scope_territory=Territory.ARR_11
    )
    admin_11 = await make_user(session, epi_11, now, role=Role.ORG_ADMIN)
    outsider_admin = await make_user(session, world.outsider, now, role=Role.ORG_ADMIN)
    secretary = await make_user(session, world.coordination, now, role=Role.SECRETARY)
    clock.set(paris(17, 9))  # Tuesday 17 March

    everything = await overdue(client, await auth_headers(world.coordinator))
    assert everything["total"] == 4
    # Days overdue count the business days after the escalation day, up to today.
    assert summary(everything) == [
        ("EPI Paris Centre", 2, [(first, 6), (second, 5)]),
        ("EPI Paris 11", 1, [(eleventh, 4)]),
        ("Mission locale de Paris", 1, [(returned, 1)]),
    ]
    case = everything["groups"][0]["cases"][0]
    assert datetime.fromisoformat(case.pop("escalation_at")) == paris(9, 9)
    assert case == {
        "lifecycle": "referral",
        "case_id": first,
        "reference": "OR-2026-000001",
        "case_label": "orientation",
        "state": "submitted",
        "state_label": "transmise",
        "subject_line": SUBJECT,
        "path": f"/referrals/{first}",
        "waiting_organisation": "EPI Paris Centre",
        "days_overdue": 6,
    }
    waiting_on_referrer = everything["groups"][2]["cases"][0]
    assert (waiting_on_referrer["state"], waiting_on_referrer["state_label"]) == (
        "returned",
        "retournée",
    )
    assert datetime.fromisoformat(waiting_on_referrer["escalation_at"]) == paris(16, 11)

    # The digest of the same morning shows the same cases in the same order.
    report = await send_digests(sessionmaker, LIFECYCLES, clock.now())
    assert len(report.sent) == 3  # the two coordinators and the 11th's admin
    async with sessionmaker() as reading:
        digest = (
            await reading.execute(
                select(OutboxMessage).where(
                    OutboxMessage.message == "digest",
                    OutboxMessage.recipient_user_id == world.coordinator.id,
                )
            )
        ).scalar_one()
    assert [[line["path"] for line in group["cases"]] for group in digest.context["groups"]] == [
        [case["path"] for case in group["cases"]] for group in everything["groups"]
    ]

    expected = {
        "scoped coordinator": (scoped, [("EPI Paris 11", 1, [(eleventh, 4)])]),
        "admin of the 11th's EPI": (admin_11, [("EPI Paris 11", 1, [(eleventh, 4)])]),
        "member of the receiver": (
            world.receiver_member,
            [
                ("EPI Paris Centre", 2, [(first, 6), (second, 5)]),
                ("Mission locale de Paris", 1, [(returned, 1)]),
            ],
        ),
        "admin of an organisation with no case": (outsider_admin, []),
    }
    for who, (user, groups) in expected.items():
        body = await overdue(client, await auth_headers(user))
        assert summary(body) == groups, who
        assert body["total"] == sum(count for _, count, _ in groups), who

    refused = await client.get("/api/overdue", headers=await auth_headers(secretary))
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    assert (await client.get("/api/overdue")).status_code == 401


async def test_a_case_is_overdue_from_its_escalation_time_until_it_moves(
    client: httpx.AsyncClient, world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    referral_id = await submit(sessionmaker, world, world.offer, paris(2, 9))
    coordinator = await auth_headers(world.coordinator)

    clock.set(paris(9, 8, 59))  # a minute before the escalation time
    assert await overdue(client, coordinator) == {"total": 0, "groups": []}
    clock.set(paris(9, 9))
    body = await overdue(client, coordinator)
    assert summary(body) == [("EPI Paris Centre", 1, [(referral_id, 1)])]

    clock.set(paris(10, 10))
    accepted = await client.post(
        f"/api/referrals/{referral_id}/accept",
        json={},
        headers=await auth_headers(world.receiver_member),
    )
    assert accepted.status_code == 200, accepted.text
    assert await overdue(client, coordinator) == {"total": 0, "groups": []}


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
