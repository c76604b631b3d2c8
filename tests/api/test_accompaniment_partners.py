"""Co-accompanying organisations (accompagnement global, issue 14 point 3) through the API.

The EPI is the référent of a new person; the CAF is associated with the person's consent and
then reads the person's file and history, read-only; the Mission locale, which does not know
the person, sees nothing (404). Adding and removing are self-transitions of the accompaniment:
one event each, the version moves on, the progress-check timers keep counting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import MessageKey
from core.models import AccompanimentPartner, OutboxMessage, Timer
from states.accompaniments import current_accompaniment
from tests.factories import World, accompany_new_person, auth_headers, handover_json

Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class Followed:
    """The accompaniment under test, its person and the callers."""

    id: int
    person_id: int
    epi: dict[str, str]
    caf: dict[str, str]
    mission_locale: dict[str, str]

    @property
    def path(self) -> str:
        """The accompaniment's API path."""
        return f"/api/accompaniments/{self.id}"


async def _followed(session: AsyncSession, world: World, clock: FixedClock) -> Followed:
    person_id = await accompany_new_person(session, world.receiver_member, clock.now())
    current = await current_accompaniment(session, person_id)
    assert current is not None
    accompaniment_id = current.id
    await session.commit()
    return Followed(
        accompaniment_id,
        person_id,
        await auth_headers(world.receiver_member),
        await auth_headers(world.outsider_member),
        await auth_headers(world.referrer),
    )


async def _add(
    client: httpx.AsyncClient, case: Followed, organisation_id: int, **overrides: object
) -> httpx.Response:
    body = {"organisation_id": organisation_id, "consent": True, **overrides}
    return await client.post(f"{case.path}/partners", json=body, headers=case.epi)


async def test_the_referent_adds_a_partner_who_is_told_without_personal_data(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: Sessions,
    world: World,
    clock: FixedClock,
) -> None:
    case = await _followed(session, world, clock)
    before = (await client.get(case.path, headers=case.epi)).json()
    async with sessionmaker() as reading:
        timers_before = (await reading.execute(select(Timer.id, Timer.due_at))).all()

    clock.advance(timedelta(days=2))
    added = await _add(client, case, world.outsider.id)

    assert added.status_code == 201, added.text
    body = added.json()
    assert [(p["organisation"]["id"], p["organisation"]["name"]) for p in body["partners"]] == [
        (world.outsider.id, "CAF de Paris")
    ]
    [partner] = body["partners"]
    assert partner["added_at"] == partner["consent_attested_at"]
    assert body["events"][-1]["trigger"] == "add_partner"
    assert body["events"][-1]["payload"] == {"organisation_id": world.outsider.id, "consent": True}
    assert body["version"] == before["version"] + 1
    # No news of the person: the progress check keeps counting from where it was.
    assert body["state_entered_at"] == before["state_entered_at"]
    async with sessionmaker() as reading:
        assert (await reading.execute(select(Timer.id, Timer.due_at))).all() == timers_before
        [email] = (
            await reading.execute(
                select(OutboxMessage).where(
                    OutboxMessage.message == MessageKey.ACCOMPANIMENT_PARTNER_ADDED
                )
            )
        ).scalars()
    assert email.recipient_email == world.outsider_member.email
    assert email.context == {
        "reference": body["reference"],
        "organisation": "EPI Paris Centre",
        "partner_organisation": "CAF de Paris",
        "path": f"/accompaniments/{case.id}",
    }


async def test_consent_is_required_and_a_partner_is_added_once(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: Sessions,
    world: World,
    clock: FixedClock,
) -> None:
    case = await _followed(session, world, clock)
    refused = await _add(client, case, world.outsider.id, consent=False)
    assert refused.status_code == 422, refused.text
    assert [error["field"] for error in refused.json()["errors"]] == ["consent"]
    assert "accord de la personne" in refused.json()["detail"]
    missing = await client.post(
        f"{case.path}/partners", json={"organisation_id": world.outsider.id}, headers=case.epi
    )
    assert missing.status_code == 422, missing.text
    itself = await _add(client, case, world.receiver.id)
    assert itself.status_code == 422, itself.text
    assert [error["field"] for error in itself.json()["errors"]] == ["organisation_id"]
    unknown = await _add(client, case, 999_999)
    assert unknown.status_code == 422, unknown.text
    assert [error["field"] for error in unknown.json()["errors"]] == ["organisation_id"]

    assert (await _add(client, case, world.outsider.id)).status_code == 201
    again = await _add(client, case, world.outsider.id)
    assert again.status_code == 409, again.text
    assert again.json()["code"] == "already_exists"
    async with sessionmaker() as reading:
        rows = (await reading.execute(select(AccompanimentPartner))).scalars().all()
    assert [row.organisation_id for row in rows] == [world.outsider.id]


async def test_the_partner_reads_the_file_and_history_but_acts_on_nothing_else(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    clock: FixedClock,
) -> None:
    case = await _followed(session, world, clock)
    # Not yet associated: the CAF knows nothing of the person.
    assert (await client.get(case.path, headers=case.caf)).status_code == 404
    proposed = await client.post(
        "/api/handovers", json=handover_json(case.person_id, world.sender), headers=case.epi
    )
    assert proposed.status_code == 201, proposed.text
    handover_path = f"/api/handovers/{proposed.json()['id']}"
    assert (await client.get(handover_path, headers=case.caf)).status_code == 404

    assert (await _add(client, case, world.outsider.id)).status_code == 201

    read = await client.get(case.path, headers=case.caf)
    assert read.status_code == 200, read.text
    assert read.json()["allowed_actions"] == ["remove_partner"]
    history = await client.get(f"/api/persons/{case.person_id}/accompaniments", headers=case.caf)
    assert [row["id"] for row in history.json()] == [case.id]
    assert (await client.get(handover_path, headers=case.caf)).status_code == 200
    for trigger, payload in (
        ("note", {"note": "Point"}),
        ("end", {"outcome": "lasting_employment"}),
    ):
        refused = await client.post(f"{case.path}/{trigger}", json=payload, headers=case.caf)
        assert refused.status_code == 403, (trigger, refused.text)
    adding = await client.post(
        f"{case.path}/partners",
        json={"organisation_id": world.coordination.id, "consent": True},
        headers=case.caf,
    )
    assert adding.status_code == 403, adding.text


async def test_a_partnership_ends_by_either_side_and_never_by_a_third(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    clock: FixedClock,
) -> None:
    case = await _followed(session, world, clock)
    for organisation in (world.outsider, world.coordination):
        assert (await _add(client, case, organisation.id)).status_code == 201

    # A third organisation knows nothing of the person: 404.
    third = await client.delete(
        f"{case.path}/partners/{world.outsider.id}", headers=case.mission_locale
    )
    assert third.status_code == 404, third.text
    # The CAF may withdraw itself, not another co-accompanying organisation.
    other = await client.delete(f"{case.path}/partners/{world.coordination.id}", headers=case.caf)
    assert other.status_code == 403, other.text
    itself = await client.delete(f"{case.path}/partners/{world.outsider.id}", headers=case.caf)
    assert itself.status_code == 204, itself.text
    # Once withdrawn, the CAF reads nothing any more.
    assert (await client.get(case.path, headers=case.caf)).status_code == 404

    by_referent = await client.delete(
        f"{case.path}/partners/{world.coordination.id}", headers=case.epi
    )
    assert by_referent.status_code == 204, by_referent.text
    read = (await client.get(case.path, headers=case.epi)).json()
    assert read["partners"] == []
    assert [event["trigger"] for event in read["events"]][-2:] == [
        "remove_partner",
        "remove_partner",
    ]
    assert [event["organisation_id"] for event in read["events"]][-2:] == [
        world.outsider.id,
        world.receiver.id,
    ]
    assert read["events"][-1]["payload"] == {"partner_organisation_id": world.coordination.id}
    gone = await client.delete(f"{case.path}/partners/{world.coordination.id}", headers=case.epi)
    assert gone.status_code == 409, gone.text


async def test_partners_end_with_the_accompaniment_and_carry_over_a_handover(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    clock: FixedClock,
) -> None:
    case = await _followed(session, world, clock)
    assert (await _add(client, case, world.outsider.id)).status_code == 201
    proposed = await client.post(
        "/api/handovers", json=handover_json(case.person_id, world.sender), headers=case.epi
    )
    handover_path = f"/api/handovers/{proposed.json()['id']}"
    meeting = clock.now() + timedelta(days=3)
    accepted = await client.post(
        f"{handover_path}/accept",
        json={"first_meeting_at": meeting.isoformat()},
        headers=case.mission_locale,
    )
    assert accepted.status_code == 200, accepted.text
    clock.set(meeting + timedelta(hours=2))
    confirmed = await client.post(f"{handover_path}/confirm", json={}, headers=case.mission_locale)
    assert confirmed.status_code == 200, confirmed.text

    history = await client.get(f"/api/persons/{case.person_id}/accompaniments", headers=case.caf)
    assert history.status_code == 200, history.text
    old, new = history.json()
    assert (old["id"], old["state"], new["state"]) == (case.id, "ended", "active")
    successor = await client.get(f"/api/accompaniments/{new['id']}", headers=case.caf)
    assert successor.status_code == 200, successor.text
    assert [p["organisation"]["id"] for p in successor.json()["partners"]] == [world.outsider.id]
    assert successor.json()["organisation_id"] == world.sender.id
    assert (await client.get(case.path, headers=case.epi)).json()["partners"] == []

    ended = await client.post(
        f"/api/accompaniments/{new['id']}/end",
        json={"outcome": "lasting_employment"},
        headers=case.mission_locale,
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["partners"] == []
    assert (await client.get(case.path, headers=case.caf)).status_code == 404
