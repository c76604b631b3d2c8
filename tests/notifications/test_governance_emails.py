"""Issue 12, finding 7: what a person types into a decision never leaves relais by email.

A member names a person, with her phone, in the title and description of two proposals to
the comité technique; the secretariat approves one with a decision text naming her too and
gives it an action item whose title names her. The proposal, the scheduling, the decision,
the action's assignment, then the reminders, escalations and the coordinators' digest all
go out through the outbox: none may carry the name or the phone, in its subject, its text,
its HTML or the context stored with it. They still say which case and which committee.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import Role
from core.models import OutboxMessage
from notifications.render import render
from states.registry import LIFECYCLES
from tests.conftest import PARIS
from tests.factories import World, auth_headers, make_committee, make_meeting, make_user
from workflows.digest import send_digests
from workflows.sweep import sweep_due

BASE_URL = "https://relais.paris.example"
COMMITTEE = "Comité technique du PPIE"
FORBIDDEN = ("Zoé", "Quatremer", "06 12 34 56 78", "0612345678", "garde")
TITLE = "Situation de Zoé Quatremer (06 12 34 56 78)"
DESCRIPTION = "Zoé Quatremer, joignable au 06 12 34 56 78, n'a pas de solution de garde."


def paris(day: int, month: int, hour: int) -> datetime:
    """A moment of 2026 in Paris."""
    return datetime(2026, month, day, hour, tzinfo=PARIS)


async def post(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    """POST through the API; the JSON answer, failing loudly on a refusal."""
    answer = await client.post(path, json=body, headers=headers)
    assert answer.status_code in (200, 201), answer.text
    result: dict[str, Any] = answer.json()
    return result


async def _named_proposals(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> list[str]:
    """Two proposals naming Zoé: one left waiting, one approved with an action; references."""
    secretary_user = await make_user(session, world.coordination, clock.now(), role=Role.SECRETARY)
    committee = await make_committee(
        session, clock.now(), name=COMMITTEE, members=(world.sender, world.receiver)
    )
    meeting = await make_meeting(session, committee, paris(10, 3, 14))
    committee_id, meeting_id, owner_id = committee.id, meeting.id, world.receiver.id
    proposer, secretary = await auth_headers(world.referrer), await auth_headers(secretary_user)
    body = {
        "committee_id": committee_id,
        "title": TITLE,
        "description": DESCRIPTION,
        "kind": "other",
        "axis": "1.1",
    }
    waiting = await post(client, "/api/decisions", body, proposer)
    decided = await post(client, "/api/decisions", body, proposer)
    path = f"/api/decisions/{decided['id']}"
    await post(client, f"{path}/schedule", {"meeting_id": meeting_id}, secretary)
    clock.set(paris(10, 3, 18))
    await post(client, f"{path}/approve", {"decision_text": f"Adopté : {DESCRIPTION}"}, secretary)
    action = {"owner_organisation_id": owner_id, "title": TITLE, "due_on": "2026-04-30"}
    await post(client, f"{path}/actions", action, secretary)
    return [waiting["reference"], decided["reference"]]


def leaks(text: str) -> list[str]:
    """The forbidden items found in ``text``, case-insensitively."""
    return [item for item in FORBIDDEN if item.casefold() in text.casefold()]


async def test_decision_and_action_emails_never_carry_what_was_typed(
    client: httpx.AsyncClient,
    world: World,
    clock: FixedClock,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    references = await _named_proposals(client, world, session, clock)
    swept = await sweep_due(sessionmaker, LIFECYCLES, paris(1, 6, 9))
    # The decided item waits on its publication too (issue 13).
    assert (len(swept.reminders), len(swept.escalations)) == (3, 3)
    digests = await send_digests(sessionmaker, LIFECYCLES, paris(2, 6, 8))
    assert len(digests.sent) == 1  # the coordinator

    rows = list((await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())
    assert Counter(row.message for row in rows) == {
        "decision.proposed": 2,
        "decision.scheduled": 1,
        "decision.decided": 1,
        "action.assigned": 1,
        # The waiting proposal and the unpublished decision (secretariat), the action item (its
        # owner).
        "reminder": 3,
        "escalation": 3,
        "digest": 1,
    }
    for row in rows:
        stored = json.dumps(row.context, ensure_ascii=False)
        assert leaks(stored) == [], f"{row.message} context: {stored}"
        email = render(row.message, row.context, BASE_URL)
        for part, text in (("subject", email.subject), ("text", email.text), ("html", email.html)):
            assert leaks(text) == [], f"{row.message} {part}:\n{text}"
        # Each still says which case, and which committee, it is about.
        assert COMMITTEE in email.text, f"{row.message}:\n{email.text}"
        if row.message == "digest":
            assert all(reference in email.text for reference in references[:1])
        else:
            assert row.context["reference"] in email.text
