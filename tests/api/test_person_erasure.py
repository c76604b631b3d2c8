"""Erasure now (the person's right to erasure, or objection): refused while a case is under
way (409, nothing changed), then the same anonymisation as retention, in one transaction."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import Role
from core.models import CaseText, Person, PersonEvent, Referral
from services.referral_service import create_referral
from states import engine
from states.referral import REFERRAL
from tests.factories import World, actor_of, auth_headers, make_user, referral_create

CANCEL_REASON = "Annulation-unique-Pamplemousse"


async def test_erasure_is_refused_while_a_case_is_open_then_erases_the_person(
    client: httpx.AsyncClient, session: AsyncSession, world: World, clock: FixedClock
) -> None:
    dpo = await make_user(session, world.coordination, clock.now(), role=Role.DPO)
    dpo_id = dpo.id
    view = await create_referral(
        session, actor_of(world.referrer), referral_create(world.offer), clock.now()
    )
    referral_id, reference, person_id = view.case.id, view.case.reference, view.case.person_id
    headers = {
        "dpo": await auth_headers(dpo),
        "coordinator": await auth_headers(world.coordinator),
        "referrer": await auth_headers(world.referrer),
    }
    await session.commit()
    url = f"/api/persons/{person_id}/erase"
    body = {"reason": "erasure_request"}

    open_case = await client.post(url, json=body, headers=headers["coordinator"])
    assert open_case.status_code == 409, open_case.text
    assert open_case.json()["code"] == "open_cases"
    assert reference in open_case.json()["detail"]
    assert (await client.post(url, json=body, headers=headers["referrer"])).status_code == 403
    unknown = f"/api/persons/{person_id + 1000}/erase"
    assert (await client.post(unknown, json=body, headers=headers["dpo"])).status_code == 404
    retention = {"reason": "retention"}  # relais's own reason, never offered
    assert (await client.post(url, json=retention, headers=headers["dpo"])).status_code == 422
    person = await session.get(Person, person_id)
    assert person is not None and (person.last_name, person.anonymised_at) == ("Quatremer", None)
    assert await session.scalar(select(PersonEvent.id)) is None

    cancel = {"reason": CANCEL_REASON}
    await engine.fire(
        session, REFERRAL, referral_id, "cancel", actor_of(world.referrer), cancel, clock.now()
    )
    await session.commit()
    erased = await client.post(url, json={"reason": "objection"}, headers=headers["dpo"])

    assert erased.status_code == 204, erased.text
    session.expire_all()
    person = await session.get(Person, person_id)
    assert person is not None and person.anonymised_at == clock.now()
    assert (person.first_name, person.email, person.phone) == ("", None, None)
    referral = await session.get(Referral, referral_id)
    assert referral is not None and (referral.state, referral.cancel_reason) == ("cancelled", None)
    texts = list(await session.scalars(select(CaseText.body)))
    assert texts == [None]
    [event] = await session.scalars(select(PersonEvent))
    assert (event.kind, event.payload, event.actor_id) == (
        "anonymised",
        {"reason": "objection"},
        dpo_id,
    )
