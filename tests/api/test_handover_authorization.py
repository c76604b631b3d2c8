"""Issue 4, acceptance 1: every handover and accompaniment endpoint against every caller.

The world: the Mission locale (A) accompanies a person and proposed to hand them over to an
EPI (B). The callers are a member of A, a member of B, a member of a third organisation (the
CAF), a coordinator of all Paris, a coordinator of the 11th arrondissement (the handover is
Paris-wide, outside their scope), a secretary of A's own organisation, the platform admin,
and nobody.

As for referrals: 401 without a valid token, then 404 for whoever may not know the case
exists, then 403 for the wrong side or role. Refusals and bad input (422) change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.db import Base
from core.enums import Role, Territory
from core.models import Accompaniment, Handover, Organisation, User
from services.handover_service import HandoverCreate, propose_handover
from states import engine
from states.handover import HANDOVER
from tests.factories import (
    World,
    accompany_new_person,
    actor_of,
    auth_headers,
    handover_json,
    make_organisation,
    make_user,
)

CALLERS = (
    "referent", "successor", "outsider", "coordinator", "scoped", "secretary", "admin", "anonymous"
)  # fmt: skip

# trigger: (the handover's state, the state it leads to, each caller's status in CALLERS order)
#                                    referent successor outsider coord scoped secr. admin anon
TRIGGER_MATRIX: dict[str, tuple[str, str, tuple[int, ...]]] = {
    "accept": ("proposed", "accepted", (403, 200, 404, 200, 404, 404, 404, 401)),
    "decline": ("proposed", "declined", (403, 200, 404, 200, 404, 404, 404, 401)),
    "withdraw": ("accepted", "withdrawn", (200, 403, 404, 200, 404, 404, 404, 401)),
    "confirm": ("accepted", "completed", (403, 200, 404, 200, 404, 404, 404, 401)),
}
BODIES: dict[str, dict[str, Any]] = {
    "accept": {"first_meeting_at": "2026-03-09T10:00:00+01:00"},
    "decline": {"reason": "Pas de place ce trimestre."},
    "withdraw": {"reason": "La personne reste chez nous."},
    "confirm": {},
}

#                                  referent successor outsider coord scoped secr. admin anon
STATUS_MATRIX = {
    "GET /api/handovers/{id}": (200, 200, 404, 200, 404, 404, 404, 401),
    "GET /api/persons/{id}/accompaniments": (200, 200, 404, 200, 404, 404, 404, 401),
    # A second proposal, to a fifth organisation: only the current référent may make it.
    "POST /api/handovers": (201, 403, 404, 403, 404, 403, 403, 401),
    # Start an accompaniment directly: coordinators only, with a reason (issue 12, finding 9).
    "POST /api/accompaniments (new person)": (403, 403, 403, 201, 201, 403, 403, 401),
    # The person A accompanies: A already does (409); the scoped coordinator cannot see them.
    "POST /api/accompaniments (person_id)": (403, 403, 403, 409, 404, 403, 403, 401),
}

REASON = "Sortie d'hospitalisation : prise en charge décidée par la coordination."
WHY = {"reason": REASON}

ALLOWED_WHEN_PROPOSED = {
    "referent": ["withdraw"],
    "successor": ["accept", "decline"],
    "coordinator": ["accept", "decline", "withdraw"],
}

L, A = "listed", "absent"
# Whether the proposed handover is in the caller's listing (or the status when refused).
#                         referent successor outsider coord scoped secretary admin anonymous
LIST_MATRIX: dict[str | None, tuple[str | int, ...]] = {
    None: (L, L, A, L, A, A, A, 401),
    "sent": (L, A, A, A, A, A, A, 401),
    "received": (A, L, A, A, A, A, A, 401),
}


@dataclass
class Cast:
    """The world, the callers it lacks and a fifth organisation."""

    world: World
    scoped: User
    secretary: User
    fifth: Organisation

    def user(self, caller: str) -> User:
        """The user behind ``caller``."""
        return {
            "referent": self.world.referrer,
            "successor": self.world.receiver_member,
            "outsider": self.world.outsider_member,
            "coordinator": self.world.coordinator,
            "scoped": self.scoped,
            "secretary": self.secretary,
            "admin": self.world.admin,
        }[caller]

    async def headers(self, caller: str) -> dict[str, str]:
        """The caller's credentials (none for ``anonymous``)."""
        return {} if caller == "anonymous" else await auth_headers(self.user(caller))


@dataclass
class Case:
    """The person A accompanies and the handover A proposed for them."""

    person_id: int
    handover_id: int


@pytest.fixture
async def cast(world: World, session: AsyncSession, clock: FixedClock) -> Cast:
    now = clock.now()
    scoped = await make_user(
        session, world.coordination, now, role=Role.COORDINATOR, scope_territory=Territory.ARR_11
    )
    secretary = await make_user(session, world.sender, now, role=Role.SECRETARY)
    fifth = await make_organisation(session, now, name="Cap emploi 75")
    return Cast(world, scoped, secretary, fifth)


async def handover_in(
    sessionmaker: async_sessionmaker[AsyncSession], cast: Cast, clock: FixedClock, state: str
) -> Case:
    """A new person accompanied by A, and A's proposal to B brought to ``state``."""
    world, now = cast.world, clock.now()
    async with sessionmaker() as session:
        person_id = await accompany_new_person(session, world.referrer, now)
        proposal = HandoverCreate(**handover_json(person_id, world.receiver))
        view = await propose_handover(session, actor_of(world.referrer), proposal, now)
        handover_id = int(view.case.id)
        if state == "accepted":  # the meeting is at T0: it may be confirmed at once
            successor, meeting = actor_of(world.receiver_member), {"first_meeting_at": now}
            await engine.fire(session, HANDOVER, handover_id, "accept", successor, meeting, now)
    return Case(person_id, handover_id)


async def database(sessionmaker: async_sessionmaker[AsyncSession], case: Case) -> tuple[Any, ...]:
    """The handover's state and version, the person's accompaniments and every row count."""
    handover = select(Handover.state, Handover.version).where(Handover.id == case.handover_id)
    accompaniments = (
        select(Accompaniment.organisation_id, Accompaniment.ended_at.is_(None))
        .where(Accompaniment.person_id == case.person_id)
        .order_by(Accompaniment.id)
    )
    async with sessionmaker() as session:
        return (
            tuple((await session.execute(handover)).one()),
            [tuple(row) for row in await session.execute(accompaniments)],
            {
                table.name: await session.scalar(select(func.count()).select_from(table))
                for table in Base.metadata.sorted_tables
            },
        )


CODES = {401: "not_authenticated", 403: "forbidden", 404: "not_found", 409: "concurrent_change"}


@pytest.mark.parametrize("caller_index", range(len(CALLERS)), ids=CALLERS)
@pytest.mark.parametrize("trigger", list(TRIGGER_MATRIX))
async def test_trigger(
    client: httpx.AsyncClient,
    cast: Cast,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    trigger: str,
    caller_index: int,
) -> None:
    state, destination, statuses = TRIGGER_MATRIX[trigger]
    case = await handover_in(sessionmaker, cast, clock, state)
    before = await database(sessionmaker, case)
    assert before[0][0] == state

    answer = await client.post(
        f"/api/handovers/{case.handover_id}/{trigger}",
        json=BODIES[trigger],
        headers=await cast.headers(CALLERS[caller_index]),
    )

    assert answer.status_code == statuses[caller_index], answer.text
    after = await database(sessionmaker, case)
    if answer.status_code != 200:
        assert answer.json()["code"] == CODES[answer.status_code]
        assert "Moreau" not in answer.text
        assert after == before
        return
    assert answer.json()["state"] == destination
    assert after[0] == (destination, before[0][1] + 1)
    a, b = cast.world.sender.id, cast.world.receiver.id
    assert after[1] == ([(a, False), (b, True)] if trigger == "confirm" else [(a, True)])


@pytest.mark.parametrize("caller_index", range(len(CALLERS)), ids=CALLERS)
async def test_reads(
    client: httpx.AsyncClient,
    cast: Cast,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    caller_index: int,
) -> None:
    caller = CALLERS[caller_index]
    case = await handover_in(sessionmaker, cast, clock, "proposed")
    headers = await cast.headers(caller)

    one = await client.get(f"/api/handovers/{case.handover_id}", headers=headers)
    assert one.status_code == STATUS_MATRIX["GET /api/handovers/{id}"][caller_index]
    if one.status_code == 200:
        assert one.json()["person"]["last_name"] == "Moreau"
        assert one.json()["allowed_actions"] == ALLOWED_WHEN_PROPOSED[caller]
    else:
        assert "Moreau" not in one.text

    history = await client.get(f"/api/persons/{case.person_id}/accompaniments", headers=headers)
    expected = STATUS_MATRIX["GET /api/persons/{id}/accompaniments"][caller_index]
    assert history.status_code == expected, history.text
    if expected == 200:
        assert [row["organisation_id"] for row in history.json()] == [cast.world.sender.id]


@pytest.mark.parametrize("caller_index", range(len(CALLERS)), ids=CALLERS)
@pytest.mark.parametrize("box", list(LIST_MATRIX), ids=["all", "sent", "received"])
async def test_list(
    client: httpx.AsyncClient,
    cast: Cast,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    box: str | None,
    caller_index: int,
) -> None:
    case = await handover_in(sessionmaker, cast, clock, "proposed")
    expected = LIST_MATRIX[box][caller_index]
    answer = await client.get(
        "/api/handovers",
        params={} if box is None else {"box": box},
        headers=await cast.headers(CALLERS[caller_index]),
    )
    if expected == 401:
        assert answer.status_code == 401
        return
    assert answer.status_code == 200, answer.text
    ids = [item["id"] for item in answer.json()["items"]]
    assert ids == ([case.handover_id] if expected == L else [])


@pytest.mark.parametrize("caller_index", range(len(CALLERS)), ids=CALLERS)
async def test_propose(
    client: httpx.AsyncClient,
    cast: Cast,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    caller_index: int,
) -> None:
    case = await handover_in(sessionmaker, cast, clock, "proposed")
    before = await database(sessionmaker, case)
    answer = await client.post(
        "/api/handovers",
        json=handover_json(case.person_id, cast.fifth),
        headers=await cast.headers(CALLERS[caller_index]),
    )
    expected = STATUS_MATRIX["POST /api/handovers"][caller_index]
    assert answer.status_code == expected, answer.text
    after = await database(sessionmaker, case)
    if expected != 201:
        assert answer.json()["code"] == CODES[expected]
        assert after == before
        return
    assert answer.json()["from_organisation"]["id"] == cast.world.sender.id
    assert answer.json()["to_organisation"]["id"] == cast.fifth.id
    assert answer.json()["state"] == "proposed"
    assert after[2]["handovers"] == before[2]["handovers"] + 1
    assert after[1] == before[1] == [(cast.world.sender.id, True)]


@pytest.mark.parametrize("caller_index", range(len(CALLERS)), ids=CALLERS)
async def test_start_accompaniment(
    client: httpx.AsyncClient,
    cast: Cast,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    caller_index: int,
) -> None:
    caller = CALLERS[caller_index]
    case = await handover_in(sessionmaker, cast, clock, "proposed")
    headers = await cast.headers(caller)
    before = await database(sessionmaker, case)

    body = {"person_id": case.person_id, "consent": True, **WHY}
    known = await client.post("/api/accompaniments", json=body, headers=headers)
    assert known.status_code == STATUS_MATRIX["POST /api/accompaniments (person_id)"][caller_index]
    # Nothing changes: A already accompanies the person, and no one else may.
    assert await database(sessionmaker, case) == before
    assert known.json()["code"] == CODES[known.status_code]

    body = {"person": {"first_name": "Inès", "last_name": "Dupuis"}, "consent": True, **WHY}
    new = await client.post("/api/accompaniments", json=body, headers=headers)
    expected = STATUS_MATRIX["POST /api/accompaniments (new person)"][caller_index]
    assert new.status_code == expected, new.text
    counts = (await database(sessionmaker, case))[2]
    created = 1 if expected == 201 else 0
    assert (counts["persons"], counts["accompaniments"]) == (1 + created, 1 + created)
    if expected == 201:
        assert new.json()["organisation_id"] == cast.user(caller).organisation_id
        assert (new.json()["ended_at"], new.json()["reason"]) == (None, REASON)


async def test_hidden_handover_answers_like_a_missing_one(
    client: httpx.AsyncClient,
    cast: Cast,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    case = await handover_in(sessionmaker, cast, clock, "proposed")
    answers = [
        await client.post(
            f"/api/handovers/{handover_id}/accept",
            json=BODIES["accept"],
            headers=await cast.headers("outsider"),
        )
        for handover_id in (case.handover_id, 999999)
    ]
    assert [answer.status_code for answer in answers] == [404, 404]
    hidden, missing = (answer.json()["detail"] for answer in answers)
    assert hidden.replace(str(case.handover_id), "N") == missing.replace("999999", "N")


TO = "to_organisation_id"
# "<action>: what is wrong" -> (the body's changes, the field the answer names)
BAD_INPUT: dict[str, tuple[dict[str, Any], str]] = {
    "propose: no consent": ({"consent": False}, "consent"),
    "propose: null consent": ({"consent": None}, "consent"),
    "propose: unknown organisation": ({TO: 999999}, TO),
    "propose: beyond any id": ({TO: 2**31}, TO),
    "propose: to oneself": ({TO: "self"}, TO),
    "propose: NUL byte": ({"reason": "un\x00deux"}, "reason"),
    "propose: oversized reason": ({"reason": "x" * 5001}, "reason"),
    "propose: blank reason": ({"reason": "   "}, "reason"),
    "accept: no meeting date": ({}, "first_meeting_at"),
    "accept: naive date": ({"first_meeting_at": "2026-03-09T10:00:00"}, "first_meeting_at"),
    "decline: no reason": ({}, "reason"),
    "decline: NUL byte": ({"reason": "non\x00"}, "reason"),
    "decline: oversized reason": ({"reason": "x" * 2001}, "reason"),
    "withdraw: oversized reason": ({"reason": "x" * 2001}, "reason"),
    "confirm: unknown field": ({"meeting": "ok"}, "meeting"),
    "accompany: no consent": ({"consent": False}, "consent"),
    "accompany: no reason": ({"reason": None}, "reason"),
    "accompany: blank reason": ({"reason": "  "}, "reason"),
    "accompany: NUL byte": (
        {"person": {"first_name": "A\x00", "last_name": "B"}},
        "person.first_name",
    ),
    "accompany: nobody": ({"person": None}, "body"),
}


@pytest.mark.parametrize("name", list(BAD_INPUT))
async def test_bad_input_changes_nothing(
    client: httpx.AsyncClient,
    cast: Cast,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    name: str,
) -> None:
    action = name.split(":")[0]
    changes, field = BAD_INPUT[name]
    callers = {"propose": "referent", "withdraw": "referent", "accompany": "coordinator"}
    caller = callers.get(action, "successor")
    case = await handover_in(sessionmaker, cast, clock, "proposed")
    if action == "propose":
        own = cast.world.sender.id
        changes = {k: own if v == "self" else v for k, v in changes.items()}
        url, body = "/api/handovers", handover_json(case.person_id, cast.fifth, **changes)
    elif action == "accompany":
        person = {"first_name": "Inès", "last_name": "Dupuis"}
        url, body = "/api/accompaniments", {"person": person, "consent": True, **WHY, **changes}
    else:
        url, body = f"/api/handovers/{case.handover_id}/{action}", changes
    before = await database(sessionmaker, case)

    answer = await client.post(url, json=body, headers=await cast.headers(caller))

    assert answer.status_code == 422, answer.text
    unknown = name.endswith("unknown organisation")
    assert answer.json()["code"] == ("unknown_reference" if unknown else "invalid_input")
    assert field in [error["field"] for error in answer.json()["errors"]]
    assert await database(sessionmaker, case) == before
