"""No silent case (issue 13), through the API: a referral under way is checked on, an expired
one lands in its referrer's to-do list and on the coordinators' overdue list at once.

Paris time, 2026. A referral sent on Monday 2 March at 09:00 expires unanswered 20 business
days later, on Monday 30 March at 09:00 (summer time from 29 March); its referrer is reminded
5 business days after that (Tuesday 7 April: Easter Monday is not worked) and the
coordinators alerted after 10 (Tuesday 14 April). A referral started on 2 March gets its
progress check 60 business days later, Monday 1 June (Easter Monday, 1 and 8 May, Ascension
and Whit Monday are not worked), and the coordinators hear of it 10 business days after that,
Monday 15 June.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import MessageKey
from core.models import OutboxMessage
from services.dashboard import DashboardFilters, count_by_lifecycle, dashboard_cases
from states.registry import LIFECYCLES
from tests.api.supervision_helpers import submit
from tests.factories import World, actor_of, auth_headers
from workflows.sweep import sweep_due

PARIS = ZoneInfo("Europe/Paris")
SECOND = timedelta(seconds=1)
Sessions = async_sessionmaker[AsyncSession]


def paris(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of 2026 in Paris."""
    return datetime(2026, month, day, hour, minute, tzinfo=PARIS)


SENT = paris(3, 2, 9)


async def todo(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    """The caller's to-do list."""
    answer = await client.get("/api/todo", headers=headers)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def told(sessionmaker: Sessions, case_id: int) -> list[tuple[str, str]]:
    """(message, recipient) of the case's emails, oldest first."""
    async with sessionmaker() as session:
        rows = await session.execute(
            select(OutboxMessage.message, OutboxMessage.recipient_email)
            .where(OutboxMessage.case_kind == "referral", OutboxMessage.case_id == case_id)
            .order_by(OutboxMessage.id)
        )
        return [(message, email) for message, email in rows.tuples()]


async def sweep_at(sessionmaker: Sessions, moment: datetime) -> None:
    """Run the sweep at ``moment``."""
    await sweep_due(sessionmaker, LIFECYCLES, moment)


async def test_a_referral_left_alone_after_its_start_is_checked_on(
    client: httpx.AsyncClient, world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    clock.set(SENT)
    case_id = await submit(sessionmaker, world, world.offer, SENT)
    receiver = await auth_headers(world.receiver_member)
    for trigger in ("accept", "start"):
        answer = await client.post(f"/api/referrals/{case_id}/{trigger}", headers=receiver)
        assert answer.status_code == 200, answer.text
    before = await told(sessionmaker, case_id)
    # Ongoing work is on the to-do list only once its progress check is due.
    clock.set(paris(6, 1, 9) - SECOND)
    assert await todo(client, receiver) == []

    await sweep_at(sessionmaker, paris(6, 1, 9) - SECOND)
    assert await told(sessionmaker, case_id) == before
    await sweep_at(sessionmaker, paris(6, 1, 9))
    assert (await told(sessionmaker, case_id))[len(before) :] == [
        (MessageKey.REMINDER, world.receiver_member.email)
    ]
    clock.set(paris(6, 1, 9))
    [waiting] = await todo(client, receiver)
    assert (waiting["case_id"], waiting["state"]) == (case_id, "in_progress")
    assert waiting["overdue"] is False
    assert waiting["expected_action"].startswith("faire le point d'étape")
    assert datetime.fromisoformat(waiting["deadline"]) == paris(6, 15, 9)

    await sweep_at(sessionmaker, paris(6, 15, 9) - SECOND)
    assert len(await told(sessionmaker, case_id)) == len(before) + 1
    await sweep_at(sessionmaker, paris(6, 15, 9))
    assert (await told(sessionmaker, case_id))[-1] == (
        MessageKey.ESCALATION, world.coordinator.email,
    )  # fmt: skip
    clock.set(paris(6, 16, 10))
    [waiting] = await todo(client, receiver)
    assert waiting["overdue"] is True

    # A progress note restarts the count: nothing is late, nothing to do until the next check.
    note = {"note": "Deux entretiens en juin, une immersion prévue."}
    answer = await client.post(f"/api/referrals/{case_id}/note", headers=receiver, json=note)
    assert answer.status_code == 200, answer.text
    assert answer.json()["state"] == "in_progress"
    assert await todo(client, receiver) == []
    coordinator = await auth_headers(world.coordinator)
    assert (await client.get("/api/overdue", headers=coordinator)).json()["total"] == 0


async def test_an_expired_referral_is_on_its_referrers_list_and_late_at_once(
    client: httpx.AsyncClient,
    world: World,
    sessionmaker: Sessions,
    clock: FixedClock,
) -> None:
    case_id = await submit(sessionmaker, world, world.offer, SENT)
    referrer = await auth_headers(world.referrer)
    coordinator = await auth_headers(world.coordinator)
    expired_at = paris(3, 30, 9)
    await sweep_at(sessionmaker, expired_at)
    clock.set(expired_at)

    [waiting] = await todo(client, referrer)
    assert (waiting["case_id"], waiting["state"], waiting["overdue"]) == (case_id, "expired", True)
    assert waiting["expected_action"] == (
        "sans réponse : renvoyer, réorienter ou clôturer l'orientation"
    )
    assert waiting["waiting_on"] == world.sender.name
    assert datetime.fromisoformat(waiting["deadline"]) == expired_at
    assert await todo(client, await auth_headers(world.receiver_member)) == []
    overdue = (await client.get("/api/overdue", headers=coordinator)).json()
    assert [case["case_id"] for group in overdue["groups"] for case in group["cases"]] == [case_id]
    async with sessionmaker() as reading:
        on_dashboard = await dashboard_cases(
            reading, actor_of(world.coordinator), expired_at, DashboardFilters()
        )
    assert count_by_lifecycle(on_dashboard)["referral"] == 1

    before = await told(sessionmaker, case_id)
    await sweep_at(sessionmaker, paris(4, 7, 9) - SECOND)
    assert await told(sessionmaker, case_id) == before
    await sweep_at(sessionmaker, paris(4, 7, 9))
    assert (await told(sessionmaker, case_id))[len(before) :] == [
        (MessageKey.REMINDER, world.referrer.email)
    ]
    await sweep_at(sessionmaker, paris(4, 14, 9) - SECOND)
    assert len(await told(sessionmaker, case_id)) == len(before) + 1
    await sweep_at(sessionmaker, paris(4, 14, 9))
    assert (await told(sessionmaker, case_id))[-1] == (
        MessageKey.ESCALATION, world.coordinator.email,
    )  # fmt: skip

    # Closed by its referrer: off every list.
    clock.set(paris(4, 15, 9))
    answer = await client.post(f"/api/referrals/{case_id}/close", headers=referrer)
    assert answer.status_code == 200, answer.text
    assert await todo(client, referrer) == []
    assert (await client.get("/api/overdue", headers=coordinator)).json()["total"] == 0
