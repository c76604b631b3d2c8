"""Every trigger of the referral lifecycle tried from every state (issue 2, acceptance 2).

The lifecycle table of DESIGN.md is written out literally below; the declaration must match
it, and the parametrized test is generated from it: 9 states x 10 triggers. Each case brings
a fresh referral into the state through the engine, then fires the trigger as someone entitled
to it, with a valid payload. Allowed pairs land in the declared state and append exactly one
event; refused pairs raise ``TransitionNotAllowed`` (409 over HTTP) and change nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.models import Offer, Referral, User
from services.referral_service import create_referral
from states import engine
from states.actor import Actor
from states.referral import REFERRAL
from tests.factories import World, actor_of, make_offer, referral_create
from tests.states.transition_harness import (
    Snapshot,
    TransitionHarness,
    declared_table,
    design_table,
    every_state_and_trigger,
    expected_allowed,
    triggers_from,
)

STATES = (
    "draft",
    "submitted",
    "accepted",
    "returned",
    "in_progress",
    "completed",
    "cancelled",
    "closed",
    "expired",
)

# DESIGN.md, "Referral lifecycle": trigger -> (from, to, who).
TABLE: dict[str, tuple[frozenset[str], str, tuple[str, ...]]] = {
    "submit": (frozenset({"draft"}), "submitted", ("referrer",)),
    "accept": (frozenset({"submitted"}), "accepted", ("receiver",)),
    "return": (frozenset({"submitted"}), "returned", ("receiver",)),
    "resubmit": (frozenset({"returned", "expired"}), "submitted", ("referrer",)),
    "start": (frozenset({"accepted"}), "in_progress", ("receiver",)),
    "note": (frozenset({"in_progress"}), "in_progress", ("receiver",)),
    "complete": (frozenset({"in_progress", "accepted"}), "completed", ("receiver",)),
    "cancel": (
        frozenset({"draft", "submitted", "returned", "accepted"}),
        "cancelled",
        ("referrer",),
    ),
    "close": (frozenset({"returned", "expired"}), "closed", ("referrer", "coordinators")),
    "reassign": (frozenset({"submitted", "returned", "expired"}), "submitted", ("coordinators",)),
    "expire": (frozenset({"submitted"}), "expired", ("system",)),
}
TRIGGERS = tuple(TABLE)
HUMAN_TRIGGERS = tuple(trigger for trigger, (_, _, who) in TABLE.items() if who != ("system",))

# DESIGN.md, "Deadlines", and issue 13 (progress checks, expired referrals chased): the timers
# each state opens.
TIMER_KINDS = {
    "submitted": {"reminder", "escalation", "trigger"},
    "returned": {"reminder", "escalation"},
    "accepted": {"reminder", "escalation"},
    "in_progress": {"reminder", "escalation"},
    "expired": {"reminder", "escalation"},
}

# How to bring a new draft into each state.
PATHS: dict[str, tuple[str, ...]] = {
    "draft": (),
    "submitted": ("submit",),
    "accepted": ("submit", "accept"),
    "returned": ("submit", "return"),
    "in_progress": ("submit", "accept", "start"),
    "completed": ("submit", "accept", "start", "complete"),
    "cancelled": ("cancel",),
    "closed": ("submit", "return", "close"),
    "expired": ("submit", "expire"),
}


@dataclass
class Cast:
    """The usual world plus a second offer, of another organisation, to reassign to."""

    world: World
    other_offer: Offer

    def user(self, side: str) -> User | None:
        """The user who acts for ``side`` (None: relais itself)."""
        return {
            "referrer": self.world.referrer,
            "receiver": self.world.receiver_member,
            "coordinators": self.world.coordinator,
            "system": None,
        }[side]

    def payload(self, trigger: str) -> dict[str, Any]:
        """A valid body for ``trigger``."""
        payloads: dict[str, dict[str, Any]] = {
            "submit": {},
            "accept": {"first_appointment_at": "2026-03-10T10:00:00+01:00"},
            "return": {"reason": "no_capacity", "comment": "Plus de place ce trimestre."},
            "resubmit": {"motive": "Demande précisée après échange avec la personne."},
            "start": {},
            "note": {"note": "Entretien fait, recherche de stage en cours."},
            "complete": {"outcome": "qualifying_training"},
            "cancel": {"reason": "La personne a trouvé un emploi."},
            "close": {"comment": "Plus de suite à donner."},
            "reassign": {"offer_id": self.other_offer.id},
            "expire": {},
        }
        return payloads[trigger]


HARNESS = TransitionHarness("referral", "referrals", "/api/referrals", {"referrals": Referral})


def actor(user: User | None) -> Actor:
    """The domain actor of ``user``, or relais itself."""
    return Actor.system() if user is None else actor_of(user)


async def fire(
    sessionmaker: async_sessionmaker[AsyncSession],
    cast: Cast,
    referral_id: int,
    trigger: str,
    now: datetime,
) -> Actor:
    """Fire ``trigger`` through the engine as the first side the table names for it."""
    who = actor(cast.user(TABLE[trigger][2][0]))
    async with sessionmaker() as session:
        await engine.fire(session, REFERRAL, referral_id, trigger, who, cast.payload(trigger), now)
    return who


async def drive_to(
    sessionmaker: async_sessionmaker[AsyncSession], cast: Cast, state: str, now: datetime
) -> int:
    """A new referral, written as a draft and moved into ``state`` along PATHS."""
    async with sessionmaker() as session:
        view = await create_referral(
            session,
            actor_of(cast.world.referrer),
            referral_create(cast.world.offer, submit=False),
            now,
        )
        await session.commit()
    for trigger in PATHS[state]:
        await fire(sessionmaker, cast, view.case.id, trigger, now)
    return int(view.case.id)


@pytest.fixture
async def cast(world: World, session: AsyncSession, clock: FixedClock) -> Cast:
    other_offer = await make_offer(session, world.outsider, clock.now(), title="Premières Heures")
    return Cast(world, other_offer)


def test_states_match_design() -> None:
    assert set(REFERRAL.states) == set(STATES)
    assert len(REFERRAL.states) == len(STATES)
    assert REFERRAL.initial == "draft"


def test_transition_table_matches_design() -> None:
    assert declared_table(REFERRAL) == design_table(TABLE)
    assert REFERRAL.triggers == TRIGGERS
    assert len(REFERRAL.transitions) == len(TABLE)
    assert REFERRAL.human_triggers == HUMAN_TRIGGERS


@pytest.mark.parametrize("state", STATES)
def test_machine_accepts_exactly_the_table(state: str) -> None:
    assert set(REFERRAL.triggers_from(state)) == triggers_from(TABLE, state)


def test_timers_match_design() -> None:
    declared = {
        state: {(spec.kind.value, spec.business_days, spec.target) for spec in specs}
        for state, specs in REFERRAL.timers.items()
    }
    assert declared == {
        "submitted": {
            ("reminder", 3, "receiver"),
            ("escalation", 5, "coordinators"),
            ("trigger", 20, "expire"),
        },
        "returned": {("reminder", 5, "referrer"), ("escalation", 10, "coordinators")},
        "accepted": {("reminder", 10, "receiver"), ("escalation", 15, "coordinators")},
        "in_progress": {("reminder", 60, "receiver"), ("escalation", 70, "coordinators")},
        "expired": {("reminder", 5, "referrer"), ("escalation", 10, "coordinators")},
    }


@every_state_and_trigger(STATES, TRIGGERS)
async def test_trigger_from_state(
    state: str,
    trigger: str,
    cast: Cast,
    sessionmaker: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    sources, dest, who = TABLE[trigger]
    allowed = state in sources
    assert (trigger in REFERRAL.triggers_from(state)) is allowed

    referral_id = await drive_to(sessionmaker, cast, state, clock.now())
    before = await HARNESS.snapshot_in(sessionmaker, referral_id, state)

    if allowed:
        await _assert_allowed(sessionmaker, cast, referral_id, state, trigger, dest, before, clock)
        return

    await HARNESS.assert_refused(
        sessionmaker,
        client,
        before,
        referral_id,
        state,
        trigger,
        fire=lambda: fire(sessionmaker, cast, referral_id, trigger, clock.now()),
        allowed=expected_allowed(TABLE, state, who[0]),
        user=cast.user(who[0]),
        payload=cast.payload(trigger),
    )


async def _assert_allowed(
    sessionmaker: async_sessionmaker[AsyncSession],
    cast: Cast,
    referral_id: int,
    state: str,
    trigger: str,
    dest: str,
    before: Snapshot,
    clock: FixedClock,
) -> None:
    who = await fire(sessionmaker, cast, referral_id, trigger, clock.now())
    after, event = await HARNESS.assert_moved(
        sessionmaker, before, referral_id, state, trigger, dest, clock.now()
    )
    assert (event["actor_id"], event["organisation_id"]) == (who.user_id, who.organisation_id)
    # The event records the trigger's fields as validated: those given, and the defaults
    # that say something (a resubmission without health data attested says so).
    fields = REFERRAL.transition(trigger).payload.model_validate(cast.payload(trigger))
    assert set(event["payload"]) == set(fields.model_dump(exclude_none=True))

    # The timers left open are exactly those of the new state.
    open_timers = HARNESS.open_timers(after, referral_id)
    assert {timer["state"] for timer in open_timers} <= {dest}
    assert {timer["kind"].value for timer in open_timers} == TIMER_KINDS.get(dest, set())
    assert len(open_timers) == len(TIMER_KINDS.get(dest, set()))
