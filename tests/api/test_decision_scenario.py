"""Acceptance point 3 of issue 4, through the API: a decision's whole life and its follow-up.

A Mission locale proposal is scheduled on a comité technique meeting, adjourned there,
rescheduled on the next meeting, approved with two action items and published with the
minutes. One action item is not done by its due date: once its escalation time (due date + 5
business days) has passed it is in the overdue list and the coordinators' digest. The year's
action plan lists the approved action plan decisions by axis, as JSON and as CSV.

The checks of the minutes, the overdue list and the action plan: ``decision_scenario_checks.py``.
"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import Role
from tests.api.decision_scenario_checks import (
    Api,
    Json,
    check_action_plan,
    check_action_plan_csv,
    check_minutes,
    check_overdue,
    paris,
)
from tests.factories import World, auth_headers, make_user


async def test_decision_scenario(
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    api = await _callers(client, session, world, clock)
    committee, first, second = await _committee_and_meetings(api, world)
    liaison, observatory, forum = await _propose_three_decisions(api, committee)
    path = f"/api/decisions/{liaison['id']}"
    await _adjourn_then_reschedule(api, clock, path, first, second, [liaison, observatory, forum])
    spread, train = await _approve_with_two_actions(api, clock, world, path, observatory, forum)
    assert (spread["state"], spread["decision"]["id"]) == ("open", liaison["id"])
    await _publish_with_the_minutes(api, path, second)
    # A decision taken waits on its publication (issue 13): the other two are published too,
    # or they would be overdue with the secretariat ten business days after the meeting.
    for other in (observatory, forum):
        await api.call("secretary", "POST", f"/api/decisions/{other['id']}/publish", 200)

    await check_minutes(client, api.headers["epi"], first["id"], second["id"])
    await check_overdue(api, sessionmaker, clock, world, spread)
    await check_action_plan(api, spread, train, liaison, observatory)
    await check_action_plan_csv(api, client)

    # Done: it leaves the overdue list.
    await api.call("epi", "POST", f"/api/actions/{spread['id']}/done", 200, {"note": "Diffusée."})
    overdue = await api.call("coordinator", "GET", "/api/overdue", 200)
    assert overdue["total"] == 0


async def _callers(
    client: httpx.AsyncClient, session: AsyncSession, world: World, clock: FixedClock
) -> Api:
    """A secretary joins the world; the secretary, both partners and the coordinator sign in."""
    secretary = await make_user(session, world.coordination, clock.now(), role=Role.SECRETARY)
    return Api(
        client,
        {
            "secretary": await auth_headers(secretary),
            "ml": await auth_headers(world.referrer),
            "epi": await auth_headers(world.receiver_member),
            "coordinator": await auth_headers(world.coordinator),
        },
    )


async def _committee_and_meetings(api: Api, world: World) -> tuple[Json, Json, Json]:
    """The secretary creates the comité technique and its March and April meetings."""
    committee = await api.call(
        "secretary",
        "POST",
        "/api/committees",
        201,
        {
            "name": "Comité technique du PPIE",
            "kind": "technique",
            "member_organisation_ids": [world.sender.id, world.receiver.id, world.coordination.id],
        },
    )
    first = await api.call(
        "secretary",
        "POST",
        "/api/meetings",
        201,
        {
            "committee_id": committee["id"],
            "starts_at": "2026-03-10T14:00:00+01:00",
            "place": "EPEC, 5 rue de Lobau",
            "agenda": "1. Fiche de liaison commune",
        },
    )
    second = await api.call(
        "secretary",
        "POST",
        "/api/meetings",
        201,
        {
            "committee_id": committee["id"],
            "starts_at": "2026-04-07T14:00:00+02:00",
            "place": "Hôtel de Ville",
            "agenda": "1. Fiche de liaison commune\n2. Observatoire\n3. Forum",
        },
    )
    return committee, first, second


async def _propose_three_decisions(api: Api, committee: Json) -> tuple[Json, Json, Json]:
    """The Mission locale proposes the liaison form, the EPI an observatory and a forum."""

    def proposal(title: str, axis: str) -> dict[str, Any]:
        return {
            "committee_id": committee["id"],
            "title": title,
            "description": f"{title} : proposition détaillée.",
            "kind": "action_plan",
            "axis": axis,
        }

    liaison = await api.call(
        "ml", "POST", "/api/decisions", 201, proposal("Fiche de liaison commune", "3.3")
    )
    observatory = await api.call(
        "epi", "POST", "/api/decisions", 201, proposal("Observatoire partagé des publics", "1.1")
    )
    forum = await api.call("epi", "POST", "/api/decisions", 201, proposal("Forum annuel", "2.1"))
    assert liaison["reference"] == "DC-2026-000001"
    return liaison, observatory, forum


async def _adjourn_then_reschedule(
    api: Api, clock: FixedClock, path: str, first: Json, second: Json, items: list[Json]
) -> None:
    """The liaison form is adjourned at the first meeting; all three go on the second."""
    # Scheduled on the first meeting; nothing can be recorded before it is held.
    scheduled = await api.call(
        "secretary", "POST", f"{path}/schedule", 200, {"meeting_id": first["id"]}
    )
    assert (scheduled["state"], scheduled["meeting"]["id"]) == ("scheduled", first["id"])
    assert scheduled["meeting_at"] == "2026-03-10T13:00:00Z"
    await api.call("secretary", "POST", f"{path}/approve", 409, {})

    # The first meeting adjourns it.
    clock.set(paris(2026, 3, 10, 17, 0))
    adjourned = await api.call(
        "secretary", "POST", f"{path}/adjourn", 200, {"decision_text": "Chiffrage à compléter."}
    )
    assert (adjourned["state"], adjourned["meeting"]) == ("adjourned", None)
    assert adjourned["allowed_actions"] == ["schedule"]
    await api.call(
        "secretary", "PATCH", f"/api/meetings/{first['id']}", 200, {"minutes": "Ajourné."}
    )
    # Not back on a meeting already held, but on the next one.
    await api.call("secretary", "POST", f"{path}/schedule", 422, {"meeting_id": first["id"]})
    for item in items:
        await api.call(
            "secretary",
            "POST",
            f"/api/decisions/{item['id']}/schedule",
            200,
            {"meeting_id": second["id"]},
        )


async def _approve_with_two_actions(
    api: Api, clock: FixedClock, world: World, path: str, observatory: Json, forum: Json
) -> tuple[Json, Json]:
    """The second meeting approves the liaison form and the observatory, rejects the forum
    (which then takes no action item) and gives the liaison form two action items."""
    clock.set(paris(2026, 4, 7, 17, 30))
    approved = await api.call(
        "secretary", "POST", f"{path}/approve", 200, {"decision_text": "Adoptée à l'unanimité."}
    )
    assert approved["outcome"] == "approved"
    assert approved["decided_at"] == "2026-04-07T15:30:00Z"
    await api.call("secretary", "POST", f"/api/decisions/{observatory['id']}/approve", 200, {})
    await api.call("secretary", "POST", f"/api/decisions/{forum['id']}/reject", 200, {})
    await api.call(
        "secretary",
        "POST",
        f"/api/decisions/{forum['id']}/actions",
        409,
        {"owner_organisation_id": world.receiver.id, "title": "Rien", "due_on": "2026-06-01"},
    )
    spread = await api.call(
        "secretary",
        "POST",
        f"{path}/actions",
        201,
        {
            "owner_organisation_id": world.receiver.id,
            "title": "Diffuser la fiche de liaison aux EPI",
            "due_on": "2026-05-15",
        },
    )
    train = await api.call(
        "secretary",
        "POST",
        f"{path}/actions",
        201,
        {
            "owner_organisation_id": world.sender.id,
            "title": "Former les conseillers",
            "due_on": "2026-06-30",
        },
    )
    assert (spread["reference"], train["reference"]) == ("AC-2026-000001", "AC-2026-000002")
    assert spread["due_at"] == "2026-05-14T22:00:00Z"
    return spread, train


async def _publish_with_the_minutes(api: Api, path: str, second: Json) -> None:
    """Published with the minutes of the second meeting, which must exist first."""
    await api.call("secretary", "POST", f"{path}/publish", 409)
    await api.call(
        "secretary", "PATCH", f"/api/meetings/{second['id']}", 200, {"minutes": "Relevé."}
    )
    published = await api.call("secretary", "POST", f"{path}/publish", 200)
    assert (published["state"], published["outcome"]) == ("published", "approved")
    assert [event["trigger"] for event in published["events"]] == [
        "propose",
        "schedule",
        "adjourn",
        "schedule",
        "approve",
        "publish",
    ]
