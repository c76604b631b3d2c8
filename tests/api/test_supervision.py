"""What coordinators watch: ``GET /api/overdue`` and the digest.

Overdue cases are made by letting real time pass on the clock (Paris time, March 2026, no
public holiday): a referral submitted at 09:00 on day D is overdue from 09:00 on D + 5
business days, a returned one 10 business days after its return. The dead letters and their
retry: ``test_supervision_outbox.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import OrganisationKind, Role, Territory
from core.models import Offer, Organisation, OutboxMessage, User
from states import engine
from states.referral import REFERRAL
from states.registry import LIFECYCLES
from tests.api.supervision_helpers import Sessions, paris, submit
from tests.factories import (
    World,
    actor_of,
    auth_headers,
    make_offer,
    make_organisation,
    make_user,
)
from workflows.digest import send_digests

SUBJECT = "« Accompagnement en EPI », de Mission locale de Paris à EPI Paris Centre"


async def overdue(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    """The overdue listing as ``headers``' user sees it."""
    answer = await client.get("/api/overdue", headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def summary(body: dict[str, Any]) -> list[tuple[str, int, list[tuple[int, int]]]]:
    """(organisation, count, [(case id, days overdue)...]) per group, in the answer's order."""
    return [
        (
            group["organisation"],
            group["count"],
            [(case["case_id"], case["days_overdue"]) for case in group["cases"]],
        )
        for group in body["groups"]
    ]


@pytest.fixture
async def territory_11(
    world: World, session: AsyncSession, clock: FixedClock
) -> tuple[Organisation, Offer]:
    """An EPI of the 11th arrondissement, with a member who receives its referrals, and its
    offer, on the 11th's territory."""
    epi = await make_organisation(
        session, clock.now(), name="EPI Paris 11", kind=OrganisationKind.EPI,
        territory=Territory.ARR_11,
    )  # fmt: skip
    await make_user(session, epi, clock.now())
    return epi, await make_offer(session, epi, clock.now(), title="Atelier du 11e")


@dataclass(frozen=True)
class Late:
    """The ids of the four referrals overdue on Tuesday 17 March."""

    first: int
    returned: int
    second: int
    eleventh: int


@dataclass(frozen=True)
class Watchers:
    """Those who look at the overdue list besides the coordinator of all Paris."""

    scoped: User
    admin_11: User
    outsider_admin: User
    secretary: User


async def test_overdue_cases_by_organisation_oldest_first_within_each_scope(
    client: httpx.AsyncClient,
    world: World,
    territory_11: tuple[Organisation, Offer],
    sessionmaker: Sessions,
    session: AsyncSession,
    clock: FixedClock,
) -> None:
    epi_11, offer_11 = territory_11
    late = await _submit_five_referrals(sessionmaker, world, offer_11)
    watchers = await _watchers(session, world, epi_11, clock.now())
    clock.set(paris(17, 9))  # Tuesday 17 March

    everything = await overdue(client, await auth_headers(world.coordinator))
    _check_the_coordinator_sees_everything(everything, late)
    await _check_the_digest_shows_the_same(sessionmaker, world, clock, everything)
    await _check_each_scope(client, world, watchers, late)

    refused = await client.get("/api/overdue", headers=await auth_headers(watchers.secretary))
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    assert (await client.get("/api/overdue")).status_code == 401


async def _submit_five_referrals(sessionmaker: Sessions, world: World, offer_11: Offer) -> Late:
    """Four referrals that will be overdue on 17 March (one of them returned), and one not."""
    first = await submit(sessionmaker, world, world.offer, paris(2, 9))  # overdue 9 March 09:00
    returned = await submit(sessionmaker, world, world.offer, paris(2, 9))
    async with sessionmaker() as work:
        payload = {"reason": "no_capacity", "comment": "Plus de place ce trimestre."}
        actor = actor_of(world.receiver_member)
        await engine.fire(work, REFERRAL, returned, "return", actor, payload, paris(2, 11))
    # Returned on 2 March 11:00: waits on the referrer, overdue 16 March 11:00.
    second = await submit(sessionmaker, world, world.offer, paris(3, 9))  # 10 March 09:00
    eleventh = await submit(sessionmaker, world, offer_11, paris(4, 9))  # 11 March 09:00
    await submit(sessionmaker, world, world.offer, paris(16, 9))  # not overdue until 23 March
    return Late(first, returned, second, eleventh)


async def _watchers(
    session: AsyncSession, world: World, epi_11: Organisation, now: datetime
) -> Watchers:
    """A coordinator of the 11th, the 11th EPI's admin, an outsider admin and a secretary."""
    scoped = await make_user(
        session, world.coordination, now, role=Role.COORDINATOR, scope_territory=Territory.ARR_11
    )
    admin_11 = await make_user(session, epi_11, now, role=Role.ORG_ADMIN)
    outsider_admin = await make_user(session, world.outsider, now, role=Role.ORG_ADMIN)
    secretary = await make_user(session, world.coordination, now, role=Role.SECRETARY)
    return Watchers(scoped, admin_11, outsider_admin, secretary)


def _check_the_coordinator_sees_everything(everything: dict[str, Any], late: Late) -> None:
    """All four, by waiting organisation, oldest first, each line complete."""
    first, returned, second, eleventh = late.first, late.returned, late.second, late.eleventh
    assert everything["total"] == 4
    # Days overdue count the business days after the escalation day, up to today.
    assert summary(everything) == [
        ("EPI Paris Centre", 2, [(first, 6), (second, 5)]),
        ("EPI Paris 11", 1, [(eleventh, 4)]),
        ("Mission locale de Paris", 1, [(returned, 1)]),
    ]
    case = everything["groups"][0]["cases"][0]
    assert datetime.fromisoformat(case.pop("escalation_at")) == paris(9, 9)
    assert case == {
        "lifecycle": "referral",
        "case_id": first,
        "reference": "OR-2026-000001",
        "case_label": "orientation",
        "state": "submitted",
        "state_label": "transmise",
        "subject_line": SUBJECT,
        "path": f"/referrals/{first}",
        "waiting_organisation": "EPI Paris Centre",
        "days_overdue": 6,
    }
    waiting_on_referrer = everything["groups"][2]["cases"][0]
    assert (waiting_on_referrer["state"], waiting_on_referrer["state_label"]) == (
        "returned",
        "retournée",
    )
    assert datetime.fromisoformat(waiting_on_referrer["escalation_at"]) == paris(16, 11)


async def _check_the_digest_shows_the_same(
    sessionmaker: Sessions, world: World, clock: FixedClock, everything: dict[str, Any]
) -> None:
    """The digest of the same morning shows the same cases in the same order."""
    report = await send_digests(sessionmaker, LIFECYCLES, clock.now())
    assert len(report.sent) == 3  # the two coordinators and the 11th's admin
    async with sessionmaker() as reading:
        digest = (
            await reading.execute(
                select(OutboxMessage).where(
                    OutboxMessage.message == "digest",
                    OutboxMessage.recipient_user_id == world.coordinator.id,
                )
            )
        ).scalar_one()
    assert [[line["path"] for line in group["cases"]] for group in digest.context["groups"]] == [
        [case["path"] for case in group["cases"]] for group in everything["groups"]
    ]


async def _check_each_scope(
    client: httpx.AsyncClient, world: World, watchers: Watchers, late: Late
) -> None:
    """Each of the others sees the overdue cases of their scope only."""
    first, returned, second, eleventh = late.first, late.returned, late.second, late.eleventh
    expected = {
        "scoped coordinator": (watchers.scoped, [("EPI Paris 11", 1, [(eleventh, 4)])]),
        "admin of the 11th's EPI": (watchers.admin_11, [("EPI Paris 11", 1, [(eleventh, 4)])]),
        "member of the receiver": (
            world.receiver_member,
            [
                ("EPI Paris Centre", 2, [(first, 6), (second, 5)]),
                ("Mission locale de Paris", 1, [(returned, 1)]),
            ],
        ),
        "admin of an organisation with no case": (watchers.outsider_admin, []),
    }
    for who, (user, groups) in expected.items():
        body = await overdue(client, await auth_headers(user))
        assert summary(body) == groups, who
        assert body["total"] == sum(count for _, count, _ in groups), who


async def test_a_case_is_overdue_from_its_escalation_time_until_it_moves(
    client: httpx.AsyncClient, world: World, sessionmaker: Sessions, clock: FixedClock
) -> None:
    referral_id = await submit(sessionmaker, world, world.offer, paris(2, 9))
    coordinator = await auth_headers(world.coordinator)

    clock.set(paris(9, 8, 59))  # a minute before the escalation time
    assert await overdue(client, coordinator) == {"total": 0, "groups": [], "next_cursor": None}
    clock.set(paris(9, 9))
    body = await overdue(client, coordinator)
    assert summary(body) == [("EPI Paris Centre", 1, [(referral_id, 1)])]

    clock.set(paris(10, 10))
    accepted = await client.post(
        f"/api/referrals/{referral_id}/accept",
        json={},
        headers=await auth_headers(world.receiver_member),
    )
    assert accepted.status_code == 200, accepted.text
    assert await overdue(client, coordinator) == {"total": 0, "groups": [], "next_cursor": None}
