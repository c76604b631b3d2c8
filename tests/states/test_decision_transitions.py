"""Every trigger of the decision and action item lifecycles tried from every state (issue 4).

DESIGN.md's "Committee decisions" table is written out literally below; the declarations must
match it and the parametrized tests are generated from it: 6 states x 5 triggers for decisions,
2 x 1 for action items. Each case brings a fresh item into the state through the engine, then
fires the trigger as the secretariat (the owner organisation for an action item) with a valid
payload, at T0. Allowed pairs land in the declared state with exactly one new event; refused
pairs raise ``TransitionNotAllowed`` (409 over HTTP) and change nothing at all.

Time: items are proposed ten days before T0 and scheduled on a meeting held three days before
T0 (with its minutes), decided two days before T0 and published the day before; at T0 another
meeting of the same committee, a week ahead, is open for scheduling.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import FromClause, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import DecisionKind, PlanAxis, Role
from core.errors import InvalidInput, TransitionNotAllowed
from core.models import ActionItem, Committee, Decision, Event, OutboxMessage, Timer, User
from services import decision_service
from states import engine
from states.action import ACTION
from states.decision import DECISION
from tests.factories import (
    World,
    actor_of,
    auth_headers,
    make_committee,
    make_meeting,
    make_user,
)

DECISION_STATES = ("proposed", "scheduled", "adjourned", "approved", "rejected", "published")

# DESIGN.md, "Committee decisions": trigger -> (from, to, who).
DECISION_TABLE: dict[str, tuple[frozenset[str], str, frozenset[str]]] = {
    "schedule": (frozenset({"proposed", "adjourned"}), "scheduled", frozenset({"secretariat"})),
    "approve": (frozenset({"scheduled"}), "approved", frozenset({"secretariat"})),
    "reject": (frozenset({"scheduled"}), "rejected", frozenset({"secretariat"})),
    "adjourn": (frozenset({"scheduled"}), "adjourned", frozenset({"secretariat"})),
    "publish": (frozenset({"approved", "rejected"}), "published", frozenset({"secretariat"})),
}
DECISION_TRIGGERS = tuple(DECISION_TABLE)

# DESIGN.md, "Deadlines": the timers each state opens (an adjourned item waits like a new one).
DECISION_TIMERS = {
    "proposed": {("reminder", 20, "secretariat"), ("escalation", 30, "coordinators")},
    "adjourned": {("reminder", 20, "secretariat"), ("escalation", 30, "coordinators")},
    "scheduled": {("reminder", 2, "secretariat"), ("escalation", 5, "coordinators")},
}

ACTION_STATES = ("open", "done")
ACTION_TABLE = {"done": (frozenset({"open"}), "done", frozenset({"owner", "secretariat"}))}
ACTION_TIMERS = {"open": {("reminder", 0, "owner"), ("escalation", 5, "coordinators")}}

# How to bring a new item into each state: (trigger, days before T0 it is fired).
DECISION_PATHS: dict[str, tuple[tuple[str, int], ...]] = {
    "proposed": (),
    "scheduled": (("schedule", 9),),
    "adjourned": (("schedule", 9), ("adjourn", 2)),
    "approved": (("schedule", 9), ("approve", 2)),
    "rejected": (("schedule", 9), ("reject", 2)),
    "published": (("schedule", 9), ("approve", 2), ("publish", 1)),
}


@dataclass
class Cast:
    """The usual world, a secretary and a comité technique with a past and a future meeting."""

    world: World
    secretary: User
    committee_id: int
    past_meeting_id: int
    next_meeting_id: int

    def payload(self, trigger: str) -> dict[str, Any]:
        """A valid body for ``trigger`` fired at T0 (scheduling goes to the next meeting)."""
        if trigger == "schedule":
            return {"meeting_id": self.next_meeting_id}
        if trigger in {"approve", "reject", "adjourn"}:
            return {"decision_text": f"Relevé de décision ({trigger})."}
        if trigger == "done":
            return {"note": "Action réalisée et présentée en comité."}
        return {}


@dataclass(frozen=True)
class Snapshot:
    """Every row of the tables a transition may touch."""

    decisions: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    events: list[dict[str, Any]]
    timers: list[dict[str, Any]]
    outbox: list[dict[str, Any]]

    def row(self, table: str, case_id: int) -> dict[str, Any]:
        """The row of one decision or action item."""
        rows: list[dict[str, Any]] = getattr(self, table)
        (match,) = [row for row in rows if row["id"] == case_id]
        return match


async def _rows(session: AsyncSession, table: FromClause) -> list[dict[str, Any]]:
    result = await session.execute(select(table).order_by(table.c.id))
    return [dict(row._mapping) for row in result]


async def snapshot(sessionmaker: async_sessionmaker[AsyncSession]) -> Snapshot:
    """The current content of decisions, action items, events, timers and outbox."""
    async with sessionmaker() as session:
        return Snapshot(
            decisions=await _rows(session, Decision.__table__),
            actions=await _rows(session, ActionItem.__table__),
            events=await _rows(session, Event.__table__),
            timers=await _rows(session, Timer.__table__),
            outbox=await _rows(session, OutboxMessage.__table__),
        )


@pytest.fixture
async def cast(world: World, session: AsyncSession, clock: FixedClock) -> Cast:
    t0 = clock.now()
    secretary = await make_user(session, world.coordination, t0, role=Role.SECRETARY)
    committee = await make_committee(
        session, t0, name="Comité technique", members=(world.sender, world.receiver)
    )
    past = await make_meeting(
        session, committee, t0 - timedelta(days=3), minutes="Relevé des décisions de la séance."
    )
    upcoming = await make_meeting(session, committee, t0 + timedelta(days=7))
    return Cast(world, secretary, committee.id, past.id, upcoming.id)


async def fire_decision(
    sessionmaker: async_sessionmaker[AsyncSession],
    cast: Cast,
    decision_id: int,
    trigger: str,
    now: datetime,
    payload: dict[str, Any] | None = None,
) -> None:
    """Fire a decision trigger through the engine as the secretary."""
    async with sessionmaker() as session:
        await engine.fire(
            session,
            DECISION,
            decision_id,
            trigger,
            actor_of(cast.secretary),
            cast.payload(trigger) if payload is None else payload,
            now,
        )


async def drive_decision(
    sessionmaker: async_sessionmaker[AsyncSession], cast: Cast, state: str, t0: datetime
) -> int:
    """A new item proposed ten days before T0, moved into ``state`` along DECISION_PATHS."""
    async with sessionmaker() as session:
        view = await decision_service.propose_decision(
            session,
            actor_of(cast.world.referrer),
            committee_id=cast.committee_id,
            title="Forum de l'emploi des jeunes",
            description="Organiser un forum commun Mission locale et EPI.",
            kind=DecisionKind.ACTION_PLAN,
            axis=PlanAxis.A2_1,
            now=t0 - timedelta(days=10),
        )
    decision_id = int(view.case.id)
    for trigger, days_before in DECISION_PATHS[state]:
        payload = {"meeting_id": cast.past_meeting_id} if trigger == "schedule" else None
        await fire_decision(
            sessionmaker, cast, decision_id, trigger, t0 - timedelta(days=days_before), payload
        )
    return decision_id


async def drive_action(
    sessionmaker: async_sessionmaker[AsyncSession], cast: Cast, state: str, t0: datetime
) -> int:
    """A new action item of an approved decision, due in a month, moved into ``state``."""
    decision_id = await drive_decision(sessionmaker, cast, "approved", t0)
    async with sessionmaker() as session:
        view = await decision_service.assign_action(
            session,
            actor_of(cast.secretary),
            decision_id,
            owner_organisation_id=cast.world.receiver.id,
            title="Réserver la salle du forum",
            due_on=(t0 + timedelta(days=30)).date(),
            now=t0 - timedelta(days=1),
        )
    action_id = int(view.case.id)
    if state == "done":
        async with sessionmaker() as session:
            await engine.fire(
                session,
                ACTION,
                action_id,
                "done",
                actor_of(cast.world.receiver_member),
                {},
                t0 - timedelta(hours=1),
            )
    return action_id


def _declared(lifecycle: Any) -> dict[str, tuple[frozenset[str], str, frozenset[str]]]:
    return {
        spec.trigger: (frozenset(spec.sources), spec.dest, frozenset(spec.sides))
        for spec in lifecycle.transitions
    }


def _timers(lifecycle: Any) -> dict[str, set[tuple[str, int, str]]]:
    return {
        state: {(spec.kind.value, spec.business_days, spec.target) for spec in specs}
        for state, specs in lifecycle.timers.items()
    }


def test_decision_declaration_matches_design() -> None:
    assert DECISION.states == DECISION_STATES
    assert DECISION.initial == "proposed"
    assert DECISION.creation.trigger == "propose"
    assert _declared(DECISION) == DECISION_TABLE
    assert DECISION.triggers == DECISION_TRIGGERS
    assert _timers(DECISION) == DECISION_TIMERS
    assert {spec.anchor for spec in DECISION.timers["scheduled"]} == {"meeting_at"}


def test_action_declaration_matches_design() -> None:
    assert ACTION.states == ACTION_STATES
    assert ACTION.initial == "open"
    assert ACTION.creation.trigger == "assign"
    assert _declared(ACTION) == ACTION_TABLE
    assert _timers(ACTION) == ACTION_TIMERS
    assert {spec.anchor for spec in ACTION.timers["open"]} == {"due_at"}


@pytest.mark.parametrize("state", DECISION_STATES)
def test_decision_machine_accepts_exactly_the_table(state: str) -> None:
    expected = {trigger for trigger, (sources, _, _) in DECISION_TABLE.items() if state in sources}
    assert set(DECISION.triggers_from(state)) == expected


def _expected_allowed(table: dict[str, Any], state: str) -> list[str]:
    return sorted(trigger for trigger, (sources, _, _) in table.items() if state in sources)


@pytest.mark.parametrize(
    ("state", "trigger"),
    [(state, trigger) for state in DECISION_STATES for trigger in DECISION_TRIGGERS],
    ids=[f"{state}-{trigger}" for state in DECISION_STATES for trigger in DECISION_TRIGGERS],
)
async def test_decision_trigger_from_state(
    state: str,
    trigger: str,
    cast: Cast,
    sessionmaker: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    t0 = clock.now()
    sources, dest, _ = DECISION_TABLE[trigger]
    decision_id = await drive_decision(sessionmaker, cast, state, t0)
    before = await snapshot(sessionmaker)
    assert before.row("decisions", decision_id)["state"] == state

    if state in sources:
        await fire_decision(sessionmaker, cast, decision_id, trigger, t0)
        await _assert_moved(
            sessionmaker, "decisions", "decision", decision_id, state, trigger, dest, before, t0
        )
        after = await snapshot(sessionmaker)
        open_timers = _open_timers(after, "decision", decision_id)
        assert {(row["kind"].value, row["target"]) for row in open_timers} == {
            (kind, target) for kind, _, target in DECISION_TIMERS.get(dest, set())
        }
        return

    with pytest.raises(TransitionNotAllowed) as refused:
        await fire_decision(sessionmaker, cast, decision_id, trigger, t0)
    assert refused.value.details["state"] == state
    assert refused.value.allowed_actions == _expected_allowed(DECISION_TABLE, state)

    answer = await client.post(
        f"/api/decisions/{decision_id}/{trigger}",
        json=cast.payload(trigger),
        headers=await auth_headers(cast.secretary),
    )
    assert answer.status_code == 409, answer.text
    assert answer.json()["code"] == "transition_not_allowed"
    assert answer.json()["allowed_actions"] == _expected_allowed(DECISION_TABLE, state)
    assert await snapshot(sessionmaker) == before


@pytest.mark.parametrize(("state", "trigger"), [("open", "done"), ("done", "done")])
async def test_action_trigger_from_state(
    state: str,
    trigger: str,
    cast: Cast,
    sessionmaker: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    t0 = clock.now()
    sources, dest, _ = ACTION_TABLE[trigger]
    action_id = await drive_action(sessionmaker, cast, state, t0)
    before = await snapshot(sessionmaker)
    assert before.row("actions", action_id)["state"] == state
    owner = actor_of(cast.world.receiver_member)

    if state in sources:
        async with sessionmaker() as session:
            await engine.fire(session, ACTION, action_id, trigger, owner, cast.payload(trigger), t0)
        await _assert_moved(
            sessionmaker, "actions", "action", action_id, state, trigger, dest, before, t0
        )
        after = await snapshot(sessionmaker)
        assert after.row("actions", action_id)["done_note"] == cast.payload("done")["note"]
        assert _open_timers(after, "action", action_id) == []
        return

    with pytest.raises(TransitionNotAllowed) as refused:
        async with sessionmaker() as session:
            await engine.fire(session, ACTION, action_id, trigger, owner, cast.payload(trigger), t0)
    assert refused.value.details["state"] == state
    assert refused.value.allowed_actions == []
    answer = await client.post(
        f"/api/actions/{action_id}/{trigger}",
        json=cast.payload(trigger),
        headers=await auth_headers(cast.world.receiver_member),
    )
    assert answer.status_code == 409, answer.text
    assert await snapshot(sessionmaker) == before


def _open_timers(after: Snapshot, kind: str, case_id: int) -> list[dict[str, Any]]:
    return [
        row
        for row in after.timers
        if (row["case_kind"], row["case_id"]) == (kind, case_id) and row["closed_at"] is None
    ]


async def _assert_moved(
    sessionmaker: async_sessionmaker[AsyncSession],
    table: str,
    kind: str,
    case_id: int,
    state: str,
    trigger: str,
    dest: str,
    before: Snapshot,
    now: datetime,
) -> None:
    """The case is in ``dest``, one version on, with exactly one new event and no other."""
    after = await snapshot(sessionmaker)
    assert after.row(table, case_id)["state"] == dest
    assert after.row(table, case_id)["version"] == before.row(table, case_id)["version"] + 1
    assert after.events[: len(before.events)] == before.events
    assert len(after.events) == len(before.events) + 1
    event = after.events[-1]
    assert (event["case_kind"], event["case_id"]) == (kind, case_id)
    assert (event["from_state"], event["to_state"], event["trigger"]) == (state, dest, trigger)
    assert event["occurred_at"] == now
    assert all(
        row["closed_at"] is not None
        for row in after.timers
        if (row["case_kind"], row["case_id"]) == (kind, case_id) and row["state"] != dest
    )
    new_keys = {row["idempotency_key"] for row in after.outbox} - {
        row["idempotency_key"] for row in before.outbox
    }
    assert all(key.startswith(f"event:{event['id']}:") for key in new_keys)


async def test_decision_before_its_meeting_is_refused(
    cast: Cast,
    sessionmaker: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    t0 = clock.now()
    decision_id = await drive_decision(sessionmaker, cast, "proposed", t0)
    await fire_decision(sessionmaker, cast, decision_id, "schedule", t0)
    before = await snapshot(sessionmaker)
    headers = await auth_headers(cast.secretary)
    for trigger in ("approve", "reject", "adjourn"):
        answer = await client.post(
            f"/api/decisions/{decision_id}/{trigger}", json={}, headers=headers
        )
        assert answer.status_code == 409, answer.text
        assert "pas encore eu lieu" in answer.json()["detail"]
        assert await snapshot(sessionmaker) == before
    # Once the meeting has started, the decision can be recorded.
    clock.set(t0 + timedelta(days=7))
    answer = await client.post(f"/api/decisions/{decision_id}/approve", json={}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["state"] == "approved"


async def test_publish_needs_the_minutes(
    cast: Cast,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    t0 = clock.now()
    committee = await session.get_one(Committee, cast.committee_id)
    bare = await make_meeting(session, committee, t0 - timedelta(days=3), agenda="Point unique")
    decision_id = await drive_decision(sessionmaker, cast, "proposed", t0)
    await fire_decision(
        sessionmaker, cast, decision_id, "schedule", t0 - timedelta(days=9), {"meeting_id": bare.id}
    )
    await fire_decision(sessionmaker, cast, decision_id, "approve", t0 - timedelta(days=2))
    before = await snapshot(sessionmaker)
    headers = await auth_headers(cast.secretary)

    answer = await client.post(f"/api/decisions/{decision_id}/publish", headers=headers)
    assert answer.status_code == 409, answer.text
    assert "compte rendu" in answer.json()["detail"]
    assert await snapshot(sessionmaker) == before

    minutes = await client.patch(
        f"/api/meetings/{bare.id}", json={"minutes": "Adopté à l'unanimité."}, headers=headers
    )
    assert minutes.status_code == 200, minutes.text
    answer = await client.post(f"/api/decisions/{decision_id}/publish", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["state"] == "published"
    assert answer.json()["outcome"] == "approved"


@pytest.mark.parametrize(
    ("meeting", "message"),
    [("past", "déjà eu lieu"), ("other_committee", "n'est pas une réunion du comité")],
)
async def test_schedule_only_on_a_coming_meeting_of_the_committee(
    meeting: str,
    message: str,
    cast: Cast,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    t0 = clock.now()
    other = await make_committee(session, t0, kind="pilotage")
    meeting_id = (
        cast.past_meeting_id
        if meeting == "past"
        else (await make_meeting(session, other, t0 + timedelta(days=7))).id
    )
    decision_id = await drive_decision(sessionmaker, cast, "proposed", t0)
    before = await snapshot(sessionmaker)
    with pytest.raises(InvalidInput) as refused:
        await fire_decision(
            sessionmaker, cast, decision_id, "schedule", t0, {"meeting_id": meeting_id}
        )
    assert message in refused.value.message
    assert refused.value.field == "meeting_id"
    assert await snapshot(sessionmaker) == before
