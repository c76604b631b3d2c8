"""``GET /api/overdue`` a page at a time: ``limit`` (1 to 100, 50 by default) and the
``cursor`` of the previous page, oldest first in a stable order, at the page's boundary.

Referrals submitted at 09:00 on Monday 2 March are overdue from 09:00 on the 9th; those
submitted together are overdue at the same moment and follow each other by id.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from core.clock import FixedClock
from core.db import MAX_ID
from core.settings import Settings
from relais.app import create_app
from services.overdue_pages import CURSOR_EXAMPLE, CURSOR_PATTERN, OverdueKey
from tests.api.supervision_helpers import Sessions, paris, submit
from tests.factories import SECRET, World, auth_headers

LIMIT = 3


async def page(
    client: httpx.AsyncClient, headers: dict[str, str], query: str = ""
) -> dict[str, Any]:
    """One page of the overdue list."""
    answer = await client.get(f"/api/overdue{query}", headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def case_ids(body: dict[str, Any]) -> list[int]:
    """The ids of the page's cases, in the answer's order."""
    return [case["case_id"] for group in body["groups"] for case in group["cases"]]


async def late_referrals(sessionmaker: Sessions, world: World, count: int) -> list[int]:
    """``count`` referrals overdue on 9 March at 09:00, oldest first (by id)."""
    return [await submit(sessionmaker, world, world.offer, paris(2, 9)) for _ in range(count)]


@pytest.mark.parametrize("count", [LIMIT, LIMIT + 1])
async def test_a_page_ends_the_list_only_when_nothing_follows(
    client: httpx.AsyncClient,
    world: World,
    sessionmaker: Sessions,
    clock: FixedClock,
    count: int,
) -> None:
    late = await late_referrals(sessionmaker, world, count)
    clock.set(paris(10, 9))
    coordinator = await auth_headers(world.coordinator)

    first = await page(client, coordinator, f"?limit={LIMIT}")
    assert case_ids(first) == late[:LIMIT]
    assert first["total"] == LIMIT
    if count == LIMIT:
        assert first["next_cursor"] is None
        return
    assert first["next_cursor"] is not None
    second = await page(client, coordinator, f"?limit={LIMIT}&cursor={first['next_cursor']}")
    assert (case_ids(second), second["total"], second["next_cursor"]) == (late[LIMIT:], 1, None)


async def test_the_cursor_continues_oldest_first_across_moments_and_ties(
    client: httpx.AsyncClient, world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    # Two at the same moment, then one a day later, then two more at the same moment.
    tied = await late_referrals(sessionmaker, world, 2)
    later = await submit(sessionmaker, world, world.offer, paris(3, 9))
    last = [await submit(sessionmaker, world, world.offer, paris(3, 10)) for _ in range(2)]
    clock.set(paris(12, 9))
    coordinator = await auth_headers(world.coordinator)
    everything = await page(client, coordinator)
    assert case_ids(everything) == [*tied, later, *last]
    assert everything["next_cursor"] is None

    for limit in (1, 2, 3, 4):
        seen: list[int] = []
        cursor = ""
        for _ in range(6):
            body = await page(client, coordinator, f"?limit={limit}{cursor}")
            assert len(case_ids(body)) <= limit
            seen.extend(case_ids(body))
            if body["next_cursor"] is None:
                break
            cursor = f"&cursor={body['next_cursor']}"
        assert seen == case_ids(everything), limit


async def test_the_default_page_holds_fifty(
    client: httpx.AsyncClient, world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    await late_referrals(sessionmaker, world, 51)
    clock.set(paris(10, 9))
    coordinator = await auth_headers(world.coordinator)
    first = await page(client, coordinator)
    assert (first["total"], first["next_cursor"] is not None) == (50, True)
    whole = await page(client, coordinator, "?limit=100")
    assert (whole["total"], whole["next_cursor"]) == (51, None)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?limit=0", "limit"),
        ("?limit=101", "limit"),
        ("?limit=beaucoup", "limit"),
        ("?cursor=", "cursor"),
        ("?cursor=12", "cursor"),
        ("?cursor=1773043200000000-referral-x", "cursor"),
        ("?cursor=1773043200000000-inconnu-12", "cursor"),
        (f"?cursor=1773043200000000-referral-{MAX_ID + 1}", "cursor"),
        ("?cursor=17730432000000000-referral-12", "cursor"),
        ("?cursor=" + "1" * 41, "cursor"),
    ],
)
async def test_bad_paging_answers_422_naming_the_parameter(
    client: httpx.AsyncClient, world: World, query: str, field: str
) -> None:
    answer = await client.get(f"/api/overdue{query}", headers=await auth_headers(world.coordinator))
    assert answer.status_code == 422, answer.text
    assert [error["field"] for error in answer.json()["errors"]] == [field]


@pytest.mark.parametrize("limit", [1, 100])
async def test_the_limit_s_bounds_are_accepted(
    client: httpx.AsyncClient, world: World, limit: int
) -> None:
    coordinator = await auth_headers(world.coordinator)
    body = await page(client, coordinator, f"?limit={limit}&cursor={CURSOR_EXAMPLE}")
    assert body == {"total": 0, "groups": [], "next_cursor": None}


def test_a_cursor_names_its_case_to_the_microsecond() -> None:
    key = OverdueKey(paris(9, 9, 0).replace(microsecond=123456), "action_plan", MAX_ID)
    assert OverdueKey.parse(key.token()) == key
    assert OverdueKey.parse(CURSOR_EXAMPLE).lifecycle == "referral"


def test_the_openapi_document_states_the_paging() -> None:
    openapi = create_app(
        Settings(environment="test", secret_key=SECRET, database_url="sqlite+aiosqlite://")
    ).openapi()
    parameters = {
        parameter["name"]: parameter
        for parameter in openapi["paths"]["/api/overdue"]["get"]["parameters"]
    }
    limit = parameters["limit"]["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 100, 50)
    cursor = parameters["cursor"]
    assert cursor["schema"]["anyOf"][0] == {
        "type": "string",
        "maxLength": 40,
        "pattern": CURSOR_PATTERN,
    }
    assert cursor["schema"]["examples"] == [CURSOR_EXAMPLE]
    answer = openapi["components"]["schemas"]["OverdueRead"]
    assert answer["required"] == ["total", "groups", "next_cursor"]
    assert answer["properties"]["next_cursor"]["examples"] == [CURSOR_EXAMPLE]
    assert "422" in openapi["paths"]["/api/overdue"]["get"]["responses"]
