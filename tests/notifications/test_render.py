"""Acceptance point 2: no email carries personal data of the person, whatever the message.

Every message of the catalog is produced from real data: referrals for Zoé Quatremer (email,
phone, birth date, situation, barriers, motive) go through the API, the sweep and the digest,
exactly as in production, until the outbox holds every message key of the catalog. Each
outbox row is then rendered, and neither the rendered emails nor the stored contexts may
contain anything that identifies or describes her.

Timeline (Paris time; no public holiday in March 2026, summer time from Sunday 29 March):
Monday 2 March 09:00 three referrals are submitted; the first is returned, resubmitted,
accepted, started and completed that day, the second is cancelled, the third is left
unanswered. Its reminder falls due Thursday 5 March 09:00 (+3 business days), its escalation
Monday 9 March 09:00 (+5), its expiry Monday 30 March 09:00 (+20). Zoé is then accompanied
by the Mission locale and handed over three times (declined, withdrawn, completed); her first
referral goes to the comité technique; a decision is adjourned, approved and published with an
action item; and with no comité de pilotage on record, the coordinator is alerted.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import Role
from core.models import OutboxMessage, Person, Referral
from notifications.catalog import MESSAGES
from notifications.render import render
from states.registry import LIFECYCLES
from tests.factories import (
    World,
    auth_headers,
    make_committee,
    make_meeting,
    make_user,
    referral_json,
)
from workflows.digest import send_digests
from workflows.governance import check_pilotage
from workflows.sweep import sweep_due
from workflows.technique import check_technique

PARIS = ZoneInfo("Europe/Paris")
BASE_URL = "https://relais.paris.example"

PERSON = {
    "first_name": "Zoé",
    "last_name": "Quatremer",
    "birth_date": "1987-11-23",
    "email": "zoe.quatremer@example.org",
    "phone": "06 12 34 56 78",
}
MOTIVE = "Souhaite devenir apicultrice au jardin partagé de Belleville"
AMENDED_MOTIVE = "Souhaite devenir apicultrice ; horaires compatibles avec la crèche Pivoine"
RETURN_COMMENT = "Attestation manquante, rappeler sa tante Hortense le matin"
CANCEL_REASON = "Déménagement à Quimper chez son frère"

# Everything that must stay behind the login, compared case-insensitively.
FORBIDDEN = (
    # identity and contact
    "Zoé",
    "Zoe",
    "Quatremer",
    "zoe.quatremer@example.org",
    "zoe.quatremer",
    "06 12 34 56 78",
    "0612345678",
    "1987-11-23",
    "23/11/1987",
    "23 novembre 1987",
    "1987",
    # situation: the value and its French label
    "rsa",
    "revenu de solidarité active",
    # barriers: values and French labels
    "sante",
    "santé",
    "logement",
    "garde_enfant",
    "garde d'enfant",
    # free texts about the person
    MOTIVE,
    AMENDED_MOTIVE,
    "apicultrice",
    "Belleville",
    "Pivoine",
    RETURN_COMMENT,
    "Hortense",
    CANCEL_REASON,
    "Quimper",
)


def paris(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    """A moment of 2026 in Paris."""
    return datetime(2026, month, day, hour, minute, tzinfo=PARIS)


RANDOM_TOKEN = re.compile(r"token=[\w-]+")
"""A password reset link's token: random letters that may spell « Zoe » by chance."""


def leaks(text: str) -> list[str]:
    """The forbidden items found in ``text``, case-insensitively, random tokens left out."""
    lowered = RANDOM_TOKEN.sub("token=…", text).casefold()
    return [item for item in FORBIDDEN if item.casefold() in lowered]


def test_a_random_token_is_no_leak_but_a_name_beside_it_is() -> None:
    link = "/reset-password?token=OaLK7XeZOeU8YowdT9tTpC8hCtKajdVaWR_9y7-g7vc"
    assert leaks(link) == []
    assert leaks(f"{link} pour Zoé") == ["Zoé"]


async def post(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    """POST through the API and return the JSON answer, failing loudly on an error."""
    answer = await client.post(path, json=body, headers=headers)
    assert answer.status_code in (200, 201), answer.text
    result: dict[str, Any] = answer.json()
    return result


async def produce_every_message(
    client: httpx.AsyncClient,
    world: World,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> list[str]:
    """Drive three referrals of Zoé through API, sweep and digest; return their references."""
    referrer = await auth_headers(world.referrer)
    receiver = await auth_headers(world.receiver_member)
    body = referral_json(
        world.offer,
        person=PERSON,
        motive=MOTIVE,
        situation="rsa",
        barriers=["sante", "logement", "garde_enfant"],
        health_data_attested=True,
        confirm_duplicate=True,  # three referrals of Zoé to one offer, on purpose
    )
    followed, cancelled, silent = [
        await post(client, "/api/referrals", body, referrer) for _ in range(3)
    ]
    path = f"/api/referrals/{followed['id']}"
    steps: list[tuple[int, str, dict[str, Any], dict[str, str]]] = [
        (10, "return", {"reason": "missing_information", "comment": RETURN_COMMENT}, receiver),
        (11, "resubmit", {"motive": AMENDED_MOTIVE, "situation": "rsa"}, referrer),
        (12, "accept", {"first_appointment_at": "2026-03-05T14:30:00+01:00"}, receiver),
        (13, "start", {}, receiver),
        (14, "complete", {"outcome": "qualifying_training", "comment": RETURN_COMMENT}, receiver),
    ]
    for hour, trigger, payload, headers in steps:
        clock.set(paris(2, hour))
        assert (await post(client, f"{path}/{trigger}", payload, headers))["state"]
    clock.set(paris(2, 15))
    cancel_path = f"/api/referrals/{cancelled['id']}/cancel"
    assert (await post(client, cancel_path, {"reason": CANCEL_REASON}, referrer))[
        "state"
    ] == "cancelled"

    reminded = await sweep_due(sessionmaker, LIFECYCLES, paris(6, 9))
    assert (len(reminded.reminders), len(reminded.escalations)) == (1, 0)
    escalated = await sweep_due(sessionmaker, LIFECYCLES, paris(9, 9))
    assert (len(escalated.reminders), len(escalated.escalations)) == (0, 1)
    digests = await send_digests(sessionmaker, LIFECYCLES, paris(10, 8))
    assert len(digests.sent) == 1  # the coordinator; the parties have no org admin
    expired = await sweep_due(sessionmaker, LIFECYCLES, paris(31, 9))
    assert expired.triggers == [f"{silent['reference']} : expire"]
    return [followed["reference"], cancelled["reference"], silent["reference"]]


@dataclass(frozen=True)
class Governance:
    """Who acts on Zoé's case and on the comité technique, and the ids they act on."""

    mission_locale: dict[str, str]
    epi: dict[str, str]
    outsider: dict[str, str]
    coordinator: dict[str, str]
    secretary: dict[str, str]
    committee_id: int
    first_id: int
    second_id: int
    sender_id: int
    receiver_id: int
    outsider_id: int


async def produce_governance_messages(
    client: httpx.AsyncClient,
    world: World,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    referral_id: int,
) -> None:
    """Handovers of Zoé, a case review of her referral, a decision and its action item."""
    cast = await governance_cast(world, clock, session)
    await hand_zoe_over_three_times(client, clock, cast, sessionmaker)
    review = await post(client, f"/api/referrals/{referral_id}/review", {}, cast.coordinator)
    await decide_and_publish_with_an_action(client, clock, cast)
    assert review["kind"] == "case_review"
    alerted = await check_pilotage(sessionmaker, paris(3, 18, month=4))
    assert len(alerted.alerted) == 1  # the coordinator
    # Two comité technique meetings in 2026, and December begun: three are out of reach.
    short = await check_technique(sessionmaker, paris(1, 9, month=12), 3)
    assert (short.counted, len(short.alerted)) == (2, 1)


async def governance_cast(world: World, clock: FixedClock, session: AsyncSession) -> Governance:
    """The parties' tokens, a secretary, and a comité technique meeting in March and April."""
    mission_locale = await auth_headers(world.referrer)
    epi = await auth_headers(world.receiver_member)
    outsider = await auth_headers(world.outsider_member)
    coordinator = await auth_headers(world.coordinator)
    secretary_user = await make_user(session, world.coordination, clock.now(), role=Role.SECRETARY)
    secretary = await auth_headers(secretary_user)
    committee = await make_committee(session, clock.now(), name="Comité technique du PPIE")
    first = await make_meeting(session, committee, paris(20, 14))
    second = await make_meeting(session, committee, paris(3, 14, month=4))
    committee_id, first_id, second_id = committee.id, first.id, second.id
    sender_id, receiver_id, outsider_id = world.sender.id, world.receiver.id, world.outsider.id
    await session.commit()
    return Governance(
        mission_locale, epi, outsider, coordinator, secretary,
        committee_id, first_id, second_id, sender_id, receiver_id, outsider_id,
    )  # fmt: skip


async def hand_zoe_over_three_times(
    client: httpx.AsyncClient,
    clock: FixedClock,
    cast: Governance,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """The coordination entrusts Zoé to the Mission locale, though she is past 26: the sweep
    reminds the Mission locale and alerts the coordination at once; her handovers are
    declined, withdrawn, completed; the EPI then associates the CAF with her follow-up."""
    mission_locale, epi, outsider = cast.mission_locale, cast.epi, cast.outsider
    receiver_id, outsider_id = cast.receiver_id, cast.outsider_id
    clock.set(paris(2, 16))
    entrusted = {"organisation_id": cast.sender_id, "reason": MOTIVE}
    started = await post(
        client,
        "/api/accompaniments",
        {"person": PERSON, "consent": True, **entrusted},
        cast.coordinator,
    )
    person_id = started["person_id"]
    turned = await sweep_due(sessionmaker, LIFECYCLES, clock.now())
    assert (len(turned.reminders), len(turned.escalations)) == (1, 1)

    def handover(to: int) -> dict[str, Any]:
        return {"person_id": person_id, "to_organisation_id": to, "reason": MOTIVE, "consent": True}

    declined = await post(client, "/api/handovers", handover(outsider_id), mission_locale)
    await post(
        client, f"/api/handovers/{declined['id']}/decline", {"reason": CANCEL_REASON}, outsider
    )
    withdrawn = await post(client, "/api/handovers", handover(receiver_id), mission_locale)
    meeting = {"first_meeting_at": paris(4, 10).isoformat()}
    await post(client, f"/api/handovers/{withdrawn['id']}/accept", meeting, epi)
    await post(
        client,
        f"/api/handovers/{withdrawn['id']}/withdraw",
        {"reason": RETURN_COMMENT},
        mission_locale,
    )
    completed = await post(client, "/api/handovers", handover(receiver_id), mission_locale)
    await post(client, f"/api/handovers/{completed['id']}/accept", meeting, epi)
    clock.set(paris(4, 12))
    done = await post(client, f"/api/handovers/{completed['id']}/confirm", {}, epi)
    [successor] = [
        row
        for row in (
            await client.get(f"/api/persons/{person_id}/accompaniments", headers=epi)
        ).json()
        if row["state"] == "active"
    ]
    partner = {"organisation_id": outsider_id, "consent": True}
    await post(client, f"/api/accompaniments/{successor['id']}/partners", partner, epi)
    assert done["state"] == "completed"


async def decide_and_publish_with_an_action(
    client: httpx.AsyncClient, clock: FixedClock, cast: Governance
) -> None:
    """A decision proposed by the EPI is adjourned, approved, published and given an action."""
    secretary = cast.secretary
    decision = await post(
        client,
        "/api/decisions",
        {
            "committee_id": cast.committee_id,
            "title": "Ateliers numériques dans les EPI",
            "description": "Ouvrir deux ateliers par EPI.",
            "kind": "action_plan",
            "axis": "4.2",
        },
        cast.epi,
    )
    path = f"/api/decisions/{decision['id']}"
    await post(client, f"{path}/schedule", {"meeting_id": cast.first_id}, secretary)
    clock.set(paris(20, 17))
    await post(client, f"{path}/adjourn", {}, secretary)
    await post(client, f"{path}/schedule", {"meeting_id": cast.second_id}, secretary)
    clock.set(paris(3, 17, month=4))
    await post(client, f"{path}/approve", {"decision_text": "Adopté"}, secretary)
    minutes = await client.patch(
        f"/api/meetings/{cast.second_id}",
        json={"minutes": "Relevé de décisions."},
        headers=secretary,
    )
    assert minutes.status_code == 200, minutes.text
    await post(client, f"{path}/publish", {}, secretary)
    action = {
        "owner_organisation_id": cast.receiver_id,
        "title": "Ouvrir les ateliers",
        "due_on": "2026-06-30",
    }
    await post(client, f"{path}/actions", action, secretary)


async def test_every_message_from_real_data_carries_no_personal_data(
    client: httpx.AsyncClient,
    world: World,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
) -> None:
    references = await produce_every_message(client, world, clock, sessionmaker)
    followed_id = (
        await session.execute(select(Referral.id).where(Referral.reference == references[0]))
    ).scalar_one()
    await session.commit()
    await produce_governance_messages(client, world, clock, sessionmaker, session, followed_id)
    forgotten = await client.post("/auth/forgot-password", json={"email": "conseillere@ml-test.fr"})
    assert forgotten.status_code == 202
    rows = list((await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())

    # Every message of the catalog was produced: a new message without coverage fails here.
    assert {row.message for row in rows} == set(MESSAGES)
    assert Counter(row.message for row in rows) == {
        "referral.submitted": 3,  # three submissions
        "referral.resubmitted": 1,  # announced as sent back, not as new
        "referral.returned": 1,
        "referral.accepted": 1,
        "referral.completed": 1,
        "referral.cancelled": 1,
        "reminder": 1,
        "escalation": 1,
        "digest": 1,
        "referral.expired": 1,
        "handover.proposed": 3,
        "handover.declined": 1,
        "handover.accepted": 2,
        "handover.withdrawn": 1,
        "handover.completed": 1,
        "decision.proposed": 2,  # the case review and the action-plan proposal
        "decision.scheduled": 2,
        "decision.adjourned": 1,
        "decision.decided": 1,
        "decision.published": 1,
        "action.assigned": 1,
        "governance.pilotage": 1,
        "governance.technique": 1,
        "account.reset": 1,
        "accompaniment.turning_26": 1,
        "accompaniment.turned_26": 1,
        "accompaniment.partner_added": 1,
    }

    # The person's data did reach the database, behind the login.
    person = await stored_person(session)
    assert person == ("Zoé", "Quatremer", "zoe.quatremer@example.org", "06 12 34 56 78")

    for row in rows:
        check_no_leak_and_a_reference(row, references)


def check_no_leak_and_a_reference(row: OutboxMessage, references: list[str]) -> None:
    """The message names nobody, in its stored context nor its email, and still says which
    case it is about."""
    stored = json.dumps(row.context, ensure_ascii=False)
    assert leaks(stored) == [], f"{row.message} context: {stored}"
    email = render(row.message, row.context, BASE_URL)
    for part, text in (("subject", email.subject), ("text", email.text), ("html", email.html)):
        assert leaks(text) == [], f"{row.message} {part}:\n{text}"
    # And the email still says which case it is about.
    if row.message == "digest":
        assert references[2] in email.text and references[2] in email.html
    elif row.message == "governance.pilotage":
        assert "comité de pilotage" in email.text
    elif row.message == "governance.technique":
        assert "comité technique" in email.text
    elif row.message == "account.reset":
        assert f"{BASE_URL}{row.context['reset_path']}" in email.text
    else:
        assert row.context["reference"] in email.subject
        assert f"{BASE_URL}{row.context['path']}" in email.text


async def stored_person(session: AsyncSession) -> tuple[str, str, str | None, str | None]:
    """The stored person, to prove the test data did contain what the emails must not."""
    person = (await session.execute(select(Person).order_by(Person.id))).scalars().first()
    assert person is not None
    return person.first_name, person.last_name, person.email, person.phone


def test_the_leak_detector_sees_what_it_looks_for() -> None:
    # Guards the guard: a detector that matched nothing would let every leak through.
    assert leaks("Orientation de ZOÉ QUATREMER (RSA, Santé)") == [
        "Zoé",
        "Quatremer",
        "rsa",
        "santé",
    ]
    assert leaks("Orientation OR-2026-000001 vers « Accompagnement en EPI »") == []
