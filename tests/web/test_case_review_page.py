"""The coordination brings a referral to the comité technique from its page."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.models import Decision
from tests.factories import World, make_committee
from tests.web.http_pages import sign_in, submitted_referral

FORM = "Inscrire la situation en comité technique"


async def _decisions(session: AsyncSession) -> int:
    count = await session.scalar(select(func.count()).select_from(Decision))
    await session.rollback()
    return count or 0


async def test_a_coordinator_brings_a_referral_to_the_technical_committee(
    browser_client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    referral_id = await submitted_referral(session, world, clock)
    email = world.coordinator.email
    await session.commit()
    token = await sign_in(browser_client, email)

    page = await browser_client.get(f"/referrals/{referral_id}")
    assert FORM in page.text
    refused = await browser_client.post(
        f"/referrals/{referral_id}/review", data={"csrf_token": token, "review-axis": "3.1"}
    )
    assert refused.status_code == 422  # no comité technique yet
    assert "Aucun comité technique" in refused.text
    assert await _decisions(session) == 0

    await make_committee(session, clock.now(), name="Comité technique du PPIE")
    sent = await browser_client.post(
        f"/referrals/{referral_id}/review", data={"csrf_token": token, "review-axis": "3.1"}
    )
    assert sent.status_code == 303
    decision = (await session.execute(select(Decision))).scalar_one()
    assert sent.headers["location"] == f"/decisions/{decision.id}?fait=propose"
    assert (decision.kind.value, decision.axis.value) == ("case_review", "3.1")
    assert "Quatremer" not in decision.title + decision.description
    await session.rollback()


async def test_partners_neither_see_nor_use_the_form(
    browser_client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    referral_id = await submitted_referral(session, world, clock)
    await make_committee(session, clock.now(), name="Comité technique du PPIE")
    email = world.receiver_member.email
    await session.commit()
    token = await sign_in(browser_client, email)
    assert FORM not in (await browser_client.get(f"/referrals/{referral_id}")).text
    refused = await browser_client.post(
        f"/referrals/{referral_id}/review", data={"csrf_token": token, "review-axis": "3.1"}
    )
    assert refused.status_code == 403
    assert await _decisions(session) == 0
