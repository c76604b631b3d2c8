"""The timers a referral's states open and close, and the overdue filter built on them.

Expected due dates are written literally, worked out by hand on a calendar (see the comment
of each case). Paris is UTC+1 until Sunday 29 March 2026 and UTC+2 after, so 09:00 in Paris
is 08:00 UTC in early March and 07:00 UTC in April or July. Easter Monday is 6 April 2026,
1 May 2026 is a Friday, 14 July 2026 a Tuesday, 25 December 2026 a Friday, 1 January 2027
a Friday.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import TimerKind, TimerStatus
from core.models import Offer, Timer
from services.referral_service import create_referral
from states import engine
from states.referral import REFERRAL
from tests.factories import World, actor_of, auth_headers, make_offer, referral_create

PARIS = ZoneInfo("Europe/Paris")
Sessions = async_sessionmaker[AsyncSession]


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def paris(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


async def submit(sessionmaker: Sessions, world: World, offer: Offer, now: datetime) -> int:
    """A referral created and submitted at ``now`` by the world's referrer."""
    async with sessionmaker() as session:
        view = await create_referral(session, actor_of(world.referrer), referral_create(offer), now)
        await session.commit()
    return int(view.case.id)


async def fire(
    sessionmaker: Sessions,
    world: World,
    referral_id: int,
    trigger: str,
    payload: dict[str, Any],
    now: datetime,
) -> None:
    """Fire a receiver's, referrer's or coordinator's trigger through the engine."""
    user = {
        "accept": world.receiver_member,
        "return": world.receiver_member,
        "start": world.receiver_member,
        "complete": world.receiver_member,
        "note": world.receiver_member,
        "resubmit": world.referrer,
        "reassign": world.coordinator,
    }[trigger]
    async with sessionmaker() as session:
        await engine.fire(session, REFERRAL, referral_id, trigger, actor_of(user), payload, now)


async def timers_of(sessionmaker: Sessions, referral_id: int) -> list[Timer]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(Timer)
            .where(Timer.case_kind == "referral", Timer.case_id == referral_id)
            .order_by(Timer.id)
        )
        return list(rows.scalars())


def due(timers: list[Timer], state: str) -> dict[str, tuple[datetime, str]]:
    """Kind -> (due_at, target) of the open timers of ``state``."""
    return {
        timer.kind.value: (timer.due_at, timer.target)
        for timer in timers
        if timer.state == state and timer.closed_at is None
    }


async def test_draft_opens_no_timer(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    async with sessionmaker() as session:
        view = await create_referral(
            session,
            actor_of(world.referrer),
            referral_create(world.offer, submit=False),
            clock.now(),
        )
        await session.commit()
    assert await timers_of(sessionmaker, view.case.id) == []


async def test_submitted_opens_reminder_escalation_and_expiry(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    # Submitted Monday 2 March 2026 09:00 Paris (08:00 UTC).
    referral_id = await submit(sessionmaker, world, world.offer, clock.now())
    timers = await timers_of(sessionmaker, referral_id)
    assert due(timers, "submitted") == {
        # +3: Tue 3, Wed 4, Thu 5 March.
        "reminder": (utc(2026, 3, 5, 8), "receiver"),
        # +5: Tue 3 .. Fri 6, Mon 9 March.
        "escalation": (utc(2026, 3, 9, 8), "coordinators"),
        # +20: 3-6 (4), 9-13 (9), 16-20 (14), 23-27 (19), Mon 30 March (20), after the
        # change to summer time: 09:00 Paris = 07:00 UTC.
        "trigger": (utc(2026, 3, 30, 7), "expire"),
    }
    assert len(timers) == 3
    assert all(timer.status is TimerStatus.PENDING for timer in timers)
    assert all(timer.created_at == clock.now() and timer.fired_at is None for timer in timers)


async def test_returned_replaces_the_submitted_timers(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    referral_id = await submit(sessionmaker, world, world.offer, clock.now())
    returned_at = paris(2026, 3, 4, 11)  # Wednesday 4 March, 10:00 UTC
    payload = {"reason": "missing_information", "comment": "Coordonnées à compléter."}
    await fire(sessionmaker, world, referral_id, "return", payload, returned_at)

    timers = await timers_of(sessionmaker, referral_id)
    assert due(timers, "returned") == {
        # +5: Thu 5, Fri 6, Mon 9, Tue 10, Wed 11 March.
        "reminder": (utc(2026, 3, 11, 10), "referrer"),
        # +10: then Thu 12, Fri 13, Mon 16, Tue 17, Wed 18 March.
        "escalation": (utc(2026, 3, 18, 10), "coordinators"),
    }
    left = [timer for timer in timers if timer.state == "submitted"]
    assert len(left) == 3
    assert all(timer.status is TimerStatus.CANCELLED for timer in left)
    assert all(timer.closed_at == returned_at for timer in left)


async def test_accepted_opens_start_reminder_and_escalation(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    referral_id = await submit(sessionmaker, world, world.offer, clock.now())
    accepted_at = paris(2026, 3, 3, 14)  # Tuesday 3 March, 13:00 UTC
    await fire(sessionmaker, world, referral_id, "accept", {}, accepted_at)

    timers = await timers_of(sessionmaker, referral_id)
    assert due(timers, "accepted") == {
        # +10: Wed 4, Thu 5, Fri 6, Mon 9 .. Fri 13, Mon 16, Tue 17 March.
        "reminder": (utc(2026, 3, 17, 13), "receiver"),
        # +15: then Wed 18, Thu 19, Fri 20, Mon 23, Tue 24 March.
        "escalation": (utc(2026, 3, 24, 13), "coordinators"),
    }
    assert due(timers, "submitted") == {}


async def test_leaving_closes_fired_timers_and_cancels_pending_ones(
    world: World, sessionmaker: Sessions, session: AsyncSession, clock: FixedClock
) -> None:
    referral_id = await submit(sessionmaker, world, world.offer, clock.now())
    reminded_at = utc(2026, 3, 5, 8)
    # What the sweep does when the reminder falls due.
    await session.execute(
        update(Timer)
        .where(Timer.case_id == referral_id, Timer.kind == TimerKind.REMINDER)
        .values(status=TimerStatus.FIRED, fired_at=reminded_at)
    )
    await session.commit()

    accepted_at = paris(2026, 3, 6, 10)
    await fire(sessionmaker, world, referral_id, "accept", {}, accepted_at)
    by_kind = {
        t.kind: t for t in await timers_of(sessionmaker, referral_id) if t.state == "submitted"
    }
    reminder = by_kind[TimerKind.REMINDER]
    assert (reminder.status, reminder.fired_at, reminder.closed_at) == (
        TimerStatus.FIRED,
        reminded_at,
        accepted_at,
    )
    for kind in (TimerKind.ESCALATION, TimerKind.TRIGGER):
        assert (by_kind[kind].status, by_kind[kind].closed_at) == (
            TimerStatus.CANCELLED,
            accepted_at,
        )


async def test_a_referral_under_way_is_checked_on_and_a_progress_note_restarts_the_count(
    world: World, session: AsyncSession, sessionmaker: Sessions, clock: FixedClock
) -> None:
    referral_id = await submit(sessionmaker, world, world.offer, clock.now())
    await fire(sessionmaker, world, referral_id, "accept", {}, clock.now())
    # Started Monday 2 March 2026, 09:00 Paris: +60 business days skips Easter Monday, 1 and
    # 8 May, Ascension and Whit Monday; it is 09:00 summer time (07:00 UTC).
    await fire(sessionmaker, world, referral_id, "start", {}, clock.now())
    timers = await timers_of(sessionmaker, referral_id)
    assert all(
        timer.status is TimerStatus.CANCELLED for timer in timers if timer.state != "in_progress"
    )
    assert due(timers, "in_progress") == {
        "reminder": (utc(2026, 6, 1, 7), "receiver"),
        "escalation": (utc(2026, 6, 15, 7), "coordinators"),
    }
    # A progress note on Thursday 28 May restarts both from then.
    noted_at = paris(2026, 5, 28, 15)
    note = {"note": "Entretiens réguliers, candidature en cours."}
    await fire(sessionmaker, world, referral_id, "note", note, noted_at)
    timers = await timers_of(sessionmaker, referral_id)
    assert [timer.status for timer in timers if timer.state == "in_progress"] == [
        TimerStatus.CANCELLED,
        TimerStatus.CANCELLED,
        TimerStatus.PENDING,
        TimerStatus.PENDING,
    ]
    assert due(timers, "in_progress") == {
        "reminder": (utc(2026, 8, 21, 13), "receiver"),
        "escalation": (utc(2026, 9, 4, 13), "coordinators"),
    }


async def test_an_offer_sets_its_own_progress_check(
    world: World, session: AsyncSession, sessionmaker: Sessions, clock: FixedClock
) -> None:
    offer = await make_offer(session, world.receiver, clock.now(), progress_check_days=20)
    referral_id = await submit(sessionmaker, world, offer, clock.now())
    await fire(sessionmaker, world, referral_id, "accept", {}, clock.now())
    await fire(sessionmaker, world, referral_id, "start", {}, clock.now())
    # +20 from Monday 2 March: Mon 30 March; the escalation keeps its 10 days after: 14 April
    # (Easter Monday 6 April is not a business day).
    assert due(await timers_of(sessionmaker, referral_id), "in_progress") == {
        "reminder": (utc(2026, 3, 30, 7), "receiver"),
        "escalation": (utc(2026, 4, 14, 7), "coordinators"),
    }


async def test_offer_deadlines_override_the_submitted_defaults(
    world: World, session: AsyncSession, sessionmaker: Sessions, clock: FixedClock
) -> None:
    offer = await make_offer(
        session, world.receiver, clock.now(), reminder_days=2, escalation_days=4, expiry_days=10
    )
    # Submitted Monday 2 March 09:00 Paris (08:00 UTC).
    referral_id = await submit(sessionmaker, world, offer, clock.now())
    assert due(await timers_of(sessionmaker, referral_id), "submitted") == {
        "reminder": (utc(2026, 3, 4, 8), "receiver"),  # +2: Tue 3, Wed 4
        "escalation": (utc(2026, 3, 6, 8), "coordinators"),  # +4: Tue 3 .. Fri 6
        "trigger": (utc(2026, 3, 16, 8), "expire"),  # +10: 3-6 (4), 9-13 (9), Mon 16
    }
    # The offer's deadlines are for the answer only: a return keeps the defaults.
    payload = {"reason": "no_capacity", "comment": "Complet."}
    await fire(sessionmaker, world, referral_id, "return", payload, clock.now())
    assert due(await timers_of(sessionmaker, referral_id), "returned") == {
        "reminder": (utc(2026, 3, 9, 8), "referrer"),  # +5: Tue 3 .. Fri 6, Mon 9
        "escalation": (utc(2026, 3, 16, 8), "coordinators"),  # +10: ... Mon 16
    }


async def test_a_partial_override_keeps_the_other_defaults(
    world: World, session: AsyncSession, sessionmaker: Sessions, clock: FixedClock
) -> None:
    offer = await make_offer(session, world.receiver, clock.now(), expiry_days=30)
    referral_id = await submit(sessionmaker, world, offer, clock.now())
    assert due(await timers_of(sessionmaker, referral_id), "submitted") == {
        "reminder": (utc(2026, 3, 5, 8), "receiver"),
        "escalation": (utc(2026, 3, 9, 8), "coordinators"),
        # +30: Mon 30 March is +20; Tue 31 (21), 1-3 April (24), Easter Monday skipped,
        # 7-10 April (28), Mon 13 (29), Tue 14 April (30), summer time: 07:00 UTC.
        "trigger": (utc(2026, 4, 14, 7), "expire"),
    }


async def test_reassign_counts_again_with_the_new_offer_deadlines(
    world: World, session: AsyncSession, sessionmaker: Sessions, clock: FixedClock
) -> None:
    other = await make_offer(
        session, world.outsider, clock.now(), reminder_days=1, escalation_days=2, expiry_days=5
    )
    referral_id = await submit(sessionmaker, world, world.offer, clock.now())
    reassigned_at = paris(2026, 3, 5, 9)  # Thursday 5 March, 08:00 UTC
    await fire(sessionmaker, world, referral_id, "reassign", {"offer_id": other.id}, reassigned_at)
    timers = await timers_of(sessionmaker, referral_id)
    assert due(timers, "submitted") == {
        "reminder": (utc(2026, 3, 6, 8), "receiver"),  # +1: Fri 6
        "escalation": (utc(2026, 3, 9, 8), "coordinators"),  # +2: Fri 6, Mon 9
        "trigger": (utc(2026, 3, 12, 8), "expire"),  # +5: Fri 6, Mon 9 .. Thu 12
    }
    assert sum(timer.status is TimerStatus.CANCELLED for timer in timers) == 3


@pytest.mark.parametrize(
    ("submitted_at", "expected"),
    [
        pytest.param(
            # Friday 6 March 2026 17:45 Paris (16:45 UTC).
            paris(2026, 3, 6, 17, 45),
            {
                "reminder": utc(2026, 3, 11, 16, 45),  # Mon 9, Tue 10, Wed 11
                "escalation": utc(2026, 3, 13, 16, 45),  # ... Thu 12, Fri 13
                # 9-13 (5), 16-20 (10), 23-27 (15), 30 March .. Fri 3 April (20): summer time.
                "trigger": utc(2026, 4, 3, 15, 45),
            },
            id="friday",
        ),
        pytest.param(
            # Monday 13 July 2026 09:00 Paris (07:00 UTC); Tuesday 14 is the national day.
            paris(2026, 7, 13, 9),
            {
                "reminder": utc(2026, 7, 17, 7),  # Wed 15, Thu 16, Fri 17
                "escalation": utc(2026, 7, 21, 7),  # ... Mon 20, Tue 21
                # 15-17 (3), 20-24 (8), 27-31 (13), 3-7 August (18), Mon 10, Tue 11 (20).
                "trigger": utc(2026, 8, 11, 7),
            },
            id="before-14-july",
        ),
        pytest.param(
            # Thursday 2 April 2026 10:00 Paris (08:00 UTC); Monday 6 is Easter Monday.
            paris(2026, 4, 2, 10),
            {
                "reminder": utc(2026, 4, 8, 8),  # Fri 3, Tue 7, Wed 8
                "escalation": utc(2026, 4, 10, 8),  # ... Thu 9, Fri 10
                # 3 (1), 7-10 (5), 13-17 (10), 20-24 (15), 27-30 (19), Friday 1 May is a
                # holiday -> Mon 4 May (20).
                "trigger": utc(2026, 5, 4, 8),
            },
            id="before-easter-monday",
        ),
        pytest.param(
            # Wednesday 23 December 2026 10:00 Paris (09:00 UTC); Friday 25 is Christmas.
            paris(2026, 12, 23, 10),
            {
                "reminder": utc(2026, 12, 29, 9),  # Thu 24, Mon 28, Tue 29
                "escalation": utc(2026, 12, 31, 9),  # ... Wed 30, Thu 31
                # 24, 28-31 (5), Friday 1 January 2027 is a holiday, 4-8 (10), 11-15 (15),
                # 18-22 January 2027 (20).
                "trigger": utc(2027, 1, 22, 9),
            },
            id="before-christmas",
        ),
    ],
)
async def test_submission_dates_across_weekends_and_holidays(
    submitted_at: datetime,
    expected: dict[str, datetime],
    world: World,
    sessionmaker: Sessions,
    clock: FixedClock,
) -> None:
    clock.set(submitted_at)
    referral_id = await submit(sessionmaker, world, world.offer, clock.now())
    timers = await timers_of(sessionmaker, referral_id)
    assert {kind: at for kind, (at, _) in due(timers, "submitted").items()} == expected


async def _overdue_ids(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> set[int]:
    answer = await client.get(
        "/api/referrals", params={"overdue": "true", **params}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    return {item["id"] for item in answer.json()["items"]}


async def test_overdue_filter_follows_the_escalation_time(
    world: World,
    sessionmaker: Sessions,
    session: AsyncSession,
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    coordinator = await auth_headers(world.coordinator)
    receiver = await auth_headers(world.receiver_member)
    # A: submitted Monday 2 March 09:00, escalation Monday 9 March 09:00 Paris.
    first = await submit(sessionmaker, world, world.offer, clock.now())
    # B: submitted Wednesday 4 March 09:00, escalation Wednesday 11 March 09:00 Paris.
    clock.set(paris(2026, 3, 4, 9))
    second = await submit(sessionmaker, world, world.offer, clock.now())

    assert await _overdue_ids(client, coordinator) == set()
    clock.set(paris(2026, 3, 9, 8, 59))
    assert await _overdue_ids(client, coordinator) == set()

    clock.set(paris(2026, 3, 9, 9))
    assert await _overdue_ids(client, coordinator) == {first}
    assert await _overdue_ids(client, receiver, box="received") == {first}
    assert await _overdue_ids(client, await auth_headers(world.outsider_member)) == set()
    not_overdue = await client.get(
        "/api/referrals", params={"overdue": "false"}, headers=coordinator
    )
    assert {item["id"] for item in not_overdue.json()["items"]} == {second}

    # Once the escalation has been sent the case is still overdue: it has not moved.
    await session.execute(
        update(Timer)
        .where(Timer.case_id == first, Timer.kind == TimerKind.ESCALATION)
        .values(status=TimerStatus.FIRED, fired_at=clock.now())
    )
    await session.commit()
    assert await _overdue_ids(client, coordinator) == {first}

    # It moves: no longer overdue.
    clock.set(paris(2026, 3, 9, 10))
    answer = await client.post(f"/api/referrals/{first}/accept", json={}, headers=receiver)
    assert answer.status_code == 200, answer.text
    assert await _overdue_ids(client, coordinator) == set()

    clock.set(paris(2026, 3, 11, 9))
    assert await _overdue_ids(client, coordinator) == {second}

    # The accepted state has its own escalation, +15 from Monday 9 March 10:00: 10-13 (4),
    # 16-20 (9), 23-27 (14), Monday 30 March (15), 10:00 Paris in summer time.
    clock.set(paris(2026, 3, 30, 9, 59))
    assert await _overdue_ids(client, coordinator) == {second}
    clock.set(paris(2026, 3, 30, 10))
    assert await _overdue_ids(client, coordinator) == {first, second}
