"""The callers and the checks of the decision scenario (``test_decision_scenario.py``): the
minutes of both meetings, the overdue action item and the digest, and the action plan as JSON
and as CSV.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import PlanAxis
from core.models import OutboxMessage
from services.overdue import overdue_cases
from states.registry import LIFECYCLES
from tests.factories import World, actor_of
from workflows.digest import send_digests

PARIS = ZoneInfo("Europe/Paris")
Json = dict[str, Any]


def paris(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """An instant given by its wall-clock time in Paris."""
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


ACTION_PLAN_CSV = [
    [
        "axis",
        "axis_label",
        "decision_reference",
        "decision_title",
        "decided_at",
        "action_reference",
        "action_title",
        "owner",
        "due_on",
        "state",
        "overdue",
    ],
    [
        "1.1",
        PlanAxis.A1_1.label,
        "DC-2026-000002",
        "Observatoire partagé des publics",
        "2026-04-07",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "3.3",
        "Articuler les accompagnements pour un parcours vers l'emploi sans rupture",
        "DC-2026-000001",
        "Fiche de liaison commune",
        "2026-04-07",
        "AC-2026-000001",
        "Diffuser la fiche de liaison aux EPI",
        "EPI Paris Centre",
        "2026-05-15",
        "à faire",
        "oui",
    ],
    [
        "3.3",
        "Articuler les accompagnements pour un parcours vers l'emploi sans rupture",
        "DC-2026-000001",
        "Fiche de liaison commune",
        "2026-04-07",
        "AC-2026-000002",
        "Former les conseillers",
        "Mission locale de Paris",
        "2026-06-30",
        "à faire",
        "non",
    ],
]
"""The 2026 action plan as CSV rows: a header, then one row per decision and action item."""


class Api:
    """The scenario's callers, each with their token."""

    def __init__(self, client: httpx.AsyncClient, headers: dict[str, dict[str, str]]) -> None:
        self.client = client
        self.headers = headers

    async def call(self, who: str, method: str, path: str, expected: int, body: Any = None) -> Any:
        """Send a request as ``who`` and check its status; the JSON answer."""
        answer = await self.client.request(method, path, json=body, headers=self.headers[who])
        assert answer.status_code == expected, answer.text
        return answer.json()


async def check_minutes(
    client: httpx.AsyncClient, headers: dict[str, str], first_id: int, second_id: int
) -> None:
    """The minutes of both meetings record the adjournment, the decisions and the actions."""
    first = (await client.get(f"/api/meetings/{first_id}/minutes.html", headers=headers)).text
    assert "DC-2026-000001 – Fiche de liaison commune" in first
    assert "Ajournée" in first and "Chiffrage à compléter." in first
    assert "AC-2026-000001" not in first
    second = (await client.get(f"/api/meetings/{second_id}/minutes.html", headers=headers)).text
    for text in (
        "Adoptée",
        "publiée",
        "Adoptée à l&#39;unanimité.",
        "Rejetée",
        "DC-2026-000003 – Forum annuel",
        "AC-2026-000001 – Diffuser la fiche de liaison aux EPI",
        "AC-2026-000002 – Former les conseillers",
        "vendredi 15 mai 2026",
        "Relevé.",
    ):
        assert text in second, text


async def check_overdue(
    api: Api,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    world: World,
    spread: dict[str, Any],
) -> None:
    """Past its escalation time the undone action item is overdue and in the digest."""
    # Due Friday 15 May; five business days later is Friday 22 May, 00:00 in Paris.
    clock.set(paris(2026, 5, 21, 23, 59))
    seen = await api.call("coordinator", "GET", "/api/overdue", 200)
    assert seen["total"] == 0, seen
    assert (await api.call("coordinator", "GET", "/api/actions?overdue=true", 200))["items"] == []

    clock.set(paris(2026, 5, 22, 8, 0))
    overdue = await api.call("coordinator", "GET", "/api/overdue", 200)
    assert overdue["total"] == 1
    (group,) = overdue["groups"]
    assert group["organisation"] == "EPI Paris Centre"
    (case,) = group["cases"]
    assert (case["lifecycle"], case["reference"]) == ("action", "AC-2026-000001")
    assert case["escalation_at"] == "2026-05-21T22:00:00Z"
    listed = await api.call("epi", "GET", "/api/actions?overdue=true", 200)
    assert [item["id"] for item in listed["items"]] == [spread["id"]]
    async with sessionmaker() as session:
        found = await overdue_cases(
            session, list(LIFECYCLES.values()), actor_of(world.coordinator), clock.now()
        )
    assert [(item.lifecycle, item.case_id) for item in found] == [("action", spread["id"])]

    report = await send_digests(sessionmaker, LIFECYCLES, clock.now())
    assert any(line.startswith(world.coordinator.email) for line in report.sent)
    async with sessionmaker() as session:
        digest = (
            await session.execute(
                select(OutboxMessage).where(
                    OutboxMessage.message == "digest",
                    OutboxMessage.recipient_email == world.coordinator.email,
                )
            )
        ).scalar_one()
    references = [
        case["reference"] for group in digest.context["groups"] for case in group["cases"]
    ]
    assert references == ["AC-2026-000001"]


async def check_action_plan(
    api: Api,
    spread: dict[str, Any],
    train: dict[str, Any],
    liaison: dict[str, Any],
    observatory: dict[str, Any],
) -> None:
    """The year's action plan lists the approved action plan decisions by axis."""
    plan = await api.call("ml", "GET", "/api/action-plan?year=2026", 200)
    assert plan["year"] == 2026
    assert [axis["axis"] for axis in plan["axes"]] == [axis.value for axis in PlanAxis]
    assert [axis["label"] for axis in plan["axes"]] == [axis.label for axis in PlanAxis]
    by_axis = {axis["axis"]: axis["decisions"] for axis in plan["axes"]}
    assert {axis for axis, decisions in by_axis.items() if decisions} == {"1.1", "3.3"}
    (kept,) = by_axis["3.3"]
    assert (kept["id"], kept["reference"]) == (liaison["id"], "DC-2026-000001")
    assert kept["decided_at"] == "2026-04-07T15:30:00Z"
    assert [
        (action["id"], action["state"], action["overdue"], action["owner_organisation"]["name"])
        for action in kept["actions"]
    ] == [
        (spread["id"], "open", True, "EPI Paris Centre"),
        (train["id"], "open", False, "Mission locale de Paris"),
    ]
    (without,) = by_axis["1.1"]
    assert (without["id"], without["actions"]) == (observatory["id"], [])
    previous = await api.call("ml", "GET", "/api/action-plan?year=2025", 200)
    assert all(axis["decisions"] == [] for axis in previous["axes"])
    assert len(previous["axes"]) == 10


async def check_action_plan_csv(api: Api, client: httpx.AsyncClient) -> None:
    """The same plan as a CSV download, with a BOM and CRLF line ends."""
    answer = await client.get(
        "/api/action-plan?year=2026&format=csv", headers=api.headers["coordinator"]
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="plan-action-2026.csv"'
    assert answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"), newline="")))
    assert b"\r\n" in answer.content
    assert rows == ACTION_PLAN_CSV
