"""Issue 12, finding 7: a decision is read by its committee, never by any partner.

A title or a description is typed by a person and may name someone. A decision, its action
items, the meeting record and the action plan that show them are read by the committee's
member organisations, the secretariat, coordinators, the proposing organisation and the
action owners; any other organisation gets the 404 of a missing case and an empty list.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import Role
from tests.api.governance_cast import Cast, make_cast, new_action
from tests.factories import World, auth_headers, make_organisation, make_user

NAMED = "Situation de Zoé Quatremer, 06 12 34 56 78"


@pytest.fixture
async def cast(world: World, session: AsyncSession, clock: FixedClock) -> Cast:
    return await make_cast(world, session, clock.now())


async def _named_decision(client: httpx.AsyncClient, cast: Cast) -> dict[str, int | str]:
    """The Mission locale (a committee member) proposes an item naming a person."""
    answer = await client.post(
        "/api/decisions",
        json={
            "committee_id": cast.committee_id,
            "title": NAMED,
            "description": f"{NAMED} : sans solution de garde.",
            "kind": "other",
            "axis": "1.1",
        },
        headers=await cast.headers("proposer"),
    )
    assert answer.status_code == 201, answer.text
    return {"id": answer.json()["id"], "reference": answer.json()["reference"]}


async def test_an_outsider_organisation_cannot_read_or_list_a_decision(
    client: httpx.AsyncClient, cast: Cast, session: AsyncSession, clock: FixedClock
) -> None:
    decision = await _named_decision(client, cast)
    member = await auth_headers(cast.world.receiver_member)  # sits on the committee
    readers = {
        "proposer": await cast.headers("proposer"),
        "committee member": member,
        "secretary": await cast.headers("secretary"),
        "coordinator": await cast.headers("coordinator"),
    }
    outsider_org = await make_organisation(session, clock.now(), name="Association Voisine")
    outsider_admin = await make_user(session, outsider_org, clock.now(), role=Role.ORG_ADMIN)
    outsiders = {
        "other partner": await cast.headers("other"),
        "other org admin": await auth_headers(outsider_admin),
        "platform admin": await cast.headers("admin"),
    }
    for name, headers in {**readers, **outsiders}.items():
        read = await client.get(f"/api/decisions/{decision['id']}", headers=headers)
        listed = await client.get("/api/decisions", headers=headers)
        assert listed.status_code == 200, (name, listed.text)
        ids = [item["id"] for item in listed.json()["items"]]
        if name in readers:
            assert read.status_code == 200, (name, read.text)
            assert read.json()["title"] == NAMED
            assert ids == [decision["id"]], name
        else:
            assert read.status_code == 404, (name, read.text)
            assert NAMED not in read.text and NAMED not in listed.text, name
            assert ids == [], name
    missing = await client.get("/api/decisions/999999", headers=outsiders["other partner"])
    hidden = await client.get(
        f"/api/decisions/{decision['id']}", headers=outsiders["other partner"]
    )
    assert hidden.json()["detail"].replace(str(decision["id"]), "N") == missing.json()[
        "detail"
    ].replace("999999", "N")


async def test_an_outsider_organisation_cannot_read_action_items_or_the_plan(
    client: httpx.AsyncClient,
    cast: Cast,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    action_id = await new_action(sessionmaker, cast, clock.now())
    outsider = await cast.headers("other")
    owner = await cast.headers("proposer")
    assert (await client.get(f"/api/actions/{action_id}", headers=owner)).status_code == 200
    assert (await client.get(f"/api/actions/{action_id}", headers=outsider)).status_code == 404
    done = await client.post(f"/api/actions/{action_id}/done", json={}, headers=outsider)
    assert done.status_code == 404, done.text
    assert (await client.get("/api/actions", headers=outsider)).json()["items"] == []
    year = clock.now().year
    plans = {
        who: (await client.get(f"/api/action-plan?year={year}", headers=headers)).json()
        for who, headers in (("owner", owner), ("outsider", outsider))
    }
    decided = {
        who: [item["reference"] for axis in plan["axes"] for item in axis["decisions"]]
        for who, plan in plans.items()
    }
    assert len(decided["owner"]) == 1
    assert decided["outsider"] == []
    # The meeting's minutes list the item for the committee, not for another organisation.
    minutes = f"/api/meetings/{cast.past_meeting_id}/minutes.html"
    for who, headers in (("owner", owner), ("outsider", outsider)):
        page = await client.get(minutes, headers=headers)
        assert page.status_code == 200, page.text
        assert ("Forum de l&#39;emploi des jeunes" in page.text) is (who == "owner"), who
