"""Erasing a person from their page: a confirmation step with a reason, refused while a case
is under way (the page says which), then the page shows an anonymised person."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.models import Person, Referral
from states import engine
from states.referral import REFERRAL
from tests.factories import World, actor_of
from tests.web.http_pages import sign_in, submitted_referral


async def test_a_coordinator_confirms_the_erasure_of_a_person_with_a_reason(
    browser_client: httpx.AsyncClient, session: AsyncSession, world: World, clock: FixedClock
) -> None:
    referral_id = await submitted_referral(session, world, clock)
    referral = await session.get(Referral, referral_id)
    assert referral is not None
    person_id, reference = referral.person_id, referral.reference
    referrer, email = actor_of(world.referrer), world.coordinator.email
    await session.commit()  # on SQLite, an open transaction holds the write lock
    token = await sign_in(browser_client, email)

    page = await browser_client.get(f"/persons/{person_id}")
    assert f'href="/persons/{person_id}/erase"' in page.text
    confirm = await browser_client.get(f"/persons/{person_id}/erase")
    assert confirm.status_code == 200
    assert '<option value="erasure_request"' in confirm.text
    assert 'value="retention"' not in confirm.text
    form = {"csrf_token": token, "reason": "objection"}

    refused = await browser_client.post(f"/persons/{person_id}/erase", data=form)
    assert refused.status_code == 409
    assert reference in refused.text and 'id="erase-error"' in refused.text
    assert await session.scalar(select(Person.anonymised_at)) is None
    await session.commit()

    cancel = {"reason": "La personne a trouvé un emploi."}
    await engine.fire(session, REFERRAL, referral_id, "cancel", referrer, cancel, clock.now())
    await session.commit()
    erased = await browser_client.post(f"/persons/{person_id}/erase", data=form)

    assert erased.status_code == 303
    assert erased.headers["location"] == f"/persons/{person_id}?fait=efface"
    after = await browser_client.get(erased.headers["location"])
    assert "Les données de la personne ont été effacées" in after.text
    assert "Quatremer" not in after.text
    assert f'href="/persons/{person_id}/erase"' not in after.text
