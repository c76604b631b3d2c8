"""Every trigger of the action plan lifecycle tried from every state, and its rules.

The table below is the lifecycle written out literally (issue 16): the declaration must match
it, and the parametrized test tries each of the 5 triggers from each of the 5 states, fired as
the secretariat (relais itself for ``supersede``). A plan is drafted ten days before T0 from an
approved decision of the comité technique, submitted the day after, validated two days before
T0 at a comité de pilotage meeting held three days before T0, and revised the day before T0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import DecisionKind, PlanAxis, Role
from core.models import ActionPlan, ActionPlanItem, User
from services import action_plan_service, decision_service
from services.governance_inputs import ActionPlanItemCreate
from states import engine
from states.action_plan import ACTION_PLAN
from states.actor import Actor
from states.decision import DECISION
from tests.factories import World, actor_of, auth_headers, make_committee, make_meeting, make_user
from tests.states.transition_harness import (
    TransitionHarness,
    declared_table,
    every_state_and_trigger,
    expected_allowed,
    triggers_from,
)

Sessions = async_sessionmaker[AsyncSession]
PLAN_STATES = ("draft", "submitted", "validated", "under_revision", "superseded")
PLAN_TABLE: dict[str, tuple[frozenset[str], str, frozenset[str]]] = {
    "submit": (frozenset({"draft"}), "submitted", frozenset({"coordination", "secretariat"})),
    "return_for_revision": (frozenset({"submitted"}), "draft", frozenset({"secretariat"})),
    "validate": (frozenset({"submitted"}), "validated", frozenset({"secretariat"})),
    "revise": (frozenset({"validated"}), "under_revision", frozenset({"secretariat"})),
    "supersede": (frozenset({"under_revision"}), "superseded", frozenset({"system"})),
}
PLAN_TIMERS = {
    "draft": {("reminder", 20, "coordination"), ("escalation", 30, "coordinators")},
    "submitted": {("reminder", 20, "secretariat"), ("escalation", 30, "coordinators")},
}
PLANS = TransitionHarness(
    "action_plan",
    "plans",
    "/api/action-plans",
    {"plans": ActionPlan, "items": ActionPlanItem},
)


@dataclass
class PlanCast:
    """A secretary, an approved decision of the comité technique, comité de pilotage
    meetings three days before T0 and a week after it."""

    world: World
    secretary: User
    decision_id: int
    past_pilotage: int
    next_pilotage: int
    technique_meeting: int
    technique_id: int

    def payload(self, trigger: str) -> dict[str, Any]:
        """A valid body for ``trigger``."""
        if trigger == "validate":
            return {"meeting_id": self.past_pilotage}
        if trigger in {"return_for_revision", "revise"}:
            return {"reason": "Ajouter une action sur l'axe 4."}
        return {}

    def item(self, **changes: Any) -> ActionPlanItemCreate:
        """A valid item drafted from the approved decision."""
        fields: dict[str, Any] = {
            "title": "Forum de l'emploi des jeunes",
            "sub_axis": PlanAxis.A2_1,
            "lead_organisation_id": self.world.receiver.id,
            "due_on": date(2026, 11, 30),
            "decision_id": self.decision_id,
            "target_indicator": "meetings_held",
            "target_value": 4,
        }
        return ActionPlanItemCreate.model_validate({**fields, **changes})


async def _approved_decision(
    sessionmaker: Sessions,
    world: World,
    secretary: User,
    committee_id: int,
    meeting: int,
    t0: datetime,
) -> int:
    async with sessionmaker() as session:
        view = await decision_service.propose_decision(
            session,
            actor_of(world.referrer),
            committee_id=committee_id,
            title="Forum de l'emploi",
            description="Organiser un forum commun.",
            kind=DecisionKind.ACTION_PLAN,
            axis=PlanAxis.A2_1,
            now=t0 - timedelta(days=30),
        )
    for trigger, days, payload in (("schedule", 29, {"meeting_id": meeting}), ("approve", 19, {})):
        async with sessionmaker() as session:
            await engine.fire(
                session,
                DECISION,
                view.case.id,
                trigger,
                actor_of(secretary),
                payload,
                t0 - timedelta(days=days),
            )
    return int(view.case.id)


@pytest.fixture
async def cast(
    world: World, session: AsyncSession, sessionmaker: Sessions, clock: FixedClock
) -> PlanCast:
    t0 = clock.now()
    secretary = await make_user(session, world.coordination, t0, role=Role.SECRETARY)
    technique = await make_committee(session, t0, name="Comité technique")
    pilotage = await make_committee(session, t0, name="Comité de pilotage", kind="pilotage")
    held = await make_meeting(session, technique, t0 - timedelta(days=20), minutes="CR")
    past = await make_meeting(session, pilotage, t0 - timedelta(days=3), minutes="CR")
    upcoming = await make_meeting(session, pilotage, t0 + timedelta(days=7))
    decision = await _approved_decision(sessionmaker, world, secretary, technique.id, held.id, t0)
    return PlanCast(world, secretary, decision, past.id, upcoming.id, held.id, technique.id)


async def fire_plan(
    sessionmaker: Sessions,
    cast: PlanCast,
    plan_id: int,
    trigger: str,
    now: datetime,
    user: User | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    """Fire a trigger through the service, as the secretary unless told."""
    async with sessionmaker() as session:
        await action_plan_service.fire_plan(
            session,
            actor_of(user or cast.secretary),
            plan_id,
            trigger,
            cast.payload(trigger) if payload is None else payload,
            now,
        )


async def drive_plan(sessionmaker: Sessions, cast: PlanCast, state: str, t0: datetime) -> int:
    """A plan of 2026 drafted by the coordination ten days before T0, moved into ``state``."""
    coordinator = cast.world.coordinator
    async with sessionmaker() as session:
        view = await action_plan_service.create_plan(
            session, actor_of(coordinator), 2026, t0 - timedelta(days=10)
        )
    plan_id = view.plan.id
    async with sessionmaker() as session:
        await action_plan_service.add_item(
            session, actor_of(coordinator), plan_id, cast.item(), t0 - timedelta(days=10)
        )
    steps = ("submit", "validate", "revise")[
        : PLAN_STATES.index(state) if state != "superseded" else 3
    ]
    days = {"submit": 9, "validate": 2, "revise": 1}
    for trigger in steps:
        who = coordinator if trigger == "submit" else None
        await fire_plan(
            sessionmaker, cast, plan_id, trigger, t0 - timedelta(days=days[trigger]), who
        )
    if state == "superseded":
        revision = await _revision_of(sessionmaker, plan_id)
        for trigger in ("submit", "validate"):
            await fire_plan(sessionmaker, cast, revision, trigger, t0 - timedelta(hours=12))
    return plan_id


async def _revision_of(sessionmaker: Sessions, plan_id: int) -> int:
    """The draft a revision of ``plan_id`` opened."""
    async with sessionmaker() as session:
        found = await session.scalar(select(ActionPlan.id).where(ActionPlan.revises_id == plan_id))
    assert found is not None
    return int(found)


def _timers() -> dict[str, set[tuple[str, int, str]]]:
    return {
        state: {(spec.kind.value, spec.business_days, spec.target) for spec in specs}
        for state, specs in ACTION_PLAN.timers.items()
    }


def test_declaration_matches_the_table() -> None:
    assert ACTION_PLAN.states == PLAN_STATES
    assert ACTION_PLAN.initial == "draft"
    assert declared_table(ACTION_PLAN) == PLAN_TABLE
    assert _timers() == PLAN_TIMERS
    assert ACTION_PLAN.final_states == ("superseded",)
    assert set(ACTION_PLAN.waits_on_nobody) == {"validated", "under_revision"}


@pytest.mark.parametrize("state", PLAN_STATES)
def test_machine_accepts_exactly_the_table(state: str) -> None:
    assert set(ACTION_PLAN.triggers_from(state)) == triggers_from(PLAN_TABLE, state)


@every_state_and_trigger(PLAN_STATES, tuple(PLAN_TABLE))
async def test_trigger_from_state(
    state: str,
    trigger: str,
    cast: PlanCast,
    sessionmaker: Sessions,
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    t0 = clock.now()
    sources, dest, sides = PLAN_TABLE[trigger]
    plan_id = await drive_plan(sessionmaker, cast, state, t0)
    before = await PLANS.snapshot_in(sessionmaker, plan_id, state)
    system = "system" in sides

    async def fire() -> None:
        if not system:
            await fire_plan(sessionmaker, cast, plan_id, trigger, t0)
            return
        async with sessionmaker() as session:
            await engine.fire(session, ACTION_PLAN, plan_id, trigger, Actor.system(), None, t0)

    if state in sources:
        await fire()
        after, _event = await PLANS.assert_moved(
            sessionmaker, before, plan_id, state, trigger, dest, t0
        )
        assert {
            (row["kind"].value, row["target"]) for row in PLANS.open_timers(after, plan_id)
        } == {(kind, target) for kind, _, target in PLAN_TIMERS.get(dest, set())}
        return

    await PLANS.assert_refused(
        sessionmaker,
        client,
        before,
        plan_id,
        state,
        trigger,
        fire=fire,
        allowed=[] if system else expected_allowed(PLAN_TABLE, state, "secretariat"),
        user=None if system else cast.secretary,
        payload=cast.payload(trigger),
    )


async def test_a_revision_keeps_the_plan_of_the_year_until_the_new_one_is_validated(
    cast: PlanCast, sessionmaker: Sessions, client: httpx.AsyncClient, clock: FixedClock
) -> None:
    t0 = clock.now()
    plan_id = await drive_plan(sessionmaker, cast, "under_revision", t0)
    revision = await _revision_of(sessionmaker, plan_id)
    headers = await auth_headers(cast.world.referrer)
    year = (await client.get("/api/action-plans?year=2026", headers=headers)).json()
    assert year["plan_of_the_year"]["id"] == plan_id
    assert year["plan_of_the_year"]["state_label"] == "validé, en cours de révision"
    assert year["in_preparation"]["id"] == revision
    assert [item["title"] for item in year["in_preparation"]["items"]] == [
        "Forum de l'emploi des jeunes"
    ]
    for trigger in ("submit", "validate"):
        await fire_plan(sessionmaker, cast, revision, trigger, t0)
    async with sessionmaker() as session:
        current = await action_plan_service.plan_of_the_year(session, 2026)
        previous = await session.get_one(ActionPlan, plan_id)
    assert current is not None
    assert (current.plan.id, current.plan.validation_meeting_id) == (revision, cast.past_pilotage)
    assert current.items[0].target_indicator == "meetings_held"
    assert previous.state == "superseded"
    async with sessionmaker() as session:
        assert await action_plan_service.plan_of_the_year(session, 2025) is None


async def test_validation_needs_a_past_meeting_of_the_comite_de_pilotage(
    cast: PlanCast, sessionmaker: Sessions, client: httpx.AsyncClient, clock: FixedClock
) -> None:
    t0 = clock.now()
    plan_id = await drive_plan(sessionmaker, cast, "submitted", t0)
    before = await PLANS.snapshot(sessionmaker)
    headers = await auth_headers(cast.secretary)
    for meeting, message in (
        (cast.next_pilotage, "pas encore eu lieu"),
        (cast.technique_meeting, "n'est pas une réunion du comité de pilotage"),
    ):
        answer = await client.post(
            f"/api/action-plans/{plan_id}/validate", json={"meeting_id": meeting}, headers=headers
        )
        assert answer.status_code == 422, answer.text
        assert message in answer.json()["detail"]
        assert await PLANS.snapshot(sessionmaker) == before
    # The coordination submits, but only the secretariat validates.
    coordinator = await auth_headers(cast.world.coordinator)
    answer = await client.post(
        f"/api/action-plans/{plan_id}/validate", json=cast.payload("validate"), headers=coordinator
    )
    assert answer.status_code == 403, answer.text
    member = await auth_headers(cast.world.referrer)
    answer = await client.post(
        f"/api/action-plans/{plan_id}/return_for_revision",
        json=cast.payload("revise"),
        headers=member,
    )
    assert answer.status_code == 403, answer.text
    assert await PLANS.snapshot(sessionmaker) == before


async def test_items_come_from_approved_decisions_and_change_only_in_draft(
    cast: PlanCast, sessionmaker: Sessions, client: httpx.AsyncClient, clock: FixedClock
) -> None:
    t0 = clock.now()
    headers = await auth_headers(cast.world.coordinator)
    created = await client.post("/api/action-plans", json={"year": 2026}, headers=headers)
    assert created.status_code == 201, created.text
    plan_id = created.json()["id"]
    assert created.json()["reference"].startswith("PA-2026-")
    again = await client.post("/api/action-plans", json={"year": 2026}, headers=headers)
    assert again.status_code == 409, again.text
    empty = await client.post(f"/api/action-plans/{plan_id}/submit", headers=headers)
    assert empty.status_code == 409 and "au moins une action" in empty.json()["detail"]

    async with sessionmaker() as arranging:
        pending = await decision_service.propose_decision(
            arranging,
            actor_of(cast.world.referrer),
            committee_id=cast.technique_id,
            title="En attente",
            description="Pas encore décidée.",
            kind=DecisionKind.ACTION_PLAN,
            axis=PlanAxis.A1_1,
            now=t0,
        )
    item = cast.item().model_dump(mode="json")
    for changes, field in (
        ({"decision_id": pending.case.id}, "decision_id"),
        ({"target_indicator": "inconnu"}, "target_indicator"),
        ({"target_value": None}, "target_value"),
        ({"lead_organisation_id": 999_999}, "lead_organisation_id"),
    ):
        refused = await client.post(
            f"/api/action-plans/{plan_id}/items", json={**item, **changes}, headers=headers
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == field
    added = await client.post(f"/api/action-plans/{plan_id}/items", json=item, headers=headers)
    assert added.status_code == 201, added.text
    [row] = added.json()["items"]
    assert (row["sub_axis"], row["lead_organisation"]["name"], row["target_value"]) == (
        "2.1",
        "EPI Paris Centre",
        4,
    )
    submitted = await client.post(f"/api/action-plans/{plan_id}/submit", headers=headers)
    assert submitted.json()["state"] == "submitted"
    frozen = await client.delete(f"/api/action-plans/{plan_id}/items/{row['id']}", headers=headers)
    assert frozen.status_code == 409, frozen.text
    member = await auth_headers(cast.world.referrer)
    assert (
        await client.post("/api/action-plans", json={"year": 2027}, headers=member)
    ).status_code == 403
