"""Committees and meetings: who manages them, what they accept, how meetings change.

Committees and meetings carry no personal data: every authenticated user reads them. The
secretariat or a platform admin manages committees; only the secretariat plans meetings and
writes their agenda (before they start) and minutes (once they have started).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import TimerStatus
from core.models import Timer
from tests.api.governance_cast import CALLERS, Cast, make_cast, new_decision
from tests.factories import World


@pytest.fixture
async def cast(world: World, session: AsyncSession, clock: FixedClock) -> Cast:
    return await make_cast(world, session, clock.now())


COMMITTEE_MATRIX: dict[str, tuple[int, ...]] = {
    "POST /api/committees": (201, 403, 403, 403, 201, 401),
    "GET /api/committees": (200, 200, 200, 200, 200, 401),
    "GET /api/committees/{id}": (200, 200, 200, 200, 200, 401),
    "POST /api/committees/{id}/members": (200, 403, 403, 403, 200, 401),
    "DELETE /api/committees/{id}/members/{org}": (200, 403, 403, 403, 200, 401),
    "POST /api/meetings": (201, 403, 403, 403, 403, 401),
    "GET /api/meetings": (200, 200, 200, 200, 200, 401),
    "GET /api/meetings/{id}": (200, 200, 200, 200, 200, 401),
    "PATCH /api/meetings/{id}": (200, 403, 403, 403, 403, 401),
    "GET /api/meetings/{id}/agenda.ics": (200, 200, 200, 200, 200, 401),
    "GET /api/meetings/{id}/minutes.html": (200, 200, 200, 200, 200, 401),
}


@pytest.mark.parametrize(
    ("route", "caller"),
    [(route, caller) for route in COMMITTEE_MATRIX for caller in CALLERS],
    ids=[f"{route}-{caller}" for route in COMMITTEE_MATRIX for caller in CALLERS],
)
async def test_committee_and_meeting_matrix(
    route: str, caller: str, cast: Cast, client: httpx.AsyncClient
) -> None:
    method, path = route.split(" ")
    path = path.replace(
        "{id}", str(cast.committee_id if "committees" in path else cast.next_meeting_id)
    ).replace("{org}", str(cast.world.receiver.id))
    bodies: dict[str, dict[str, Any]] = {
        "POST /api/committees": {
            "name": f"Groupe projet {caller}",
            "kind": "projet",
            "member_organisation_ids": [cast.world.sender.id],
            "lead_organisation_id": cast.world.sender.id,
            "mandate": "Préparer le forum de l'emploi",
            "ends_on": "2026-12-18",
        },
        "POST /api/committees/{id}/members": {"organisation_id": cast.world.outsider.id},
        "POST /api/meetings": {
            "committee_id": cast.committee_id,
            "starts_at": "2026-06-02T14:00:00+02:00",
            "place": "Hôtel de Ville",
            "agenda": "Bilan du semestre",
        },
        "PATCH /api/meetings/{id}": {"agenda": "1. Bilan\n2. Programmation"},
    }
    answer = await client.request(
        method, path, json=bodies.get(route), headers=await cast.headers(caller)
    )
    assert answer.status_code == COMMITTEE_MATRIX[route][CALLERS.index(caller)], answer.text


async def test_committee_lifecycle(cast: Cast, client: httpx.AsyncClient) -> None:
    headers = await cast.headers("secretary")
    world = cast.world
    created = await client.post(
        "/api/committees",
        json={
            "name": "Comité de pilotage",
            "kind": "pilotage",
            "member_organisation_ids": [world.receiver.id, world.sender.id, world.sender.id],
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["kind"], body["territory"]) == ("pilotage", "paris")
    assert [member["name"] for member in body["members"]] == [
        "EPI Paris Centre",
        "Mission locale de Paris",
    ]
    committee_id = body["id"]
    duplicate = await client.post(
        "/api/committees", json={"name": "COMITÉ DE PILOTAGE", "kind": "pilotage"}, headers=headers
    )
    assert duplicate.status_code == 409, duplicate.text
    unknown = await client.post(
        "/api/committees",
        json={"name": "Groupe X", "kind": "projet", "member_organisation_ids": [999999]},
        headers=headers,
    )
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["errors"][0]["field"] == "member_organisation_ids"

    path = f"/api/committees/{committee_id}/members"
    added = await client.post(path, json={"organisation_id": world.outsider.id}, headers=headers)
    assert added.status_code == 200, added.text
    assert len(added.json()["members"]) == 3
    again = await client.post(path, json={"organisation_id": world.outsider.id}, headers=headers)
    assert again.status_code == 409, again.text
    removed = await client.delete(f"{path}/{world.sender.id}", headers=headers)
    assert removed.status_code == 200, removed.text
    assert [member["name"] for member in removed.json()["members"]] == [
        "CAF de Paris",
        "EPI Paris Centre",
    ]
    gone = await client.delete(f"{path}/{world.sender.id}", headers=headers)
    assert gone.status_code == 404, gone.text

    listed = await client.get("/api/committees?kind=pilotage", headers=headers)
    assert [item["name"] for item in listed.json()] == ["Comité de pilotage"]
    assert (await client.get("/api/committees/999999", headers=headers)).status_code == 404


async def test_meeting_changes_follow_its_start(
    cast: Cast,
    sessionmaker: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    headers = await cast.headers("secretary")
    upcoming = f"/api/meetings/{cast.next_meeting_id}"
    early = await client.patch(upcoming, json={"minutes": "Trop tôt."}, headers=headers)
    assert early.status_code == 409, early.text
    into_past = await client.patch(
        upcoming, json={"starts_at": "2026-03-01T10:00:00+01:00"}, headers=headers
    )
    assert into_past.status_code == 422, into_past.text

    # An item scheduled on the meeting follows it when it moves, deadlines included.
    decision_id = await new_decision(sessionmaker, cast, "proposed", clock.now())
    scheduled = await client.post(
        f"/api/decisions/{decision_id}/schedule",
        json={"meeting_id": cast.next_meeting_id},
        headers=headers,
    )
    assert scheduled.status_code == 200, scheduled.text
    moved = await client.patch(
        upcoming,
        json={"starts_at": "2026-03-16T14:00:00+01:00", "place": "Salle Lobau"},
        headers=headers,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["starts_at"] == "2026-03-16T13:00:00Z"
    assert moved.json()["ends_at"] == "2026-03-16T15:00:00Z"
    decision = (await client.get(f"/api/decisions/{decision_id}", headers=headers)).json()
    assert decision["meeting_at"] == "2026-03-16T13:00:00Z"
    async with sessionmaker() as session:
        timers = (
            await session.execute(
                select(Timer).where(
                    Timer.case_kind == "decision",
                    Timer.case_id == decision_id,
                    Timer.status == TimerStatus.PENDING,
                )
            )
        ).scalars()
        due = sorted(timer.due_at.isoformat() for timer in timers)
    # Meeting Monday 16 March 14:00: +2 business days and +5 business days.
    assert due == ["2026-03-18T13:00:00+00:00", "2026-03-23T13:00:00+00:00"]

    clock.set(clock.now() + timedelta(days=15))
    late = await client.patch(upcoming, json={"agenda": "Nouveau point"}, headers=headers)
    assert late.status_code == 409, late.text
    minutes = await client.patch(upcoming, json={"minutes": "Séance tenue."}, headers=headers)
    assert minutes.status_code == 200, minutes.text
    assert minutes.json()["minutes"] == "Séance tenue."


async def test_meeting_listing_filters(cast: Cast, client: httpx.AsyncClient) -> None:
    headers = await cast.headers("other")
    every = (await client.get("/api/meetings", headers=headers)).json()
    assert [item["id"] for item in every["items"]] == [cast.past_meeting_id, cast.next_meeting_id]
    coming = await client.get("/api/meetings?from=2026-03-02", headers=headers)
    assert [item["id"] for item in coming.json()["items"]] == [cast.next_meeting_id]
    # The past meeting is on Friday 27 February, 09:00 in Paris: "to" includes the whole day.
    before = await client.get("/api/meetings?to=2026-02-26", headers=headers)
    assert before.json()["items"] == []
    upto = await client.get("/api/meetings?to=2026-02-27", headers=headers)
    assert [item["id"] for item in upto.json()["items"]] == [cast.past_meeting_id]
    paged = (await client.get("/api/meetings?limit=1", headers=headers)).json()
    assert paged["next_cursor"] == cast.past_meeting_id
    rest = await client.get(f"/api/meetings?limit=1&cursor={paged['next_cursor']}", headers=headers)
    assert [item["id"] for item in rest.json()["items"]] == [cast.next_meeting_id]
    other = await client.get(f"/api/meetings?committee_id={cast.committee_id + 1}", headers=headers)
    assert other.json()["items"] == []


async def test_an_unknown_meeting_cursor_answers_404(cast: Cast, client: httpx.AsyncClient) -> None:
    """A cursor names the last meeting of the previous page: none has this one's number."""
    headers = await cast.headers("other")
    unknown = cast.next_meeting_id + 1000
    answer = await client.get(f"/api/meetings?cursor={unknown}", headers=headers)
    assert answer.status_code == 404, answer.text
    assert answer.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/committees", {"name": "Comité\x00", "kind": "projet"}),
        ("POST", "/api/committees", {"name": "x" * 201, "kind": "projet"}),
        ("POST", "/api/committees", {"name": "Comité", "kind": "inconnu"}),
        ("GET", "/api/committees/2147483648", None),
        ("GET", "/api/meetings?from=9999-12-31", None),
        ("GET", "/api/decisions?year=1999", None),
        ("GET", "/api/decisions?state=inconnu", None),
        ("GET", "/api/action-plan?year=2026&format=xml", None),
        ("GET", "/api/action-plan", None),
        ("POST", "/api/meetings", {"committee_id": 1, "starts_at": "2026-06-02T14:00:00"}),
        ("PATCH", "/api/meetings/1", {"minutes": "\x00"}),
        ("POST", "/api/decisions/1/actions", {"owner_organisation_id": 1, "title": "t"}),
    ],
)
async def test_bad_input_answers_422(
    method: str, path: str, body: dict[str, Any] | None, cast: Cast, client: httpx.AsyncClient
) -> None:
    answer = await client.request(method, path, json=body, headers=await cast.headers("secretary"))
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "invalid_input"
