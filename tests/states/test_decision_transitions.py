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
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import DecisionKind, PlanAxis, Role
from core.errors import InvalidInput
from core.models import ActionItem, Committee, Decision, User
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
from tests.states.transition_harness import (
    TransitionHarness,
    every_state_and_trigger,
    expected_allowed,
    triggers_from,
)
from tests.states.transition_harness import declared_table as _declared

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
    # Issue 13: a decision taken waits on its publication.
    "approved": {("reminder", 5, "secretariat"), ("escalation", 10, "coordinators")},
    "rejected": {("reminder", 5, "secretariat"), ("escalation", 10, "coordinators")},
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


# Every row a transition may touch: decisions, action items, events, timers and outbox.
ITEMS = {"decisions": Decision, "actions": ActionItem}
DECISIONS = TransitionHarness("decision", "decisions", "/api/decisions", ITEMS)
ACTIONS = TransitionHarness("action", "actions", "/api/actions", ITEMS)


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
    assert set(DECISION.triggers_from(state)) == triggers_from(DECISION_TABLE, state)


@every_state_and_trigger(DECISION_STATES, DECISION_TRIGGERS)
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
    before = await DECISIONS.snapshot_in(sessionmaker, decision_id, state)

    if state in sources:
        await fire_decision(sessionmaker, cast, decision_id, trigger, t0)
        after, _event = await DECISIONS.assert_moved(
            sessionmaker, before, decision_id, state, trigger, dest, t0
        )
        open_timers = DECISIONS.open_timers(after, decision_id)
        assert {(row["kind"].value, row["target"]) for row in open_timers} == {
            (kind, target) for kind, _, target in DECISION_TIMERS.get(dest, set())
        }
        return

    await DECISIONS.assert_refused(
        sessionmaker,
        client,
        before,
        decision_id,
        state,
        trigger,
        fire=lambda: fire_decision(sessionmaker, cast, decision_id, trigger, t0),
        allowed=expected_allowed(DECISION_TABLE, state, "secretariat"),
        user=cast.secretary,
        payload=cast.payload(trigger),
    )


@every_state_and_trigger(ACTION_STATES, ACTION_TABLE)
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
    before = await ACTIONS.snapshot_in(sessionmaker, action_id, state)
    owner = actor_of(cast.world.receiver_member)

    async def fire_action() -> None:
        async with sessionmaker() as session:
            await engine.fire(session, ACTION, action_id, trigger, owner, cast.payload(trigger), t0)

    if state in sources:
        await fire_action()
        after, _event = await ACTIONS.assert_moved(
            sessionmaker, before, action_id, state, trigger, dest, t0
        )
        assert after.row("actions", action_id)["done_note"] == cast.payload("done")["note"]
        assert ACTIONS.open_timers(after, action_id) == []
        return

    await ACTIONS.assert_refused(
        sessionmaker,
        client,
        before,
        action_id,
        state,
        trigger,
        fire=fire_action,
        allowed=expected_allowed(ACTION_TABLE, state, "owner"),
        user=cast.world.receiver_member,
        payload=cast.payload(trigger),
    )


async def test_decision_before_its_meeting_is_refused(
    cast: Cast,
    sessionmaker: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    t0 = clock.now()
    decision_id = await drive_decision(sessionmaker, cast, "proposed", t0)
    await fire_decision(sessionmaker, cast, decision_id, "schedule", t0)
    before = await DECISIONS.snapshot(sessionmaker)
    headers = await auth_headers(cast.secretary)
    for trigger in ("approve", "reject", "adjourn"):
        answer = await client.post(
            f"/api/decisions/{decision_id}/{trigger}", json={}, headers=headers
        )
        assert answer.status_code == 409, answer.text
        assert "pas encore eu lieu" in answer.json()["detail"]
        assert await DECISIONS.snapshot(sessionmaker) == before
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
    before = await DECISIONS.snapshot(sessionmaker)
    headers = await auth_headers(cast.secretary)

    answer = await client.post(f"/api/decisions/{decision_id}/publish", headers=headers)
    assert answer.status_code == 409, answer.text
    assert "compte rendu" in answer.json()["detail"]
    assert await DECISIONS.snapshot(sessionmaker) == before

    minutes = await client.patch(
        f"/api/meetings/{bare.id}", json={"minutes": "Adopté à l'unanimité."}, headers=headers
    )
    assert minutes.status_code == 200, minutes.text
    answer = await client.post(f"/api/decisions/{decision_id}/publish", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["state"] == "published"
    assert answer.json()["outcome"] == "approved"
    # The decision went out with the minutes: they are published, hence frozen.
    meeting = (await client.get(f"/api/meetings/{bare.id}", headers=headers)).json()
    assert meeting["minutes_published_at"] is not None
    frozen = await client.patch(
        f"/api/meetings/{bare.id}", json={"minutes": "Autre texte."}, headers=headers
    )
    assert (frozen.status_code, frozen.json()["allowed_actions"]) == (409, ["amend"])


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
    before = await DECISIONS.snapshot(sessionmaker)
    with pytest.raises(InvalidInput) as refused:
        await fire_decision(
            sessionmaker, cast, decision_id, "schedule", t0, {"meeting_id": meeting_id}
        )
    assert message in refused.value.message
    assert refused.value.field == "meeting_id"
    assert await DECISIONS.snapshot(sessionmaker) == before
