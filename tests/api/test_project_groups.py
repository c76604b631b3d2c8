"""Project groups through the API: lead partner, mandate and end date, required and edited."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from tests.api.governance_cast import Cast, make_cast
from tests.factories import World


@pytest.fixture
async def cast(world: World, session: AsyncSession, clock: FixedClock) -> Cast:
    return await make_cast(world, session, clock.now())


def group(world: World, **changes: Any) -> dict[str, Any]:
    """A valid project group, changed as asked (a None value leaves the field out)."""
    body: dict[str, Any] = {
        "name": "Groupe projet numérique",
        "kind": "projet",
        "member_organisation_ids": [world.sender.id, world.receiver.id],
        "lead_organisation_id": world.receiver.id,
        "mandate": "Cartographier les lieux d'inclusion numérique",
        "ends_on": "2026-06-30",
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


@pytest.mark.parametrize(
    ("field", "changes", "words"),
    [
        ("lead_organisation_id", {"lead_organisation_id": None}, "structure pilote"),
        ("mandate", {"mandate": None}, "mandat"),
        ("ends_on", {"ends_on": None}, "date de fin"),
        ("lead_organisation_id", {"lead_organisation_id": 999999}, "structure pilote inconnue"),
        ("ends_on", {"kind": "technique"}, "seul un groupe projet"),
        ("mandate", {"mandate": "   "}, ""),
    ],
)
async def test_a_project_group_needs_its_three_fields(
    field: str, changes: dict[str, Any], words: str, cast: Cast, client: httpx.AsyncClient
) -> None:
    body = group(cast.world, **changes)
    if changes.get("kind") == "technique":
        body.pop("lead_organisation_id")
        body.pop("mandate")
    answer = await client.post(
        "/api/committees", json=body, headers=await cast.headers("secretary")
    )
    assert answer.status_code == 422, answer.text
    error = answer.json()
    assert error["errors"][0]["field"] == field
    assert words in error["detail"].lower()


async def test_create_read_and_move_the_end_date(cast: Cast, client: httpx.AsyncClient) -> None:
    headers = await cast.headers("secretary")
    created = await client.post("/api/committees", json=group(cast.world), headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["lead_organisation"] == {"id": cast.world.receiver.id, "name": "EPI Paris Centre"}
    assert (body["mandate"], body["ends_on"]) == (
        "Cartographier les lieux d'inclusion numérique",
        "2026-06-30",
    )
    path = f"/api/committees/{body['id']}/project"
    change = {
        "lead_organisation_id": cast.world.sender.id,
        "mandate": "Un mandat prolongé",
        "ends_on": "2026-09-30",
    }
    member = await client.put(path, json=change, headers=await cast.headers("proposer"))
    assert member.status_code == 403, member.text
    moved = await client.put(path, json=change, headers=headers)
    assert moved.status_code == 200, moved.text
    assert (moved.json()["lead_organisation"]["name"], moved.json()["ends_on"]) == (
        "Mission locale de Paris",
        "2026-09-30",
    )
    read = await client.get(f"/api/committees/{body['id']}", headers=headers)
    assert read.json()["mandate"] == "Un mandat prolongé"
    # A comité technique is not a project group; an unknown committee is not found.
    technique = f"/api/committees/{cast.committee_id}/project"
    assert (await client.put(technique, json=change, headers=headers)).status_code == 409
    assert (
        await client.put("/api/committees/999999/project", json=change, headers=headers)
    ).status_code == 404
    other = (await client.get(f"/api/committees/{cast.committee_id}", headers=headers)).json()
    assert (other["lead_organisation"], other["mandate"], other["ends_on"]) == (None, None, None)


async def test_only_a_project_group_is_closed_by_a_decision(
    cast: Cast, client: httpx.AsyncClient
) -> None:
    secretary = await cast.headers("secretary")
    created = await client.post("/api/committees", json=group(cast.world), headers=secretary)
    closure = {
        "title": "Clôture du groupe projet numérique",
        "description": "Le mandat est rempli : la cartographie est publiée.",
        "kind": "closure",
        "axis": "4.2",
    }
    member = await cast.headers("proposer")
    refused = await client.post(
        "/api/decisions", json={**closure, "committee_id": cast.committee_id}, headers=member
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "kind"
    proposed = await client.post(
        "/api/decisions", json={**closure, "committee_id": created.json()["id"]}, headers=member
    )
    assert proposed.status_code == 201, proposed.text
    assert proposed.json()["kind"] == "closure"
