"""Outcomes and return reasons through the API: the new codes are taken, the retired ones
(``employment``, ``training``) refused with a 422 that lists the codes to use, yet what was
recorded with them still reads, in the API and on the case page."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import REFERRAL_OUTCOMES, Outcome
from core.models import Referral
from tests.factories import World, auth_headers, referral_json
from tests.web.http_pages import page_client
from tests.web.pages import Browser


async def _in_progress(client: httpx.AsyncClient, world: World) -> tuple[str, dict[str, str]]:
    referrer = await auth_headers(world.referrer)
    sent = await client.post("/api/referrals", json=referral_json(world.offer), headers=referrer)
    assert sent.status_code == 201, sent.text
    path = f"/api/referrals/{sent.json()['id']}"
    receiver = await auth_headers(world.receiver_member)
    for trigger in ("accept", "start"):
        answer = await client.post(f"{path}/{trigger}", json={}, headers=receiver)
        assert answer.status_code == 200, answer.text
    return path, receiver


async def test_a_retired_outcome_is_refused_with_the_codes_to_use(
    client: httpx.AsyncClient, world: World
) -> None:
    path, receiver = await _in_progress(client, world)
    for retired in ("employment", "training"):
        refused = await client.post(f"{path}/complete", json={"outcome": retired}, headers=receiver)
        assert refused.status_code == 422, refused.text
        [error] = refused.json()["errors"]
        assert (error["field"], error["type"]) == ("outcome", "not_offered")
        assert error["message"] == (
            f"« {retired} » n'est pas proposé ici : choisissez parmi "
            + ", ".join(outcome.value for outcome in REFERRAL_OUTCOMES)
        )
    assert (await client.get(path, headers=receiver)).json()["state"] == "in_progress"
    done = await client.post(
        f"{path}/complete", json={"outcome": "transitional_employment"}, headers=receiver
    )
    assert done.status_code == 200, done.text
    assert (done.json()["state"], done.json()["outcome"]) == (
        "completed",
        "transitional_employment",
    )


async def test_a_new_return_reason_is_taken(client: httpx.AsyncClient, world: World) -> None:
    sent = await client.post(
        "/api/referrals",
        json=referral_json(world.offer),
        headers=await auth_headers(world.referrer),
    )
    returned = await client.post(
        f"/api/referrals/{sent.json()['id']}/return",
        json={"reason": "out_of_area", "comment": "La personne habite Montreuil."},
        headers=await auth_headers(world.receiver_member),
    )
    assert returned.status_code == 200, returned.text
    assert (returned.json()["state"], returned.json()["return_reason"]) == (
        "returned",
        "out_of_area",
    )


async def test_an_outcome_recorded_with_a_retired_code_still_reads(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    path, receiver = await _in_progress(client, world)
    done = await client.post(f"{path}/complete", json={"outcome": "other"}, headers=receiver)
    referral_id = done.json()["id"]
    # As recorded before the finer codes existed.
    await session.execute(
        update(Referral).where(Referral.id == referral_id).values(outcome=Outcome.EMPLOYMENT)
    )
    await session.commit()
    read = await client.get(path, headers=receiver)
    assert read.status_code == 200, read.text
    assert read.json()["outcome"] == "employment"
    async with page_client(app) as pages:
        browser = Browser(pages)
        await browser.log_in(world.receiver_member)
        page = await browser.read(f"/referrals/{referral_id}")
    assert "Issue Emploi (durée non précisée)" in page
