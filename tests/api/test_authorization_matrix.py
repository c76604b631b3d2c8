"""Acceptance point 3: every referral endpoint against every kind of caller.

The order of checks, for any request about an existing referral, is:

1. authentication: no valid token, 401 (whatever the case);
2. visibility: a caller whose organisation is not party to the case, and who is not a
   coordinator whose scope covers it, gets 404, so that existence does not leak;
3. side: a caller who sees the case but whose side may not fire the trigger gets 403;
4. state: a trigger the machine does not accept in the current state gets 409.

So a third organisation gets 404 even for a trigger that the state would refuse, and the
wrong side gets 403 even in a state where nobody could fire it.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import Outcome, ReturnReason, Role, Territory
from core.models import Offer, Referral, User
from services import referral_service
from states.referral import CompleteFields, ReturnFields
from tests.factories import (
    World,
    actor_of,
    auth_headers,
    make_offer,
    make_organisation,
    make_user,
    referral_create,
    referral_json,
)

CALLERS = ("referrer", "receiver", "outsider", "coordinator", "anonymous")

# trigger: (state the referral is put in, then the status each caller gets, in CALLERS order)
#                           referrer receiver outsider coordinator anonymous
TRIGGER_MATRIX: dict[str, tuple[str, tuple[int, int, int, int, int]]] = {
    "submit": ("draft", (200, 403, 404, 200, 401)),
    "accept": ("submitted", (403, 200, 404, 200, 401)),
    "return": ("submitted", (403, 200, 404, 200, 401)),
    "resubmit": ("returned", (200, 403, 404, 200, 401)),
    "start": ("accepted", (403, 200, 404, 200, 401)),
    "complete": ("accepted", (403, 200, 404, 200, 401)),
    "cancel": ("submitted", (200, 403, 404, 200, 401)),
    "close": ("returned", (200, 403, 404, 200, 401)),
    "reassign": ("submitted", (403, 403, 404, 200, 401)),
}

# The state a successful trigger leads to.
DESTINATION = {
    "submit": "submitted",
    "accept": "accepted",
    "return": "returned",
    "resubmit": "submitted",
    "start": "in_progress",
    "complete": "completed",
    "cancel": "cancelled",
    "close": "closed",
    "reassign": "submitted",
}

#                        referrer receiver outsider coordinator anonymous
READ_MATRIX = {
    "GET /api/referrals/{id}": (200, 200, 404, 200, 401),
    "POST /api/referrals": (201, 201, 201, 201, 401),
}

LISTED, ABSENT = "listed", "absent"
# Whether the submitted case appears in the caller's listing (or the status when refused).
#                 referrer receiver outsider coordinator anonymous
LIST_MATRIX: dict[str | None, tuple[str | int, ...]] = {
    None: (LISTED, LISTED, ABSENT, LISTED, 401),
    "sent": (LISTED, ABSENT, ABSENT, ABSENT, 401),
    "received": (ABSENT, LISTED, ABSENT, ABSENT, 401),
}

# How each referral is brought to the state under test, starting from a draft.
PREPARATION: dict[str, tuple[tuple[str, str], ...]] = {
    "draft": (),
    "submitted": (("referrer", "submit"),),
    "returned": (("referrer", "submit"), ("receiver", "return")),
    "accepted": (("referrer", "submit"), ("receiver", "accept")),
    "completed": (("referrer", "submit"), ("receiver", "accept"), ("receiver", "complete")),
}


@pytest.fixture
async def other_offer(world: World, session: AsyncSession, clock: FixedClock) -> Offer:
    """An offer of a fifth organisation, where a coordinator may redirect a referral."""
    organisation = await make_organisation(session, clock.now(), name="Cap emploi 75")
    return await make_offer(session, organisation, clock.now(), title="Accompagnement RQTH")


def _users(world: World) -> dict[str, User]:
    return {
        "referrer": world.referrer,
        "receiver": world.receiver_member,
        "outsider": world.outsider_member,
        "coordinator": world.coordinator,
    }


async def _headers(world: World, caller: str) -> dict[str, str]:
    if caller == "anonymous":
        return {}
    return await auth_headers(_users(world)[caller])


TRIGGER_BODIES: dict[str, dict[str, Any]] = {
    "return": {"reason": "no_capacity", "comment": "Plus de place ce trimestre."},
    "complete": {"outcome": "employment"},
    "cancel": {"reason": "La personne a trouvé un emploi."},
    "resubmit": {"motive": "Demande complétée"},
}


def _body(trigger: str, other_offer: Offer) -> dict[str, Any]:
    if trigger == "reassign":
        return {"offer_id": other_offer.id}
    return TRIGGER_BODIES.get(trigger, {})


async def _referral_in(
    sessionmaker: async_sessionmaker[AsyncSession],
    world: World,
    clock: FixedClock,
    state: str,
    offer: Offer | None = None,
) -> int:
    """A new referral of the world's referrer, brought to ``state`` through the engine."""
    users = _users(world)
    async with sessionmaker() as session:
        view = await referral_service.create_referral(
            session,
            actor_of(world.referrer),
            referral_create(offer or world.offer, submit=False),
            clock.now(),
        )
        referral_id = int(view.case.id)
        for caller, trigger in PREPARATION[state]:
            fields = {
                "return": ReturnFields(
                    reason=ReturnReason.MISSING_INFORMATION, comment="Coordonnées manquantes"
                ),
                "complete": CompleteFields(outcome=Outcome.TRAINING),
            }.get(trigger)
            await referral_service.fire_referral(
                session, actor_of(users[caller]), referral_id, trigger, fields, clock.now()
            )
        await session.commit()
    return referral_id


async def _state_and_version(
    sessionmaker: async_sessionmaker[AsyncSession], referral_id: int
) -> tuple[str, int]:
    async with sessionmaker() as session:
        row = (
            await session.execute(
                select(Referral.state, Referral.version).where(Referral.id == referral_id)
            )
        ).one()
    return row.state, row.version


@pytest.mark.parametrize("caller_index", range(len(CALLERS)), ids=CALLERS)
@pytest.mark.parametrize("trigger", list(TRIGGER_MATRIX))
async def test_trigger(
    client: httpx.AsyncClient,
    world: World,
    other_offer: Offer,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    trigger: str,
    caller_index: int,
) -> None:
    state, statuses = TRIGGER_MATRIX[trigger]
    expected = statuses[caller_index]
    referral_id = await _referral_in(sessionmaker, world, clock, state)
    before = await _state_and_version(sessionmaker, referral_id)
    assert before[0] == state

    answer = await client.post(
        f"/api/referrals/{referral_id}/{trigger}",
        json=_body(trigger, other_offer),
        headers=await _headers(world, CALLERS[caller_index]),
    )

    assert answer.status_code == expected, answer.text
    after = await _state_and_version(sessionmaker, referral_id)
    if expected == 200:
        assert answer.json()["state"] == DESTINATION[trigger]
        assert after == (DESTINATION[trigger], before[1] + 1)
    else:
        assert after == before
        assert (
            answer.json()["code"]
            == {
                401: "not_authenticated",
                403: "forbidden",
                404: "not_found",
            }[expected]
        )


@pytest.mark.parametrize("caller_index", range(len(CALLERS)), ids=CALLERS)
async def test_read_one(
    client: httpx.AsyncClient,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    caller_index: int,
) -> None:
    referral_id = await _referral_in(sessionmaker, world, clock, "submitted")
    answer = await client.get(
        f"/api/referrals/{referral_id}", headers=await _headers(world, CALLERS[caller_index])
    )
    assert answer.status_code == READ_MATRIX["GET /api/referrals/{id}"][caller_index]
    if answer.status_code == 200:
        assert answer.json()["id"] == referral_id
        assert answer.json()["person"]["last_name"] == "Quatremer"
    else:
        assert "Quatremer" not in answer.text


@pytest.mark.parametrize("caller_index", range(len(CALLERS)), ids=CALLERS)
async def test_create(client: httpx.AsyncClient, world: World, caller_index: int) -> None:
    answer = await client.post(
        "/api/referrals",
        json=referral_json(world.offer),
        headers=await _headers(world, CALLERS[caller_index]),
    )
    assert answer.status_code == READ_MATRIX["POST /api/referrals"][caller_index], answer.text
    if answer.status_code == 201:
        caller = _users(world)[CALLERS[caller_index]]
        assert answer.json()["sender_organisation"]["id"] == caller.organisation_id
        assert answer.json()["state"] == "submitted"


@pytest.mark.parametrize("caller_index", range(len(CALLERS)), ids=CALLERS)
@pytest.mark.parametrize("box", list(LIST_MATRIX), ids=["all", "sent", "received"])
async def test_list(
    client: httpx.AsyncClient,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    box: str | None,
    caller_index: int,
) -> None:
    referral_id = await _referral_in(sessionmaker, world, clock, "submitted")
    expected = LIST_MATRIX[box][caller_index]
    answer = await client.get(
        "/api/referrals",
        params={} if box is None else {"box": box},
        headers=await _headers(world, CALLERS[caller_index]),
    )
    if expected == 401:
        assert answer.status_code == 401
        return
    assert answer.status_code == 200, answer.text
    ids = [item["id"] for item in answer.json()["items"]]
    assert ids == ([referral_id] if expected == LISTED else [])


async def test_order_of_checks(
    client: httpx.AsyncClient,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    """On a completed referral, where nobody may accept: 404, then 403, then 409."""
    referral_id = await _referral_in(sessionmaker, world, clock, "completed")
    url = f"/api/referrals/{referral_id}/accept"
    outsider = await client.post(url, json={}, headers=await _headers(world, "outsider"))
    referrer = await client.post(url, json={}, headers=await _headers(world, "referrer"))
    receiver = await client.post(url, json={}, headers=await _headers(world, "receiver"))
    anonymous = await client.post(url, json={})
    assert [outsider.status_code, referrer.status_code, receiver.status_code] == [404, 403, 409]
    assert anonymous.status_code == 401
    assert receiver.json()["code"] == "transition_not_allowed"
    assert receiver.json()["allowed_actions"] == []
    # A hidden case answers exactly like one that does not exist.
    missing = await client.post(
        "/api/referrals/999999/accept", json={}, headers=await _headers(world, "outsider")
    )
    assert missing.status_code == 404
    assert outsider.json()["code"] == missing.json()["code"] == "not_found"
    assert outsider.json()["detail"].replace(str(referral_id), "N") == missing.json()[
        "detail"
    ].replace("999999", "N")


async def test_allowed_actions_follow_the_side(
    client: httpx.AsyncClient,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    referral_id = await _referral_in(sessionmaker, world, clock, "submitted")
    expected = {
        "referrer": ["cancel"],
        "receiver": ["accept", "return"],
        "coordinator": ["accept", "return", "cancel", "reassign"],
    }
    for caller, actions in expected.items():
        answer = await client.get(
            f"/api/referrals/{referral_id}", headers=await _headers(world, caller)
        )
        assert sorted(answer.json()["allowed_actions"]) == sorted(actions), caller


async def test_coordinator_scoped_elsewhere_sees_nothing(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    """A coordinator of the 11th arrondissement neither sees nor acts on a Paris-wide case."""
    scoped = await make_user(
        session,
        world.coordination,
        clock.now(),
        role=Role.COORDINATOR,
        scope_territory=Territory.ARR_11,
    )
    headers = await auth_headers(scoped)
    referral_id = await _referral_in(sessionmaker, world, clock, "submitted")
    assert (await client.get(f"/api/referrals/{referral_id}", headers=headers)).status_code == 404
    listing = await client.get("/api/referrals", headers=headers)
    assert listing.json()["items"] == []
    for trigger in ("accept", "cancel"):
        answer = await client.post(
            f"/api/referrals/{referral_id}/{trigger}",
            json=_body(trigger, world.offer),
            headers=headers,
        )
        assert answer.status_code == 404
    assert await _state_and_version(sessionmaker, referral_id) == ("submitted", 2)

    # The same coordinator acts on a case of their arrondissement.
    local_offer = await make_offer(session, world.receiver, clock.now(), territory=Territory.ARR_11)
    local_id = await _referral_in(sessionmaker, world, clock, "submitted", offer=local_offer)
    assert (await client.get(f"/api/referrals/{local_id}", headers=headers)).status_code == 200
    accepted = await client.post(f"/api/referrals/{local_id}/accept", json={}, headers=headers)
    assert accepted.status_code == 200
    assert accepted.json()["state"] == "accepted"


@pytest.mark.parametrize("role", [Role.SECRETARY, Role.ADMIN])
async def test_secretary_and_admin_see_no_referral(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    role: Role,
) -> None:
    user = await make_user(session, world.receiver, clock.now(), role=role)
    headers = await auth_headers(user)
    referral_id = await _referral_in(sessionmaker, world, clock, "submitted")
    assert (await client.get(f"/api/referrals/{referral_id}", headers=headers)).status_code == 404
    for box in (None, "sent", "received"):
        listing = await client.get(
            "/api/referrals", params={} if box is None else {"box": box}, headers=headers
        )
        assert listing.status_code == 200
        assert listing.json()["items"] == []
    accept = await client.post(f"/api/referrals/{referral_id}/accept", json={}, headers=headers)
    assert accept.status_code == 404
    created = await client.post("/api/referrals", json=referral_json(world.offer), headers=headers)
    assert created.status_code == 403
    assert await _state_and_version(sessionmaker, referral_id) == ("submitted", 2)


async def test_org_admin_acts_for_its_side(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    manager = await make_user(session, world.receiver, clock.now(), role=Role.ORG_ADMIN)
    headers = await auth_headers(manager)
    referral_id = await _referral_in(sessionmaker, world, clock, "submitted")
    cancel = await client.post(
        f"/api/referrals/{referral_id}/cancel", json={"reason": "Erreur"}, headers=headers
    )
    assert cancel.status_code == 403
    accept = await client.post(f"/api/referrals/{referral_id}/accept", json={}, headers=headers)
    assert accept.status_code == 200


async def test_bad_or_inactive_token_is_anonymous(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    referral_id = await _referral_in(sessionmaker, world, clock, "submitted")
    departed = await make_user(session, world.receiver, clock.now(), is_active=False)
    for headers in ({"Authorization": "Bearer not-a-token"}, await auth_headers(departed)):
        answer = await client.post(f"/api/referrals/{referral_id}/accept", json={}, headers=headers)
        assert answer.status_code == 401
        assert (await client.get("/api/referrals", headers=headers)).status_code == 401
    assert await _state_and_version(sessionmaker, referral_id) == ("submitted", 2)
