"""Properties of the engine that hold for any lifecycle: all or nothing, one version step per
transition, concurrent writers, a well-formed declaration, one machine, and an outbox written
in the transaction with unique keys and no personal data of the person.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import FromClause, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

import states.lifecycle
from core.clock import FixedClock
from core.errors import ConcurrentChange, InvalidInput, TransitionNotAllowed
from core.models import Event, OutboxMessage, Referral, Timer
from states import engine
from states.actor import Actor
from states.referral import REFERRAL
from tests.factories import World, actor_of, make_offer, referral_create
from tests.states.engine_helpers import Sessions, fire, new_referral

RETURN = {"reason": "not_eligible", "comment": "Hors du public de l'offre."}


@dataclass(frozen=True)
class Snapshot:
    """Every row of the tables a transition may touch."""

    referrals: list[dict[str, Any]]
    events: list[dict[str, Any]]
    timers: list[dict[str, Any]]
    outbox: list[dict[str, Any]]


async def _rows(session: AsyncSession, table: FromClause) -> list[dict[str, Any]]:
    result = await session.execute(select(table).order_by(table.c.id))
    return [dict(row._mapping) for row in result]


async def snapshot(sessionmaker: Sessions) -> Snapshot:
    async with sessionmaker() as session:
        return Snapshot(
            referrals=await _rows(session, Referral.__table__),
            events=await _rows(session, Event.__table__),
            timers=await _rows(session, Timer.__table__),
            outbox=await _rows(session, OutboxMessage.__table__),
        )


async def version_of(sessionmaker: Sessions, referral_id: int) -> int:
    async with sessionmaker() as session:
        return (
            await session.execute(select(Referral.version).where(Referral.id == referral_id))
        ).scalar_one()


@pytest.mark.parametrize("offer_id", ["unknown", "current", "inactive"])
async def test_refused_reassign_changes_nothing(
    offer_id: str,
    world: World,
    session: AsyncSession,
    sessionmaker: Sessions,
    clock: FixedClock,
) -> None:
    inactive = await make_offer(session, world.outsider, clock.now(), is_active=False)
    target = {"unknown": 987_654, "current": world.offer.id, "inactive": inactive.id}[offer_id]
    referral_id = await new_referral(sessionmaker, world, clock.now())
    before = await snapshot(sessionmaker)

    with pytest.raises(InvalidInput) as refused:
        await fire(
            sessionmaker,
            referral_id,
            "reassign",
            actor_of(world.coordinator),
            {"offer_id": target},
            now=clock.now(),
        )
    assert refused.value.field == "offer_id"
    assert await snapshot(sessionmaker) == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"reason": "not_eligible"}, "comment"),
        ({"reason": "bored", "comment": "?"}, "reason"),
        ({**RETURN, "person_email": "x@example.org"}, "person_email"),
    ],
    ids=["missing-comment", "unknown-reason", "unknown-field"],
)
async def test_invalid_payload_changes_nothing(
    payload: dict[str, Any],
    field: str,
    world: World,
    sessionmaker: Sessions,
    clock: FixedClock,
) -> None:
    referral_id = await new_referral(sessionmaker, world, clock.now())
    before = await snapshot(sessionmaker)
    with pytest.raises(InvalidInput) as refused:
        await fire(
            sessionmaker,
            referral_id,
            "return",
            actor_of(world.receiver_member),
            payload,
            now=clock.now(),
        )
    assert refused.value.field == field
    assert await snapshot(sessionmaker) == before


async def test_a_failure_after_the_writes_rolls_all_of_them_back(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    referral_id = await new_referral(sessionmaker, world, clock.now())
    before = await snapshot(sessionmaker)
    seen: list[tuple[int, int, int]] = []

    def count_then_fail(session: Session) -> None:
        # At commit, the event, the timers and the emails are written (in one statement on
        # PostgreSQL, one by one on SQLite): then the commit fails.
        events = session.scalar(select(func.count()).select_from(Event))
        opened = session.scalar(
            select(func.count()).select_from(Timer).where(Timer.state == "accepted")
        )
        queued = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.message == "referral.accepted")
        )
        seen.append((events or 0, opened or 0, queued or 0))
        raise RuntimeError("the database went away")

    event.listen(Session, "before_commit", count_then_fail)
    try:
        with pytest.raises(RuntimeError, match="went away"):
            await fire(
                sessionmaker,
                referral_id,
                "accept",
                actor_of(world.receiver_member),
                now=clock.now(),
            )
    finally:
        event.remove(Session, "before_commit", count_then_fail)
    assert len(seen) == 1
    assert seen[0][:2] == (len(before.events) + 1, 2)
    assert seen[0][2] >= 1
    assert await snapshot(sessionmaker) == before


async def test_a_notice_that_cannot_be_written_changes_nothing(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    referral_id = await new_referral(sessionmaker, world, clock.now())
    before = await snapshot(sessionmaker)

    async def fail(session: AsyncSession, case: Any) -> dict[str, Any]:
        raise RuntimeError("mail template unavailable")

    failing = dataclasses.replace(REFERRAL, describe=fail)
    with pytest.raises(RuntimeError, match="template"):
        await fire(
            sessionmaker,
            referral_id,
            "accept",
            actor_of(world.receiver_member),
            now=clock.now(),
            lifecycle=failing,
        )
    assert await snapshot(sessionmaker) == before


async def test_a_failing_outbox_write_undoes_the_transition(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    referral_id = await new_referral(sessionmaker, world, clock.now())
    before = await snapshot(sessionmaker)
    email = world.referrer.email

    async def same_address_twice(session: AsyncSession, case: Any, side: str) -> list[Any]:
        # Two recipients whose keys collide: the unique idempotency key refuses the second.
        return [(email, world.referrer.id), (email.upper(), None)]

    colliding = dataclasses.replace(REFERRAL, side_recipients=same_address_twice)
    with pytest.raises(ConcurrentChange) as refused:
        await fire(
            sessionmaker,
            referral_id,
            "accept",
            actor_of(world.receiver_member),
            now=clock.now(),
            lifecycle=colliding,
        )
    assert isinstance(refused.value.__cause__, IntegrityError)
    assert await snapshot(sessionmaker) == before


async def test_version_increments_once_per_transition(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    referral_id = await new_referral(sessionmaker, world, clock.now(), submit=False)
    version = await version_of(sessionmaker, referral_id)
    referrer, receiver = actor_of(world.referrer), actor_of(world.receiver_member)
    steps: list[tuple[str, Actor, dict[str, Any]]] = [
        ("submit", referrer, {}),
        ("return", receiver, RETURN),
        ("resubmit", referrer, {"motive": "Motif précisé."}),
        ("accept", receiver, {}),
        ("start", receiver, {}),
        ("complete", receiver, {"outcome": "lasting_employment"}),
    ]
    for trigger, actor, payload in steps:
        await fire(sessionmaker, referral_id, trigger, actor, payload, now=clock.now())
        version += 1
        assert await version_of(sessionmaker, referral_id) == version, trigger
    with pytest.raises(TransitionNotAllowed):
        await fire(sessionmaker, referral_id, "start", receiver, now=clock.now())
    assert await version_of(sessionmaker, referral_id) == version


async def _events_since_submit(sessionmaker: Sessions, referral_id: int) -> list[Event]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(Event)
            .where(Event.case_id == referral_id, Event.trigger.not_in(["create", "submit"]))
            .order_by(Event.id)
        )
        return list(rows.scalars())


async def test_a_stale_session_cannot_overwrite_a_newer_state(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    referral_id = await new_referral(sessionmaker, world, clock.now())
    version = await version_of(sessionmaker, referral_id)
    receiver = actor_of(world.receiver_member)
    async with sessionmaker() as first, sessionmaker() as second:
        for session in (first, second):
            loaded = await session.get(Referral, referral_id)
            assert loaded is not None and loaded.state == "submitted"
            await session.commit()  # ends the read; the loaded row stays in the session
        await engine.fire(first, REFERRAL, referral_id, "accept", receiver, {}, clock.now())
        with pytest.raises((ConcurrentChange, TransitionNotAllowed)):
            await engine.fire(
                second, REFERRAL, referral_id, "return", receiver, RETURN, clock.now()
            )

    events = await _events_since_submit(sessionmaker, referral_id)
    assert [(event.trigger, event.to_state) for event in events] == [("accept", "accepted")]
    assert await version_of(sessionmaker, referral_id) == version + 1
    async with sessionmaker() as session:
        referral = await session.get_one(Referral, referral_id)
        assert (referral.state, referral.return_reason) == ("accepted", None)


async def test_concurrent_fires_one_wins(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    referral_id = await new_referral(sessionmaker, world, clock.now())
    version = await version_of(sessionmaker, referral_id)
    receiver = actor_of(world.receiver_member)
    attempts = [("accept", {}), ("return", RETURN)] * 3

    async def attempt(trigger: str, payload: dict[str, Any]) -> str:
        try:
            await fire(sessionmaker, referral_id, trigger, receiver, payload, now=clock.now())
        except (ConcurrentChange, TransitionNotAllowed) as error:
            return error.code
        return "ok"

    outcomes = await asyncio.gather(*(attempt(trigger, body) for trigger, body in attempts))
    assert outcomes.count("ok") == 1
    assert len(outcomes) - 1 == sum(
        code in {"concurrent_change", "transition_not_allowed"} for code in outcomes
    )
    events = await _events_since_submit(sessionmaker, referral_id)
    assert len(events) == 1
    assert await version_of(sessionmaker, referral_id) == version + 1


async def test_machine_is_built_once_and_keeps_no_model(
    world: World, sessionmaker: Sessions, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    machine = REFERRAL.machine
    assert machine.models == []

    def no_new_machine(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a transition built a new state machine")

    monkeypatch.setattr(states.lifecycle, "Machine", no_new_machine)
    referral_id = await new_referral(sessionmaker, world, clock.now())
    await fire(
        sessionmaker, referral_id, "accept", actor_of(world.receiver_member), now=clock.now()
    )
    assert REFERRAL.machine is machine
    assert machine.models == []

    async with sessionmaker() as session:
        referral = await session.get_one(Referral, referral_id)
        assert referral.state == "accepted"
        for attribute in ("trigger", "start", "may_start", "is_accepted", "to_completed"):
            assert not hasattr(referral, attribute), attribute


KEY = re.compile(r"^event:(?P<event>\d+):(?P<message>[a-z_.]+):(?P<recipient>[0-9a-f]{16})$")
# To the receiving partner.
SENDER_MESSAGES = {"referral.submitted", "referral.resubmitted", "referral.cancelled"}
REPLY_MESSAGES = {"referral.accepted", "referral.returned", "referral.completed"}


async def _walk_a_long_path(sessionmaker: Sessions, world: World, clock: FixedClock) -> int:
    referrer, receiver = actor_of(world.referrer), actor_of(world.receiver_member)
    referral_id = await new_referral(sessionmaker, world, clock.now())
    for trigger, actor, payload in [
        ("return", receiver, RETURN),
        ("resubmit", referrer, {"motive": "Motif précisé."}),
        ("accept", receiver, {}),
        ("complete", receiver, {"outcome": "qualifying_training"}),
    ]:
        await fire(sessionmaker, referral_id, trigger, actor, payload, now=clock.now())
    second = await new_referral(sessionmaker, world, clock.now())
    await fire(sessionmaker, second, "cancel", referrer, {"reason": "Doublon."}, now=clock.now())
    return referral_id


async def test_outbox_keys_name_the_event_the_message_and_a_recipient_hash(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    await _walk_a_long_path(sessionmaker, world, clock)
    async with sessionmaker() as session:
        rows = list((await session.execute(select(OutboxMessage))).scalars())
        events = {event.id: event for event in (await session.execute(select(Event))).scalars()}

    assert {row.message for row in rows} == SENDER_MESSAGES | REPLY_MESSAGES
    keys = [row.idempotency_key for row in rows]
    assert len(set(keys)) == len(keys)
    for row in rows:
        match = KEY.match(row.idempotency_key)
        assert match is not None, row.idempotency_key
        event = events[int(match["event"])]
        assert match["message"] == row.message
        digest = hashlib.sha256(row.recipient_email.lower().encode()).hexdigest()[:16]
        assert match["recipient"] == digest
        assert (row.case_kind, row.case_id) == (event.case_kind, event.case_id)
        assert row.created_at == event.occurred_at
        expected = world.receiver_member if row.message in SENDER_MESSAGES else world.referrer
        assert (row.recipient_email, row.recipient_user_id) == (expected.email, expected.id)
    # Two submissions of the same referral (the second a resubmission): one key per event.
    submitted = [row for row in rows if row.message.endswith("submitted")]
    assert len(submitted) == 3 and len({row.idempotency_key for row in submitted}) == 3


async def test_outbox_carries_no_personal_data_of_the_person(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    referral_id = await _walk_a_long_path(sessionmaker, world, clock)
    person = referral_create(world.offer).person
    secrets = [person.first_name, person.last_name, person.email or "", person.phone or ""]
    secrets.append(referral_create(world.offer).motive)
    assert all(secrets)
    async with sessionmaker() as session:
        rows = list((await session.execute(select(OutboxMessage))).scalars())
        reference = (await session.get_one(Referral, referral_id)).reference
    assert rows
    for row in rows:
        written = " ".join(
            [json.dumps(row.context, ensure_ascii=False), row.idempotency_key, row.recipient_email]
        ).casefold()
        for secret in secrets:
            assert secret.casefold() not in written, (row.message, secret)
    assert any(row.context.get("reference") == reference for row in rows)
