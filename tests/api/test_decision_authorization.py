"""Decision items and action items against every kind of caller (issue 4, acceptance 1).

Decisions and action items are read by the committee's member organisations, the
secretariat, coordinators, the proposer and the action owners; any other organisation and
the platform admin get 404 (issue 12, finding 7). The secretariat schedules and records
decisions and gives approved ones their action items; partners and coordinators propose;
only coordinators bring a referral of their scope to the comité technique; an action item
is done by its owner organisation, the secretariat or a coordinator. Statuses are written
literally, one column per caller.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import CommitteeKind, Role, Territory
from core.models import Committee
from services import referral_service
from tests.api.governance_cast import CALLERS, Cast, make_cast, new_action, new_decision
from tests.factories import World, actor_of, auth_headers, make_user, referral_create


@pytest.fixture
async def cast(world: World, session: AsyncSession, clock: FixedClock) -> Cast:
    return await make_cast(world, session, clock.now())


DECISION_MATRIX: dict[str, tuple[str, tuple[int, ...]]] = {
    "schedule": ("proposed", (200, 403, 404, 403, 404, 401)),
    "approve": ("scheduled", (200, 403, 404, 403, 404, 401)),
    "reject": ("scheduled", (200, 403, 404, 403, 404, 401)),
    "adjourn": ("scheduled", (200, 403, 404, 403, 404, 401)),
    "publish": ("approved", (200, 403, 404, 403, 404, 401)),
    "actions": ("approved", (201, 403, 404, 403, 404, 401)),
    "read": ("proposed", (200, 200, 404, 200, 404, 401)),
    "list": ("proposed", (200, 200, 200, 200, 200, 401)),
}
# Who reads the item, and finds it in the list (the others get an empty one).
READERS = ("secretary", "proposer", "coordinator")
DESTINATION = {
    "schedule": "scheduled",
    "approve": "approved",
    "reject": "rejected",
    "adjourn": "adjourned",
    "publish": "published",
}


@pytest.mark.parametrize(
    ("route", "caller"),
    [(route, caller) for route in DECISION_MATRIX for caller in CALLERS],
    ids=[f"{route}-{caller}" for route in DECISION_MATRIX for caller in CALLERS],
)
async def test_decision_matrix(
    route: str,
    caller: str,
    cast: Cast,
    sessionmaker: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    state, statuses = DECISION_MATRIX[route]
    expected = statuses[CALLERS.index(caller)]
    decision_id = await new_decision(sessionmaker, cast, state, clock.now())
    headers = await cast.headers(caller)
    if route == "read":
        answer = await client.get(f"/api/decisions/{decision_id}", headers=headers)
    elif route == "list":
        answer = await client.get("/api/decisions", headers=headers)
    elif route == "actions":
        answer = await client.post(
            f"/api/decisions/{decision_id}/actions",
            json={
                "owner_organisation_id": cast.world.receiver.id,
                "title": "Préparer le bilan",
                "due_on": "2026-04-30",
            },
            headers=headers,
        )
    else:
        body = {"meeting_id": cast.next_meeting_id} if route == "schedule" else {}
        answer = await client.post(
            f"/api/decisions/{decision_id}/{route}", json=body, headers=headers
        )
    assert answer.status_code == expected, answer.text
    if route == "list" and expected == 200:
        listed = [decision_id] if caller in READERS else []
        assert [item["id"] for item in answer.json()["items"]] == listed
    if route in DESTINATION and expected == 200:
        assert answer.json()["state"] == DESTINATION[route]
    if route == "read" and expected == 200:
        allowed = answer.json()["allowed_actions"]
        assert allowed == (["schedule"] if caller == "secretary" else [])


#                     secretary proposer other coordinator admin anonymous
PROPOSE_STATUSES = (403, 201, 201, 201, 403, 401)


@pytest.mark.parametrize("caller", CALLERS)
async def test_who_proposes(caller: str, cast: Cast, client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/api/decisions",
        json={
            "committee_id": cast.committee_id,
            "title": "Mutualiser les ateliers numériques",
            "description": "Un calendrier commun des ateliers.",
            "kind": "action_plan",
            "axis": "4.2",
        },
        headers=await cast.headers(caller),
    )
    assert answer.status_code == PROPOSE_STATUSES[CALLERS.index(caller)], answer.text
    if answer.status_code == 201:
        body = answer.json()
        user = cast.user(caller)
        assert user is not None
        assert body["proposer_organisation"]["id"] == user.organisation_id
        assert body["state"] == "proposed"
        assert body["reference"].startswith("DC-2026-")
        assert [event["trigger"] for event in body["events"]] == ["propose"]


#                       secretary proposer other coordinator admin anonymous
ACTION_MATRIX: dict[str, tuple[int, ...]] = {
    "done": (200, 200, 404, 200, 404, 401),
    "read": (200, 200, 404, 200, 404, 401),
    "list": (200, 200, 200, 200, 200, 401),
}


@pytest.mark.parametrize(
    ("route", "caller"),
    [(route, caller) for route in ACTION_MATRIX for caller in CALLERS],
    ids=[f"{route}-{caller}" for route in ACTION_MATRIX for caller in CALLERS],
)
async def test_action_matrix(
    route: str,
    caller: str,
    cast: Cast,
    sessionmaker: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    action_id = await new_action(sessionmaker, cast, clock.now())
    headers = await cast.headers(caller)
    if route == "done":
        answer = await client.post(
            f"/api/actions/{action_id}/done", json={"note": "Salle réservée."}, headers=headers
        )
    elif route == "read":
        answer = await client.get(f"/api/actions/{action_id}", headers=headers)
    else:
        answer = await client.get("/api/actions", headers=headers)
    assert answer.status_code == ACTION_MATRIX[route][CALLERS.index(caller)], answer.text
    if route == "done" and answer.status_code == 200:
        assert answer.json()["state"] == "done"
        assert answer.json()["done_note"] == "Salle réservée."
    if route == "list" and answer.status_code == 200:
        listed = [action_id] if caller in READERS else []
        assert [item["id"] for item in answer.json()["items"]] == listed


#                    secretary proposer other coordinator admin anonymous
REVIEW_STATUSES = (403, 403, 403, 201, 403, 401)


@pytest.mark.parametrize("caller", CALLERS)
async def test_who_brings_a_case_to_the_technical_committee(
    caller: str,
    cast: Cast,
    sessionmaker: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    async with sessionmaker() as session:
        referral = await referral_service.create_referral(
            session, actor_of(cast.world.referrer), referral_create(cast.world.offer), clock.now()
        )
    answer = await client.post(
        f"/api/referrals/{referral.case.id}/review", headers=await cast.headers(caller)
    )
    assert answer.status_code == REVIEW_STATUSES[CALLERS.index(caller)], answer.text
    if answer.status_code != 201:
        return
    body = answer.json()
    reference = referral.case.reference
    assert body["kind"] == "case_review"
    assert body["case_reference"] == reference
    assert body["title"] == f"Examen de la situation {reference}"
    assert body["committee"]["id"] == cast.committee_id
    assert body["axis"] == "3.3"
    # The item names the case, never the person.
    for personal in ("Zoé", "Quatremer", "zoe.quatremer", "06 12 34 56 78", "numérique"):
        assert personal not in answer.text
    again = await client.post(
        f"/api/referrals/{referral.case.id}/review", headers=await cast.headers(caller)
    )
    assert again.status_code == 409, again.text


async def test_case_review_needs_scope_and_a_technical_committee(
    cast: Cast,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    async with sessionmaker() as arrange:
        referral = await referral_service.create_referral(
            arrange, actor_of(cast.world.referrer), referral_create(cast.world.offer), clock.now()
        )
    scoped = await make_user(
        session,
        cast.world.coordination,
        clock.now(),
        role=Role.COORDINATOR,
        scope_territory=Territory.ARR_18,
    )
    outside = await client.post(
        f"/api/referrals/{referral.case.id}/review", headers=await auth_headers(scoped)
    )
    assert outside.status_code == 404, outside.text
    missing = await client.post(
        "/api/referrals/999999/review", headers=await cast.headers("coordinator")
    )
    assert missing.status_code == 404, missing.text
    # Without a comité technique, nowhere to bring it.
    async with sessionmaker() as change:
        committee = await change.get_one(Committee, cast.committee_id)
        committee.kind = CommitteeKind.PROJET
        await change.commit()
    none = await client.post(
        f"/api/referrals/{referral.case.id}/review", headers=await cast.headers("coordinator")
    )
    assert none.status_code == 422, none.text
    assert "comité technique" in none.json()["detail"]


#                                  secretary proposer other coordinator admin anonymous
