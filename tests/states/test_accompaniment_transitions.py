"""Every trigger of the accompaniment lifecycle tried from every state (issue 13, point 1).

The table is written out literally below; the declaration must match it, and the parametrized
test is generated from it: 2 states x 3 triggers (the co-accompaniment triggers of issue 14 are
pinned by ``PARTNER_TABLE`` and tried in the API tests). Each case brings a fresh accompaniment
into the state through the engine (the coordination makes the Mission locale the référent of a
new person), then fires the trigger as the side entitled to it (relais itself for
``hand_over``), with a valid payload. Allowed pairs land in the declared state and append
exactly one event; refused pairs raise ``TransitionNotAllowed`` (409 over HTTP) and change
nothing: not the accompaniment, its events, timers or outbox.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.errors import Forbidden, NotFound
from core.models import Accompaniment, User
from states import engine
from states.accompaniment import ACCOMPANIMENT, HANDOVER_UNDER_WAY
from states.actor import Actor
from states.handover import OPEN_STATES
from tests.factories import World, accompany_new_person, actor_of, auth_headers
from tests.states.transition_harness import (
    Snapshot,
    TransitionHarness,
    declared_table,
    design_table,
    every_state_and_trigger,
    expected_allowed,
    triggers_from,
)

Sessions = async_sessionmaker[AsyncSession]
STATES = ("active", "ended")

# Issue 13: trigger -> (from, to, who). The référent organisation is the side "referent";
# relais fires "hand_over" when a handover of the person is confirmed.
TABLE: dict[str, tuple[frozenset[str], str, tuple[str, ...]]] = {
    "note": (frozenset({"active"}), "active", ("referent",)),
    "end": (frozenset({"active"}), "ended", ("referent",)),
    "hand_over": (frozenset({"active"}), "ended", ("system",)),
}
TRIGGERS = tuple(TABLE)
# Issue 14: co-accompanying organisations, self-transitions of an active accompaniment that
# leave its timers alone (tests/api/test_accompaniment_partners.py tries them).
PARTNER_TABLE: dict[str, tuple[frozenset[str], str, tuple[str, ...]]] = {
    "add_partner": (frozenset({"active"}), "active", ("referent",)),
    "remove_partner": (frozenset({"active"}), "active", ("referent", "partner")),
}
# `begin` creates the case: (new) -> active, when a referral starts, a handover is confirmed,
# or the coordination decides it.
CREATION = ("begin", "active")

# Timers: (kind, business days, who, counted from).
TIMERS: dict[str, set[tuple[str, int, str, str | None]]] = {
    "active": {("reminder", 90, "referent", None), ("escalation", 100, "coordinators", None)},
}
# Issue 14, the Mission locale's age limit: milestones (kind, months before, who, anchor,
# message), on an accompaniment whose ``turns_26_at`` is set.
MILESTONES: dict[str, set[tuple[str, int, str, str | None, str]]] = {
    "active": {
        ("reminder", 3, "referent", "turns_26_at", "accompaniment.turning_26"),
        ("escalation", 0, "coordinators", "turns_26_at", "accompaniment.turned_26"),
    },
}

PATHS: dict[str, tuple[str, ...]] = {"active": (), "ended": ("end",)}

PAYLOADS: dict[str, dict[str, Any]] = {
    "note": {"note": "Entretien mensuel : candidatures envoyées, relance prévue."},
    "end": {"outcome": "lasting_employment", "comment": "CDI signé."},
    "hand_over": {},
}

HARNESS = TransitionHarness(
    "accompaniment", "accompaniments", "/api/accompaniments", {"accompaniments": Accompaniment}
)


def actor_for(world: World, side: str) -> Actor:
    """Who acts for ``side``: the référent's member, or relais itself."""
    return Actor.system() if side == "system" else actor_of(world.referrer)


def user_for(world: World, side: str) -> User | None:
    """The user who would call the API for ``side`` (relais's own trigger has no route)."""
    return None if side == "system" else world.referrer


async def fire(sessions: Sessions, world: World, case_id: int, trigger: str, now: datetime) -> None:
    """Fire ``trigger`` through the engine as the side the table names for it."""
    actor = actor_for(world, TABLE[trigger][2][0])
    async with sessions() as session:
        await engine.fire(session, ACCOMPANIMENT, case_id, trigger, actor, PAYLOADS[trigger], now)


async def drive_to(sessions: Sessions, world: World, state: str, now: datetime) -> int:
    """A new accompaniment of the Mission locale moved into ``state`` along PATHS."""
    async with sessions() as session:
        person_id = await accompany_new_person(session, world.referrer, now)
        accompaniment_id = await session.scalar(
            select(Accompaniment.id).where(Accompaniment.person_id == person_id)
        )
    assert accompaniment_id is not None
    for trigger in PATHS[state]:
        await fire(sessions, world, accompaniment_id, trigger, now)
    return accompaniment_id


def test_states_match_the_issue() -> None:
    assert ACCOMPANIMENT.states == STATES
    assert (ACCOMPANIMENT.creation.trigger, ACCOMPANIMENT.initial) == CREATION
    assert "begin" not in ACCOMPANIMENT.triggers
    assert ACCOMPANIMENT.final_states == ("ended",)
    assert ACCOMPANIMENT.waiting_on["active"].side == "referent"


def test_transition_table_matches_the_issue() -> None:
    assert declared_table(ACCOMPANIMENT) == design_table({**TABLE, **PARTNER_TABLE})
    assert ACCOMPANIMENT.human_triggers == ("note", "end", "add_partner", "remove_partner")
    assert [ACCOMPANIMENT.transition(trigger).keeps_timers for trigger in PARTNER_TABLE] == [
        True,
        True,
    ]


@pytest.mark.parametrize("state", STATES)
def test_machine_accepts_exactly_the_table(state: str) -> None:
    assert set(ACCOMPANIMENT.triggers_from(state)) == triggers_from(
        {**TABLE, **PARTNER_TABLE}, state
    )


def test_timers_match_the_issue() -> None:
    declared = {
        state: {
            (spec.kind.value, spec.business_days, spec.target, spec.anchor)
            for spec in specs
            if spec.message is None
        }
        for state, specs in ACCOMPANIMENT.timers.items()
    }
    assert declared == TIMERS
    milestones = {
        state: {
            (spec.kind.value, spec.months_before, spec.target, spec.anchor, str(spec.message))
            for spec in specs
            if spec.message is not None
        }
        for state, specs in ACCOMPANIMENT.timers.items()
    }
    assert milestones == MILESTONES


def test_an_open_handover_is_one_the_accompaniment_waits_for() -> None:
    assert tuple(OPEN_STATES) == HANDOVER_UNDER_WAY


@every_state_and_trigger(STATES, TRIGGERS)
async def test_trigger_from_state(
    state: str,
    trigger: str,
    world: World,
    sessionmaker: Sessions,
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    sources, _, who = TABLE[trigger]
    case_id = await drive_to(sessionmaker, world, state, clock.now())
    before = await HARNESS.snapshot_in(sessionmaker, case_id, state)

    if state in sources:
        await _assert_allowed(sessionmaker, world, case_id, state, trigger, before, clock)
        return

    await HARNESS.assert_refused(
        sessionmaker,
        client,
        before,
        case_id,
        state,
        trigger,
        fire=lambda: fire(sessionmaker, world, case_id, trigger, clock.now()),
        allowed=expected_allowed(TABLE, state, who[0]),
        user=user_for(world, who[0]),
        payload=PAYLOADS[trigger],
    )


async def _assert_allowed(
    sessions: Sessions,
    world: World,
    case_id: int,
    state: str,
    trigger: str,
    before: Snapshot,
    clock: FixedClock,
) -> None:
    dest = TABLE[trigger][1]
    await fire(sessions, world, case_id, trigger, clock.now())
    after, event = await HARNESS.assert_moved(
        sessions, before, case_id, state, trigger, dest, clock.now()
    )
    row = after.row("accompaniments", case_id)
    assert row["state_entered_at"] == clock.now()
    actor = actor_for(world, TABLE[trigger][2][0])
    assert (event["actor_id"], event["organisation_id"]) == (actor.user_id, actor.organisation_id)
    assert event["payload"] == PAYLOADS[trigger]
    assert len(after.events) == len(before.events) + 1
    assert after.outbox == before.outbox

    # Open timers are exactly those the new state declares; the old state's are cancelled.
    own = [t for t in after.timers if (t["case_kind"], t["case_id"]) == ("accompaniment", case_id)]
    assert {(t["state"], t["kind"].value, t["target"]) for t in own if not t["closed_at"]} == {
        (dest, kind, target) for kind, _, target, _ in TIMERS.get(dest, set())
    }
    assert [t["status"].value for t in own if t["closed_at"]] == ["cancelled", "cancelled"]

    # Ending it (either way) leaves the person without a référent; a note changes nothing else.
    ended = dest == "ended"
    assert (row["ended_at"] == clock.now()) is ended
    assert (row["ended_at"] is None) is not ended
    expected_outcome = PAYLOADS["end"]["outcome"] if trigger == "end" else None
    assert (row["exit_outcome"] and row["exit_outcome"].value) == expected_outcome
    assert row["exit_comment"] == (PAYLOADS["end"]["comment"] if trigger == "end" else None)


@pytest.mark.parametrize("state", STATES)
async def test_begin_only_creates(
    state: str,
    world: World,
    sessionmaker: Sessions,
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    """`begin` is no trigger on an existing accompaniment: the engine and the API know none."""
    case_id = await drive_to(sessionmaker, world, state, clock.now())
    before = await HARNESS.snapshot(sessionmaker)
    with pytest.raises(NotFound):
        async with sessionmaker() as session:
            await engine.fire(
                session, ACCOMPANIMENT, case_id, "begin", actor_of(world.referrer), {}, clock.now()
            )
    for trigger in ("begin", "hand_over"):
        answer = await client.post(
            f"/api/accompaniments/{case_id}/{trigger}",
            json={},
            headers=await auth_headers(world.referrer),
        )
        assert answer.status_code == 404, (trigger, answer.text)
    assert await HARNESS.snapshot(sessionmaker) == before


async def test_a_person_cannot_fire_hand_over(
    world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    """Only relais ends an accompaniment by a handover: the référent is Forbidden to."""
    case_id = await drive_to(sessionmaker, world, "active", clock.now())
    before = await HARNESS.snapshot(sessionmaker)
    for user in (world.referrer, world.coordinator):
        with pytest.raises(Forbidden):
            async with sessionmaker() as session:
                await engine.fire(
                    session, ACCOMPANIMENT, case_id, "hand_over", actor_of(user), {}, clock.now()
                )
    assert await HARNESS.snapshot(sessionmaker) == before
