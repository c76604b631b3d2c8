"""The person's rights (issue 15, point 3): access, rectification, withdrawn consent.

The DPO (and a coordinator of her territory) export everything relais holds about Zoé
Quatremer (``person_rights_cast``), correct her record, and record that she withdrew her
consent; nobody else may, and out of scope she is « introuvable ».
"""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import OrganisationKind, Outcome, Role, Territory
from core.models import Accompaniment, Event, Handover, Person, PersonEvent, Referral
from services import handover_service
from services.consent_withdrawal import REASON, REFUSED
from services.handover_service import AccompanimentStart
from tests.api.person_rights_cast import BORN, PERSON, History, make_history
from tests.factories import (
    ACCOMPANIMENT_REASON,
    World,
    actor_of,
    auth_headers,
    make_organisation,
    make_user,
    person_fields,
    referral_json,
)


@pytest.fixture
async def history(
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> History:
    """Zoé's record and cases, and the DPO."""
    return await make_history(world, session, sessionmaker, clock.now())


async def _count(sessionmaker: async_sessionmaker[AsyncSession], statement: object) -> int:
    async with sessionmaker() as reading:
        return int(await reading.scalar(statement) or 0)  # type: ignore[call-overload]


async def test_the_export_holds_every_case_event_and_accompaniment(
    client: httpx.AsyncClient,
    world: World,
    history: History,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    answer = await client.get(
        f"/api/persons/{history.person_id}/export", headers=await auth_headers(history.dpo)
    )
    assert answer.status_code == 200, answer.text
    export = answer.json()
    assert export["person"]["last_name"] == "Quatremer"
    assert export["person"]["caf_number"] == "7654321"
    assert export["person"]["birth_date"] == BORN.isoformat()
    assert export["person"]["consent_withdrawn_at"] is None
    async with sessionmaker() as reading:
        cases: tuple[tuple[str, type[Referral | Accompaniment | Handover], int], ...] = (
            ("referral", Referral, history.referral_id),
            ("accompaniment", Accompaniment, history.accompaniment_id),
            ("handover", Handover, history.handover_id),
        )
        for kind, model, case_id in cases:
            case: Referral | Accompaniment | Handover = await reading.get_one(model, case_id)
            [item] = export[f"{kind}s"]
            assert item["reference"] == case.reference
            triggers = list(
                await reading.scalars(
                    select(Event.trigger)
                    .where(Event.case_kind == kind, Event.case_id == case_id)
                    .order_by(Event.id)
                )
            )
            assert [event["trigger"] for event in item["events"]] == triggers
    referral = export["referrals"][0]
    assert [event["trigger"] for event in referral["events"]] == ["create", "submit", "accept"]
    assert referral["motive"] == "Recherche d'un premier emploi dans le numérique"
    assert export["handovers"][0]["reason"] == "Passage vers un accompagnement global"
    assert export["accompaniments"][0]["reason"] == ACCOMPANIMENT_REASON
    assert export["recipients"] == sorted(
        [world.sender.name, world.receiver.name, world.outsider.name]
    )


async def test_only_those_who_answer_the_rights_export_and_out_of_scope_is_not_found(
    client: httpx.AsyncClient,
    world: World,
    history: History,
    session: AsyncSession,
    clock: FixedClock,
) -> None:
    path = f"/api/persons/{history.person_id}/export"
    in_scope = await client.get(path, headers=await auth_headers(world.coordinator))
    assert in_scope.status_code == 200
    # The referrer knows Zoé, but does not answer her rights.
    member = await client.get(path, headers=await auth_headers(world.referrer))
    assert (member.status_code, member.json()["code"]) == (403, "forbidden")
    elsewhere = await make_organisation(
        session, clock.now(), name="Cap emploi", kind=OrganisationKind.CAP_EMPLOI
    )
    stranger = await make_user(session, elsewhere, clock.now(), email="agent@cap-test.fr")
    other_coordinator = await make_user(
        session, world.coordination, clock.now(), role=Role.COORDINATOR,
        scope_territory=Territory("75020"), email="coordination-20@test.fr",
    )  # fmt: skip
    for user in (stranger, other_coordinator):
        for method, url in (
            ("GET", path),
            ("PATCH", f"/api/persons/{history.person_id}"),
            ("POST", f"/api/persons/{history.person_id}/consent-withdrawal"),
        ):
            refused = await client.request(
                method, url, json={} if method != "GET" else None, headers=await auth_headers(user)
            )
            assert refused.status_code == 404, (user.email, method, url, refused.text)


async def test_rectification_changes_the_fields_and_records_which_not_the_values(
    client: httpx.AsyncClient, history: History, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    headers = await auth_headers(history.dpo)
    answer = await client.patch(
        f"/api/persons/{history.person_id}",
        json={"last_name": "Quatremer-Lind", "phone": "06 11 22 33 44", "email": None,
              "first_name": "Zoé"},
        headers=headers,
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json()["last_name"] == "Quatremer-Lind"
    assert answer.json()["email"] is None
    async with sessionmaker() as reading:
        person = await reading.get_one(Person, history.person_id)
        assert (person.last_name, person.phone, person.email) == (
            "Quatremer-Lind", "06 11 22 33 44", None
        )  # fmt: skip
        assert person.name_key == "quatremer lind|zoe"
        [event] = await reading.scalars(select(PersonEvent).where(PersonEvent.kind == "rectified"))
        assert event.payload == {"fields": ["email", "last_name", "phone"]}
        # The DPO acts for no organisation (``Actor.of``): the event names the person only.
        assert (event.actor_id, event.organisation_id) == (history.dpo.id, None)
        written = json.dumps(event.payload)
        for value in ("Quatremer", "zoe.q@example.org", "06 11 22 33 44", "Zoé"):
            assert value not in written
    # The same values again change nothing and record nothing.
    again = await client.patch(
        f"/api/persons/{history.person_id}", json={"last_name": "Quatremer-Lind"}, headers=headers
    )
    assert again.status_code == 200
    assert await _count(sessionmaker, select(func.count()).select_from(PersonEvent)) == 1


async def test_rectification_refuses_a_taken_identifier_and_bad_values_changing_nothing(
    client: httpx.AsyncClient,
    clock: FixedClock,
    world: World,
    history: History,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    body = referral_json(world.offer)
    body["person"] = {"first_name": "Ambre", "last_name": "Vasseur", "caf_number": "1234567"}
    other = await client.post(
        "/api/referrals", json=body, headers=await auth_headers(world.referrer)
    )
    assert other.status_code == 201, other.text
    headers = await auth_headers(world.coordinator)
    path = f"/api/persons/{history.person_id}"
    taken = await client.patch(path, json={"caf_number": "123 4567"}, headers=headers)
    assert (taken.status_code, taken.json()["code"]) == (409, "identity_conflict")
    assert "Vasseur" not in taken.text and "Ambre" not in taken.text
    tomorrow = (clock.now().date() + timedelta(days=1)).isoformat()
    for bad, field in (
        ({"email": "pas-un-email", "first_name": "Zoéline"}, "email"),
        ({"france_travail_id": "12"}, "france_travail_id"),
        ({"residence": "paris"}, "residence"),
        ({"birth_date": tomorrow}, "birth_date"),
        ({"first_name": None}, "first_name"),
        ({"nickname": "Zo"}, "nickname"),
    ):
        refused = await client.patch(path, json=bad, headers=headers)
        assert refused.status_code == 422, (bad, refused.text)
        assert field in [error["field"] for error in refused.json()["errors"]], refused.text
    async with sessionmaker() as reading:
        person = await reading.get_one(Person, history.person_id)
        assert (person.first_name, person.caf_number, person.email, person.residence) == (
            "Zoé", "7654321", "zoe.q@example.org", None
        )  # fmt: skip
        assert await reading.scalar(select(func.count()).select_from(PersonEvent)) == 0


async def test_a_corrected_birth_date_moves_the_mission_locale_age_limit(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    from core.models import Timer

    dpo = await make_user(session, world.coordination, clock.now(), role=Role.DPO, email="d@t.fr")
    young = clock.now().date().replace(year=clock.now().year - 24)
    async with sessionmaker() as arrange:
        start = AccompanimentStart(
            person=person_fields(first_name="Noé", last_name="Bastide", birth_date=young),
            organisation_id=world.sender.id,  # the Mission locale
            reason=ACCOMPANIMENT_REASON,
            consent=True,
        )
        accompaniment = await handover_service.start_accompaniment(
            arrange, actor_of(world.coordinator), start, clock.now()
        )
    before = accompaniment.turns_26_at
    assert before is not None
    corrected = young.replace(year=young.year - 1)
    answer = await client.patch(
        f"/api/persons/{accompaniment.person_id}",
        json={"birth_date": corrected.isoformat()},
        headers=await auth_headers(dpo),
    )
    assert answer.status_code == 200, answer.text
    async with sessionmaker() as reading:
        moved = await reading.get_one(Accompaniment, accompaniment.id)
        assert moved.turns_26_at is not None
        assert moved.turns_26_at.date() == before.date().replace(year=before.year - 1)
        pending = list(
            await reading.execute(
                select(Timer.message, Timer.due_at).where(
                    Timer.case_id == accompaniment.id,
                    Timer.case_kind == "accompaniment",
                    Timer.message.is_not(None),
                    Timer.status == "pending",
                )
            )
        )
        assert sorted(due for _message, due in pending)[-1] == moved.turns_26_at
        assert len(pending) == 2
        # The progress check is left as it was: one pending, never cancelled.
        plain = list(
            await reading.scalars(
                select(Timer.status).where(
                    Timer.case_id == accompaniment.id, Timer.message.is_(None)
                )
            )
        )
        assert sorted(plain) == ["pending", "pending"]


async def test_withdrawn_consent_closes_the_open_cases_and_refuses_the_next_referral(
    client: httpx.AsyncClient,
    world: World,
    history: History,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    path = f"/api/persons/{history.person_id}/consent-withdrawal"
    answer = await client.post(
        path, json={},
        headers=await auth_headers(world.coordinator),
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    async with sessionmaker() as reading:
        referral = await reading.get_one(Referral, history.referral_id)
        handover = await reading.get_one(Handover, history.handover_id)
        accompaniment = await reading.get_one(Accompaniment, history.accompaniment_id)
        person = await reading.get_one(Person, history.person_id)
    closed = [referral.reference, handover.reference, accompaniment.reference]
    assert answer.json()["closed"] == closed
    assert (referral.state, referral.cancel_reason) == ("cancelled", REASON)
    assert (handover.state, handover.withdraw_reason) == ("withdrawn", REASON)
    assert (accompaniment.state, accompaniment.exit_outcome) == (
        "ended", Outcome.CONSENT_WITHDRAWN
    )  # fmt: skip
    assert person.consent_withdrawn_at is not None
    twice = await client.post(path, json={}, headers=await auth_headers(history.dpo))
    assert twice.status_code == 409

    # The next referral for her is refused, saying only that consent must be attested again.
    referrer = await auth_headers(world.referrer)
    body = referral_json(world.offer)
    body["person"] = dict(PERSON)
    refused = await client.post("/api/referrals", json=body, headers=referrer)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "consent_withdrawn"
    assert refused.json()["detail"] == REFUSED
    assert refused.json()["errors"][0]["field"] == "person.consent_renewed"
    referrals = select(func.count()).select_from(Referral)
    assert await _count(sessionmaker, referrals) == 1

    body["person"]["consent_renewed"] = True
    accepted = await client.post("/api/referrals", json=body, headers=referrer)
    assert accepted.status_code == 201, accepted.text
    assert await _count(sessionmaker, referrals) == 2
    async with sessionmaker() as reading:
        person = await reading.get_one(Person, history.person_id)
        assert person.consent_withdrawn_at is None
        kinds = list(await reading.scalars(select(PersonEvent.kind).order_by(PersonEvent.id)))
        assert kinds == ["consent_withdrawn", "consent_renewed"]
    export = await client.get(
        f"/api/persons/{history.person_id}/export", headers=await auth_headers(history.dpo)
    )
    assert [event["kind"] for event in export.json()["person_events"]] == kinds
