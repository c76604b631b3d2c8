"""Acceptance point 3: every referral endpoint against every kind of caller, as matrices.

The order of checks, for any request about an existing referral, is:

1. authentication: no valid token, 401 (whatever the case);
2. visibility: a caller whose organisation is not party to the case, and who is not a
   coordinator whose scope covers it, gets 404, so that existence does not leak;
3. side: a caller who sees the case but whose side may not fire the trigger gets 403;
4. state: a trigger the machine does not accept in the current state gets 409.

So a third organisation gets 404 even for a trigger that the state would refuse, and the
wrong side gets 403 even in a state where nobody could fire it.

The rules behind the matrices, one at a time: ``test_authorization_rules.py``.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import Role
from core.models import Offer
from tests.api.authorization_helpers import (
    CALLERS,
    headers_of,
    referral_in,
    state_and_version,
    trigger_body,
    users_of,
)
from tests.factories import (
    World,
    auth_headers,
    make_offer,
    make_organisation,
    make_user,
    referral_json,
)

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


@pytest.fixture
async def other_offer(world: World, session: AsyncSession, clock: FixedClock) -> Offer:
    """An offer of a fifth organisation, where a coordinator may redirect a referral (a
    member there receives it)."""
    organisation = await make_organisation(session, clock.now(), name="Cap emploi 75")
    await make_user(session, organisation, clock.now())
    return await make_offer(session, organisation, clock.now(), title="Accompagnement RQTH")


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
    referral_id = await referral_in(sessionmaker, world, clock, state)
    before = await state_and_version(sessionmaker, referral_id)
    assert before[0] == state

    answer = await client.post(
        f"/api/referrals/{referral_id}/{trigger}",
        json=trigger_body(trigger, other_offer),
        headers=await headers_of(world, CALLERS[caller_index]),
    )

    assert answer.status_code == expected, answer.text
    after = await state_and_version(sessionmaker, referral_id)
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
    referral_id = await referral_in(sessionmaker, world, clock, "submitted")
    answer = await client.get(
        f"/api/referrals/{referral_id}", headers=await headers_of(world, CALLERS[caller_index])
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
        headers=await headers_of(world, CALLERS[caller_index]),
    )
    assert answer.status_code == READ_MATRIX["POST /api/referrals"][caller_index], answer.text
    if answer.status_code == 201:
        caller = users_of(world)[CALLERS[caller_index]]
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
    referral_id = await referral_in(sessionmaker, world, clock, "submitted")
    expected = LIST_MATRIX[box][caller_index]
    answer = await client.get(
        "/api/referrals",
        params={} if box is None else {"box": box},
        headers=await headers_of(world, CALLERS[caller_index]),
    )
    if expected == 401:
        assert answer.status_code == 401
        return
    assert answer.status_code == 200, answer.text
    ids = [item["id"] for item in answer.json()["items"]]
    assert ids == ([referral_id] if expected == LISTED else [])


async def test_the_dpo_sees_and_acts_on_no_case(
    client: httpx.AsyncClient,
    world: World,
    other_offer: Offer,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    """The DPO reads the access log, not the cases: 404 on a case and its triggers, 403 on a
    new referral, an empty listing; and who consulted the case (``/accesses``)."""
    dpo = await auth_headers(
        await make_user(session, world.coordination, clock.now(), role=Role.DPO)
    )
    referral_id = await referral_in(sessionmaker, world, clock, "submitted")
    before = await state_and_version(sessionmaker, referral_id)
    read = await client.get(f"/api/referrals/{referral_id}", headers=dpo)
    assert read.status_code == 404 and "Quatremer" not in read.text
    for trigger in ("accept", "cancel", "reassign"):
        answer = await client.post(
            f"/api/referrals/{referral_id}/{trigger}",
            json=trigger_body(trigger, other_offer),
            headers=dpo,
        )
        assert answer.status_code == 404, (trigger, answer.text)
    assert await state_and_version(sessionmaker, referral_id) == before
    created = await client.post("/api/referrals", json=referral_json(world.offer), headers=dpo)
    assert created.status_code == 403
    assert (await client.get("/api/referrals", headers=dpo)).json()["items"] == []
    accesses = await client.get(f"/api/referrals/{referral_id}/accesses", headers=dpo)
    assert accesses.status_code == 200 and accesses.json() == []
