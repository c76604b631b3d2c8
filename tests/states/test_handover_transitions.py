"""Every trigger of the handover lifecycle tried from every state (issue 4, acceptance 1).

DESIGN.md's handover table is written out literally below; the declaration must match it,
and the parametrized test is generated from it: 5 states x 4 triggers. Each case brings a
fresh handover into the state through the engine (the Mission locale, A, accompanies a person
and proposes to hand them over to an EPI, B), then fires the trigger as the side entitled to
it, with a valid payload. Allowed pairs land in the declared state and append exactly one
event; refused pairs raise ``TransitionNotAllowed`` (409 over HTTP) and change nothing: not
the handover, its events, timers or outbox, nor who accompanies the person.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.errors import NotFound
from core.models import Accompaniment, Handover, User
from services.handover_service import HandoverCreate, propose_handover
from states import engine
from states.handover import HANDOVER
from tests.factories import World, accompany_new_person, actor_of, auth_headers, handover_json
from tests.states.transition_harness import (
    Snapshot,
    TransitionHarness,
    declared_table,
    design_table,
    every_state_and_trigger,
    expected_allowed,
    triggers_from,
)

STATES = ("proposed", "accepted", "declined", "withdrawn", "completed")

# DESIGN.md, "Handover lifecycle": trigger -> (from, to, who). A, the current référent, is
# the side "referent"; B, the organisation it hands the person over to, is "successor".
TABLE: dict[str, tuple[frozenset[str], str, tuple[str, ...]]] = {
    "accept": (frozenset({"proposed"}), "accepted", ("successor",)),
    "decline": (frozenset({"proposed"}), "declined", ("successor",)),
    "withdraw": (frozenset({"proposed", "accepted"}), "withdrawn", ("referent",)),
    "confirm": (frozenset({"accepted"}), "completed", ("successor",)),
}
TRIGGERS = tuple(TABLE)
# `propose` creates the case: (new) -> proposed, by A.
CREATION = ("propose", "proposed")

# DESIGN.md, "Deadlines": handover timers as (kind, business days, who, counted from).
TIMERS: dict[str, set[tuple[str, int, str, str | None]]] = {
    "proposed": {("reminder", 3, "successor", None), ("escalation", 5, "coordinators", None)},
    "accepted": {
        ("reminder", 2, "successor", "first_meeting_at"),
        ("escalation", 5, "coordinators", "first_meeting_at"),
    },
}

# How a new proposal reaches each state.
PATHS: dict[str, tuple[str, ...]] = {
    "proposed": (),
    "accepted": ("accept",),
    "declined": ("decline",),
    "withdrawn": ("withdraw",),
    "completed": ("accept", "confirm"),
}

# A valid body for each trigger. The meeting is T0 itself, so `confirm` may follow at once.
PAYLOADS: dict[str, dict[str, Any]] = {
    "accept": {"first_meeting_at": "2026-03-02T09:00:00+01:00"},
    "decline": {"reason": "Pas de place avant l'été."},
    "withdraw": {"reason": "La personne préfère rester suivie par nous."},
    "confirm": {},
}

# Who each transition notifies (one member per organisation in the world).
NOTIFIED = {
    "accept": "conseillere@ml-test.fr",
    "decline": "conseillere@ml-test.fr",
    "withdraw": "accueil@epi-test.fr",
    "confirm": "conseillere@ml-test.fr",
}


def user_of(world: World, side: str) -> User:
    """The user who acts for ``side``."""
    return {"referent": world.referrer, "successor": world.receiver_member}[side]


# Every row a handover transition may touch: the handovers, their events, timers and outbox,
# and who accompanies the person.
HARNESS = TransitionHarness(
    "handover",
    "handovers",
    "/api/handovers",
    {"handovers": Handover, "accompaniments": Accompaniment},
)


async def fire(
    sessionmaker: async_sessionmaker[AsyncSession],
    world: World,
    handover_id: int,
    trigger: str,
    now: datetime,
    payload: dict[str, Any] | None = None,
) -> User:
    """Fire ``trigger`` through the engine as the side the table names for it."""
    user = user_of(world, TABLE[trigger][2][0])
    body = PAYLOADS[trigger] if payload is None else payload
    async with sessionmaker() as session:
        await engine.fire(session, HANDOVER, handover_id, trigger, actor_of(user), body, now)
    return user


async def propose(
    sessionmaker: async_sessionmaker[AsyncSession], world: World, now: datetime
) -> tuple[int, int]:
    """A new person accompanied by A, and A's proposal to hand them to B: the two ids."""
    async with sessionmaker() as session:
        person_id = await accompany_new_person(session, world.referrer, now)
        view = await propose_handover(
            session,
            actor_of(world.referrer),
            HandoverCreate(**handover_json(person_id, world.receiver)),
            now,
        )
    return person_id, int(view.case.id)


async def drive_to(
    sessionmaker: async_sessionmaker[AsyncSession], world: World, state: str, now: datetime
) -> int:
    """A new handover moved into ``state`` along PATHS."""
    _, handover_id = await propose(sessionmaker, world, now)
    for trigger in PATHS[state]:
        await fire(sessionmaker, world, handover_id, trigger, now)
    return handover_id


def test_states_match_design() -> None:
    assert HANDOVER.states == STATES
    assert (HANDOVER.creation.trigger, HANDOVER.initial) == CREATION
    assert "propose" not in HANDOVER.triggers


def test_transition_table_matches_design() -> None:
    assert declared_table(HANDOVER) == design_table(TABLE)
    assert HANDOVER.triggers == HANDOVER.human_triggers == TRIGGERS
    assert [spec.trigger for spec in HANDOVER.transitions if spec.guard is not None] == ["confirm"]


@pytest.mark.parametrize("state", STATES)
def test_machine_accepts_exactly_the_table(state: str) -> None:
    assert set(HANDOVER.triggers_from(state)) == triggers_from(TABLE, state)


def test_timers_match_design() -> None:
    declared = {
        state: {(spec.kind.value, spec.business_days, spec.target, spec.anchor) for spec in specs}
        for state, specs in HANDOVER.timers.items()
    }
    assert declared == TIMERS


@every_state_and_trigger(STATES, TRIGGERS)
async def test_trigger_from_state(
    state: str,
    trigger: str,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    sources, _, who = TABLE[trigger]
    handover_id = await drive_to(sessionmaker, world, state, clock.now())
    before = await HARNESS.snapshot_in(sessionmaker, handover_id, state)

    if state in sources:
        await _assert_allowed(sessionmaker, world, handover_id, state, trigger, before, clock)
        return

    await HARNESS.assert_refused(
        sessionmaker,
        client,
        before,
        handover_id,
        state,
        trigger,
        fire=lambda: fire(sessionmaker, world, handover_id, trigger, clock.now()),
        allowed=expected_allowed(TABLE, state, who[0]),
        user=user_of(world, who[0]),
        payload=PAYLOADS[trigger],
    )


async def _assert_allowed(
    sessionmaker: async_sessionmaker[AsyncSession],
    world: World,
    handover_id: int,
    state: str,
    trigger: str,
    before: Snapshot,
    clock: FixedClock,
) -> None:
    dest = TABLE[trigger][1]
    user = await fire(sessionmaker, world, handover_id, trigger, clock.now())
    after, event = await HARNESS.assert_moved(
        sessionmaker, before, handover_id, state, trigger, dest, clock.now()
    )
    assert after.row("handovers", handover_id)["state_entered_at"] == clock.now()
    assert (event["actor_id"], event["organisation_id"]) == (user.id, user.organisation_id)
    assert set(event["payload"]) == set(PAYLOADS[trigger])

    # Open timers are exactly those the new state declares; the old state's are closed.
    own = [t for t in after.timers if (t["case_kind"], t["case_id"]) == ("handover", handover_id)]
    open_timers = [t for t in own if not t["closed_at"]]
    assert {(t["state"], t["kind"].value, t["target"]) for t in open_timers} == {
        (dest, kind, target) for kind, _, target, _ in TIMERS.get(dest, set())
    }
    assert len(open_timers) == len(TIMERS.get(dest, set()))
    closed = [t for t in own if t["state"] == state]
    assert [t["status"].value for t in closed] == ["cancelled", "cancelled"]

    # One email, to the other side, keyed on the event.
    [message] = after.outbox[len(before.outbox) :]
    assert message["idempotency_key"].startswith(f"event:{event['id']}:")
    assert message["recipient_email"] == NOTIFIED[trigger]
    assert "Moreau" not in str(message["context"])

    if trigger != "confirm":
        assert after.accompaniments == before.accompaniments
        return
    # A's accompaniment ends and B's begins, at the same instant.
    [a_row] = before.accompaniments
    assert a_row["organisation_id"] == world.sender.id and a_row["ended_at"] is None
    assert after.accompaniments[0] == {
        **a_row,
        "ended_at": clock.now(),
        "state": "ended",
        "state_entered_at": clock.now(),
        "version": a_row["version"] + 1,
    }
    [b_row] = after.accompaniments[1:]
    assert (b_row["person_id"], b_row["organisation_id"]) == (a_row["person_id"], world.receiver.id)
    assert (b_row["source"].value, b_row["source_id"]) == ("handover", handover_id)
    assert (b_row["started_at"], b_row["ended_at"], b_row["state"]) == (clock.now(), None, "active")


@pytest.mark.parametrize("state", STATES)
async def test_propose_only_creates(
    state: str,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    """`propose` is no trigger on an existing handover: the engine and the API know none."""
    handover_id = await drive_to(sessionmaker, world, state, clock.now())
    before = await HARNESS.snapshot(sessionmaker)
    with pytest.raises(NotFound):
        async with sessionmaker() as session:
            await engine.fire(
                session, HANDOVER, handover_id, "propose", actor_of(world.referrer), {}, clock.now()
            )
    answer = await client.post(
        f"/api/handovers/{handover_id}/propose",
        json=handover_json(1, world.receiver),
        headers=await auth_headers(world.referrer),
    )
    assert answer.status_code == 404
    assert await HARNESS.snapshot(sessionmaker) == before


async def test_confirm_waits_for_the_first_meeting(
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    _, handover_id = await propose(sessionmaker, world, clock.now())
    meeting = "2026-03-05T14:30:00+01:00"  # Thursday, three days after T0
    await fire(
        sessionmaker, world, handover_id, "accept", clock.now(), {"first_meeting_at": meeting}
    )
    before = await HARNESS.snapshot(sessionmaker)
    url = f"/api/handovers/{handover_id}/confirm"
    epi = await auth_headers(world.receiver_member)

    for moment in (clock.now(), datetime(2026, 3, 5, 13, 29, 59, tzinfo=UTC)):
        clock.set(moment)
        early = await client.post(url, json={}, headers=epi)
        assert early.status_code == 409, early.text
        assert early.json()["code"] == "transition_not_allowed"
        assert early.json()["detail"] == (
            "La première rencontre n'a pas encore eu lieu : possible à partir du "
            "jeudi 5 mars 2026 à 14 h 30."
        )
        assert early.json()["allowed_actions"] == ["confirm"]
        assert await HARNESS.snapshot(sessionmaker) == before

    clock.set(datetime(2026, 3, 5, 13, 30, tzinfo=UTC))  # the meeting itself
    confirmed = await client.post(url, json={}, headers=epi)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["state"] == "completed"
    after = await HARNESS.snapshot(sessionmaker)
    ended, started = after.accompaniments
    assert ended["ended_at"] == started["started_at"] == datetime(2026, 3, 5, 13, 30, tzinfo=UTC)
    assert (ended["organisation_id"], started["organisation_id"]) == (
        world.sender.id,
        world.receiver.id,
    )
    assert started["ended_at"] is None


def _due(snap: Snapshot, handover_id: int, state: str) -> dict[str, datetime]:
    return {
        t["kind"].value: t["due_at"]
        for t in snap.timers
        if (t["case_kind"], t["case_id"], t["state"]) == ("handover", handover_id, state)
    }


async def test_timers_count_business_days(
    world: World, sessionmaker: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    """Proposed on the Thursday before Easter; the meeting on the eve of 1 May."""
    clock.set(datetime(2026, 4, 2, 10, 0, tzinfo=UTC))  # Thursday 2 April, 12:00 in Paris
    _, handover_id = await propose(sessionmaker, world, clock.now())
    proposed = await HARNESS.snapshot(sessionmaker)
    # Fri 3, (Easter Monday 6 off), Tue 7, Wed 8 | Thu 9, Fri 10.
    assert _due(proposed, handover_id, "proposed") == {
        "reminder": datetime(2026, 4, 8, 10, 0, tzinfo=UTC),
        "escalation": datetime(2026, 4, 10, 10, 0, tzinfo=UTC),
    }

    clock.set(datetime(2026, 4, 7, 8, 0, tzinfo=UTC))
    meeting = "2026-04-30T14:00:00+02:00"  # Thursday 30 April, 14:00 in Paris
    await fire(
        sessionmaker, world, handover_id, "accept", clock.now(), {"first_meeting_at": meeting}
    )
    accepted = await HARNESS.snapshot(sessionmaker)
    # (1 May off), Mon 4, Tue 5 | Wed 6, Thu 7, (8 May off), Mon 11: counted from the meeting.
    assert _due(accepted, handover_id, "accepted") == {
        "reminder": datetime(2026, 5, 5, 12, 0, tzinfo=UTC),
        "escalation": datetime(2026, 5, 11, 12, 0, tzinfo=UTC),
    }
    assert {
        (t["state"], t["status"].value, t["closed_at"])
        for t in accepted.timers
        if (t["case_kind"], t["case_id"], t["state"]) == ("handover", handover_id, "proposed")
    } == {("proposed", "cancelled", datetime(2026, 4, 7, 8, 0, tzinfo=UTC))}
