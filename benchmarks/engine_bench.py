"""Referral transitions per second through the engine, against the same statements written by
hand with asyncpg, one transaction per transition, on the same data in the same run.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from benchmarks.database import Bench, connect
from core.models import Offer, OutboxMessage, Person, User
from services.referral_service import open_referral
from states import engine
from states.actor import Actor
from states.referral import REFERRAL

TRANSITIONS = 4
"""Per referral: create-and-submit, accept, start, complete."""
WARM_UP = 1
"""Untimed cases each connection of a concurrent run takes first, for the engine and both
references alike: its connection opened and its statements prepared, as in a running server
(the engine's sessions opened theirs inside the timing, the references before it)."""
REACHABLE = (
    "SELECT o.id FROM offers o WHERE o.id = $1 AND ((o.contact_email IS NOT NULL AND "
    "o.contact_email <> '') OR EXISTS (SELECT u.id FROM users u JOIN organisations g ON "
    "g.id = u.organisation_id WHERE u.organisation_id = o.organisation_id AND u.is_active "
    "AND u.role IN ('member', 'org_admin') AND g.is_active))"
)
"""The reachability check ``submit`` makes (``states.reachability``), by hand."""


async def _actors(bench: Bench) -> tuple[Actor, Actor, Offer]:
    async with bench.sessions() as session:
        offer = (
            (
                await session.execute(
                    select(Offer)
                    .where(Offer.is_accompaniment.is_(False), Offer.capacity.is_(None))
                    .order_by(Offer.id)
                )
            )
            .scalars()
            .first()
        )
        assert offer is not None
        users = list((await session.execute(select(User).order_by(User.id))).scalars())
    sender = next(
        u for u in users if u.role.value == "member" and u.organisation_id != offer.organisation_id
    )
    receiver = next(
        u for u in users if u.role.value == "member" and u.organisation_id == offer.organisation_id
    )
    return (
        Actor.of(sender),
        Actor.of(receiver),
        offer,
    )


async def through_engine(bench: Bench, count: int, now: datetime) -> float:
    """Transitions per second of ``count`` referrals taken from creation to completion."""
    sender, receiver, offer = await _actors(bench)
    started = time.perf_counter()
    async with bench.sessions() as session:
        for _ in range(count):
            await _lifecycle(session, sender, receiver, offer, now)
    return count * TRANSITIONS / (time.perf_counter() - started)


async def engine_concurrent(bench: Bench, count: int, now: datetime, workers: int) -> float:
    """Cases per second: ``count`` referrals taken from creation to completion by ``workers``
    sessions at once, each on its own connection, each case one transaction per transition.

    As for the references, each connection's first case is not timed (``WARM_UP``): the
    connection opened, its statements prepared, as in a server that has been running."""
    sender, receiver, offer = await _actors(bench)
    sessions = [bench.sessions() for _ in range(workers)]

    async def worker(session: AsyncSession, cases: int) -> None:
        for _ in range(cases):
            await _lifecycle(session, sender, receiver, offer, now)

    try:
        await asyncio.gather(*(worker(session, WARM_UP) for session in sessions))
        started = time.perf_counter()
        shares = _shares(count, workers)
        await asyncio.gather(*(worker(s, n) for s, n in zip(sessions, shares, strict=True)))
        return count / (time.perf_counter() - started)
    finally:
        for session in sessions:
            await session.close()


def _shares(count: int, workers: int) -> list[int]:
    """``count`` cases dealt to ``workers``: as even as can be."""
    return [count // workers + (1 if index < count % workers else 0) for index in range(workers)]


async def _lifecycle(
    session: AsyncSession, sender: Actor, receiver: Actor, offer: Offer, now: datetime
) -> None:
    person = Person(first_name="Prénom", last_name="Nom", created_at=now)
    case_id = await open_referral(session, sender, offer, person, "Orientation de mesure.", now)
    await engine.fire(session, REFERRAL, case_id, "accept", receiver, {}, now)
    await engine.fire(session, REFERRAL, case_id, "start", receiver, {}, now)
    await engine.fire(
        session, REFERRAL, case_id, "complete", receiver, {"outcome": "lasting_employment"}, now
    )


async def by_hand(bench: Bench, count: int, now: datetime) -> float:
    """The same rows, written by hand: one transaction per transition, no ORM, no checks."""
    return count * TRANSITIONS / await _by_hand(bench, [count], now)


async def by_hand_concurrent(bench: Bench, count: int, now: datetime, workers: int) -> float:
    """Cases per second of the statements by hand, ``workers`` connections at once."""
    return count / await _by_hand(bench, _shares(count, workers), now, warm_up=WARM_UP)


async def _by_hand(bench: Bench, shares: list[int], now: datetime, *, warm_up: int = 0) -> float:
    """Seconds of ``shares[i]`` lifecycles by hand on connection ``i``, all connections at
    once (opened before, each with ``warm_up`` untimed cases first, and closed after: only
    the lifecycles are timed)."""
    sender, receiver, offer = await _actors(bench)
    async with bench.sessions() as session:
        sample = (await session.execute(select(OutboxMessage).limit(1))).scalar_one()
        context = json.dumps(sample.context)
        contact = offer.contact_email or sample.recipient_email
    connections = [await connect(bench) for _ in shares]

    async def worker(connection: asyncpg.Connection, cases: int) -> None:
        hand = _Hand(connection, sender, receiver, offer, context, contact, now)
        for _ in range(cases):
            case_id = await hand.create()
            await hand.move(case_id, "accept", "submitted", "accepted", ("reminder", "escalation"))
            # Started: the progress check's two timers (issue 13).
            await hand.move(case_id, "start", "accepted", "in_progress", ("reminder", "escalation"))
            await hand.move(
                case_id, "complete", "in_progress", "completed", (), "lasting_employment"
            )

    try:
        if warm_up:
            await asyncio.gather(*(worker(c, warm_up) for c in connections))
        started = time.perf_counter()
        await asyncio.gather(*(worker(c, n) for c, n in zip(connections, shares, strict=True)))
        return time.perf_counter() - started
    finally:
        for connection in connections:
            await connection.close()


class _Hand:
    """The statements the engine issues, each transition in one transaction."""

    def __init__(
        self,
        connection: asyncpg.Connection,
        sender: Actor,
        receiver: Actor,
        offer: Offer,
        context: str,
        contact: str,
        now: datetime,
    ) -> None:
        self.db = connection
        self.sender = sender
        self.receiver = receiver
        self.offer = offer
        self.context = context
        self.contact = contact
        self.now = now
        self.number = 0

    async def create(self) -> int:
        async with self.db.transaction():
            # In the engine's order: the person and what the submission reads, then the
            # year's counter, locked from there to the commit (``engine.create_and_fire``).
            person = await self.db.fetchval(
                "INSERT INTO persons (first_name, last_name, name_key, created_at) "
                "VALUES ($1, $2, $3, $4) RETURNING id",
                "Prénom",
                "Nom",
                "nom|prenom",
                self.now,
            )
            assert await self.db.fetchval(REACHABLE, self.offer.id)  # as submit checks
            sequence = await self.db.fetchval(
                "INSERT INTO reference_sequences (prefix, year, last_value) VALUES ('OH', 2026, 1) "
                "ON CONFLICT (prefix, year) DO UPDATE SET last_value = "
                "reference_sequences.last_value + 1 RETURNING last_value"
            )
            case_id: int = await self.db.fetchval(
                "INSERT INTO referrals (reference, state, version, offer_id, "
                "sender_organisation_id, receiver_organisation_id, territory, created_by_id, "
                "person_id, motive, barriers, consent_attested_at, created_at, state_entered_at) "
                "VALUES ($1, 'submitted', 1, $2, $3, $4, $5, $6, $7, $8, '[]', $9, $9, $9) "
                "RETURNING id",
                f"OH-2026-{sequence:06d}",
                self.offer.id,
                self.sender.organisation_id,
                self.offer.organisation_id,
                self.offer.territory.value,
                self.sender.user_id,
                person,
                "Orientation de mesure.",
                self.now,
            )
            await self._event(case_id, "create", None, "draft", self.sender)
            event = await self._event(case_id, "submit", "draft", "submitted", self.sender)
            await self._close_timers(case_id)
            await self._timers(case_id, "submitted", ("reminder", "escalation", "trigger"))
            await self._outbox(case_id, event, "referral.submitted", self.contact)
        return case_id

    async def move(
        self,
        case_id: int,
        trigger: str,
        source: str,
        dest: str,
        timers: tuple[str, ...],
        outcome: str | None = None,
    ) -> None:
        async with self.db.transaction():
            row = await self.db.fetchrow(
                "SELECT * FROM referrals WHERE id = $1 FOR UPDATE", case_id
            )
            assert row["state"] == source
            await self.db.execute(
                "UPDATE referrals SET state = $1, state_entered_at = $2, version = version + 1, "
                "outcome = coalesce($5, outcome) WHERE id = $3 AND version = $4",
                dest,
                self.now,
                case_id,
                row["version"],
                outcome,
            )
            event = await self._event(case_id, trigger, source, dest, self.receiver)
            await self._close_timers(case_id)
            if timers:
                await self._timers(case_id, dest, timers)
            if trigger in ("accept", "complete"):
                await self._outbox(case_id, event, f"referral.{dest}", self.contact)

    async def _event(
        self, case_id: int, trigger: str, source: str | None, dest: str, actor: Actor
    ) -> int:
        event: int = await self.db.fetchval(
            "INSERT INTO events (case_kind, case_id, trigger, from_state, to_state, actor_id, "
            "organisation_id, payload, occurred_at) VALUES ('referral', $1, $2, $3, $4, $5, $6, "
            "'{}', $7) RETURNING id",
            case_id,
            trigger,
            source,
            dest,
            actor.user_id,
            actor.organisation_id,
            self.now,
        )
        return event

    async def _close_timers(self, case_id: int) -> None:
        await self.db.execute(
            "UPDATE timers SET status = CASE WHEN status = 'pending' THEN 'cancelled' "
            "ELSE status END, closed_at = $1 WHERE case_kind = 'referral' AND case_id = $2 "
            "AND closed_at IS NULL",
            self.now,
            case_id,
        )

    async def _timers(self, case_id: int, state: str, kinds: tuple[str, ...]) -> None:
        targets: dict[str, tuple[str, int]] = {
            "reminder": ("receiver", 3),
            "escalation": ("coordinators", 5),
            "trigger": ("expire", 20),
        }
        await self.db.executemany(
            "INSERT INTO timers (case_kind, case_id, state, kind, target, due_at, status, "
            "created_at) VALUES ('referral', $1, $2, $3, $4, $5, 'pending', $6)",
            [
                (
                    case_id,
                    state,
                    kind,
                    targets[kind][0],
                    self.now + timedelta(days=targets[kind][1]),
                    self.now,
                )
                for kind in kinds
            ],
        )

    async def _outbox(self, case_id: int, event: int, message: str, recipient: str) -> None:
        args: list[Any] = [
            f"event:{event}:{message}:h",
            message,
            case_id,
            recipient,
            self.context,
            self.now,
        ]
        await self.db.execute(
            "INSERT INTO outbox (idempotency_key, message, case_kind, case_id, recipient_email, "
            "context, status, attempts, next_attempt_at, created_at) VALUES ($1, $2, 'referral', "
            "$3, $4, $5, 'pending', 0, $6, $6)",
            *args,
        )
