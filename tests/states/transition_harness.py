"""What the exhaustive transition tests share: every trigger tried from every state.

Each lifecycle's test writes DESIGN.md's table out literally (trigger -> (from, to, who)),
brings a fresh case into each state its own way and fires each trigger as someone entitled to
it. This module generates the cases from the table, photographs the tables a transition may
touch, and checks the two outcomes: an allowed pair lands in the declared state with exactly
one new event; a refused pair raises ``TransitionNotAllowed`` (409 over HTTP) and changes
nothing at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import FromClause, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import Base
from core.errors import TransitionNotAllowed
from core.models import CaseText, Event, OutboxMessage, Timer, User
from states.lifecycle import Lifecycle
from states.texts import resolve_payloads
from tests.factories import auth_headers

Table = Mapping[str, tuple[frozenset[str], str, Collection[str]]]
"""DESIGN.md's table of a lifecycle: trigger -> (from states, to state, sides who fire it)."""

Row = dict[str, Any]


def every_state_and_trigger(states: Iterable[str], triggers: Iterable[str]) -> pytest.MarkDecorator:
    """Parametrize a test with ``state`` and ``trigger``: every pair, named ``state-trigger``."""
    pairs = [(state, trigger) for state in states for trigger in triggers]
    return pytest.mark.parametrize(
        ("state", "trigger"), pairs, ids=[f"{state}-{trigger}" for state, trigger in pairs]
    )


def declared_table(lifecycle: Lifecycle) -> dict[str, tuple[frozenset[str], str, frozenset[str]]]:
    """The lifecycle's declaration in the shape of DESIGN.md's table."""
    return {
        spec.trigger: (frozenset(spec.sources), spec.dest, frozenset(spec.sides))
        for spec in lifecycle.transitions
    }


def design_table(table: Table) -> dict[str, tuple[frozenset[str], str, frozenset[str]]]:
    """DESIGN.md's table with its sides as a set, to compare with ``declared_table``."""
    return {trigger: (src, dest, frozenset(who)) for trigger, (src, dest, who) in table.items()}


def triggers_from(table: Table, state: str) -> set[str]:
    """The triggers the table lets fire from ``state``, whoever fires them."""
    return {trigger for trigger, (sources, _, _) in table.items() if state in sources}


def expected_allowed(table: Table, state: str, side: str) -> list[str]:
    """The human triggers the table lets ``side`` fire in ``state`` (coordinators: all)."""
    return sorted(
        trigger
        for trigger, (sources, _, who) in table.items()
        if state in sources and set(who) != {"system"} and (side == "coordinators" or side in who)
    )


async def _rows(session: AsyncSession, table: FromClause) -> list[Row]:
    result = await session.execute(select(table).order_by(table.c.id))
    return [dict(row._mapping) for row in result]


@dataclass(frozen=True)
class Snapshot:
    """Every row of the tables a transition may touch, by name: ``snapshot.events``."""

    tables: dict[str, list[Row]]

    def __getattr__(self, name: str) -> list[Row]:
        if name == "tables":  # not set yet (copy, pickle): no recursion
            raise AttributeError(name)
        try:
            return self.tables[name]
        except KeyError:
            raise AttributeError(name) from None

    def row(self, table: str, case_id: int) -> Row:
        """The row of one case."""
        [match] = [row for row in self.tables[table] if row["id"] == case_id]
        return match


@dataclass(frozen=True)
class TransitionHarness:
    """The checks of one lifecycle's cases, tried through its engine and its API."""

    kind: str
    """The lifecycle's name, as events and timers call the case (``case_kind``)."""
    case_table: str
    """Which of ``tables`` holds the cases."""
    api: str
    """The API's path of the cases: ``/api/referrals``."""
    tables: Mapping[str, type[Base]] = field(default_factory=dict)
    """The tables a transition may touch besides events, timers and outbox, by name."""

    async def snapshot(self, sessionmaker: async_sessionmaker[AsyncSession]) -> Snapshot:
        """The current content of the tables, read afresh."""
        models: dict[str, type[Base]] = {
            **self.tables,
            "events": Event,
            "timers": Timer,
            "outbox": OutboxMessage,
            "case_texts": CaseText,
        }
        async with sessionmaker() as session:
            tables = {name: await _rows(session, model.__table__) for name, model in models.items()}
            # The events as readers see them: their texts resolved from the text store.
            payloads = await resolve_payloads(session, [row["payload"] for row in tables["events"]])
            for row, payload in zip(tables["events"], payloads, strict=True):
                row["payload"] = payload
            return Snapshot(tables)

    async def snapshot_in(
        self, sessionmaker: async_sessionmaker[AsyncSession], case_id: int, state: str
    ) -> Snapshot:
        """The snapshot of a case about to be tried, which must be in ``state``."""
        before = await self.snapshot(sessionmaker)
        assert before.row(self.case_table, case_id)["state"] == state
        return before

    def open_timers(self, snapshot: Snapshot, case_id: int) -> list[Row]:
        """The timers of one case still open."""
        return [
            row
            for row in snapshot.timers
            if (row["case_kind"], row["case_id"]) == (self.kind, case_id)
            and row["closed_at"] is None
        ]

    async def assert_moved(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        before: Snapshot,
        case_id: int,
        state: str,
        trigger: str,
        dest: str,
        now: datetime,
    ) -> tuple[Snapshot, Row]:
        """The case is in ``dest``, one version on, with exactly one new event and no other.

        The old state's timers are closed, and the emails written, if any, are keyed on the
        new event. Returns the tables after, and the new event.
        """
        after = await self.snapshot(sessionmaker)
        assert after.row(self.case_table, case_id)["state"] == dest
        old_version = before.row(self.case_table, case_id)["version"]
        assert after.row(self.case_table, case_id)["version"] == old_version + 1

        # Exactly one new event of the case; the old ones are untouched (append-only). Any
        # other is a cascade onto another case (a confirmed handover ends an accompaniment).
        assert after.events[: len(before.events)] == before.events
        [event] = [
            row
            for row in after.events[len(before.events) :]
            if (row["case_kind"], row["case_id"]) == (self.kind, case_id)
        ]
        assert (event["from_state"], event["to_state"], event["trigger"]) == (state, dest, trigger)
        assert event["occurred_at"] == now

        assert all(
            row["closed_at"] is not None
            for row in after.timers
            if (row["case_kind"], row["case_id"]) == (self.kind, case_id) and row["state"] != dest
        )

        # Outbox rows written by this transition, if any, are keyed on its event.
        old_keys = {row["idempotency_key"] for row in before.outbox}
        new_keys = {row["idempotency_key"] for row in after.outbox} - old_keys
        assert len(after.outbox) == len(before.outbox) + len(new_keys)
        assert all(key.startswith(f"event:{event['id']}:") for key in new_keys)
        return after, event

    async def assert_refused(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        client: httpx.AsyncClient,
        before: Snapshot,
        case_id: int,
        state: str,
        trigger: str,
        *,
        fire: Callable[[], Awaitable[object]],
        allowed: list[str],
        user: User | None,
        payload: dict[str, Any],
    ) -> None:
        """``fire`` is refused, and so is the API for ``user`` (None: relais' own trigger,
        which has no route); both name the ``allowed`` triggers, and nothing changed."""
        with pytest.raises(TransitionNotAllowed) as refused:
            await fire()
        assert refused.value.code == "transition_not_allowed"
        assert refused.value.details["state"] == state
        assert refused.value.allowed_actions == allowed

        if user is not None:
            answer = await client.post(
                f"{self.api}/{case_id}/{trigger}", json=payload, headers=await auth_headers(user)
            )
            assert answer.status_code == 409, answer.text
            body = answer.json()
            assert body["code"] == "transition_not_allowed"
            assert body["allowed_actions"] == allowed
            assert body["detail"]

        assert await self.snapshot(sessionmaker) == before
