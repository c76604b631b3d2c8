"""A returned referral sent on to another offer: the old one closed, a new one sent for the
same person, in one transaction."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import ReturnReason
from core.errors import ConcurrentChange
from core.models import Event, Referral
from services import referral_service
from services.referral_service import RedirectFields
from states.referral_fields import ReturnFields
from states.texts import resolve_payloads
from tests.factories import World, actor_of, make_offer
from tests.web.http_pages import sign_in, submitted_referral


async def _returned(session: AsyncSession, world: World, clock: FixedClock) -> tuple[int, int]:
    referral_id = await submitted_referral(session, world, clock)
    await referral_service.fire_referral(
        session, actor_of(world.receiver_member), referral_id, "return",
        ReturnFields(reason=ReturnReason.NO_CAPACITY, comment="Plus de place ce trimestre."),
        clock.now(),
    )  # fmt: skip
    other = await make_offer(session, world.outsider, clock.now(), title="Chantier d'insertion")
    other_id: int = other.id
    await session.commit()
    return referral_id, other_id


async def test_the_referrer_redirects_a_returned_referral_to_another_offer(
    browser_client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    referral_id, other_offer = await _returned(session, world, clock)
    email, outsider_id = world.referrer.email, world.outsider.id
    await session.commit()
    token = await sign_in(browser_client, email)
    case_page = await browser_client.get(f"/referrals/{referral_id}")
    assert f"/referrals/{referral_id}/redirect" in case_page.text
    form = await browser_client.get(f"/referrals/{referral_id}/redirect")
    assert form.status_code == 200
    assert "Chantier d&#39;insertion" in form.text

    refused = await browser_client.post(
        f"/referrals/{referral_id}/redirect",
        data={"csrf_token": token, "offer_id": str(other_offer)},
    )
    assert refused.status_code == 422  # no consent for the new partner
    assert await session.scalar(select(func.count()).select_from(Referral)) == 1
    await session.rollback()

    sent = await browser_client.post(
        f"/referrals/{referral_id}/redirect",
        data={"csrf_token": token, "offer_id": str(other_offer), "consent": "on"},
    )
    assert sent.status_code == 303
    old, new = (await session.execute(select(Referral).order_by(Referral.id))).scalars().all()
    assert (old.state, new.state) == ("closed", "submitted")
    assert new.person_id == old.person_id and new.motive == old.motive
    assert new.receiver_organisation_id == outsider_id
    assert sent.headers["location"] == f"/referrals/{new.id}?fait=submit"
    closing = await session.scalar(
        select(Event.payload).where(Event.case_id == old.id, Event.trigger == "close")
    )
    assert closing is not None
    assert await resolve_payloads(session, [closing]) == [
        {"comment": "Réorientée vers « Chantier d'insertion »."}
    ]


async def test_only_the_referrer_may_redirect(
    browser_client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    referral_id, other_offer = await _returned(session, world, clock)
    email = world.receiver_member.email
    await session.commit()
    token = await sign_in(browser_client, email)
    # The receiving side may not redirect, whatever the state: 403, the page as the service.
    assert (await browser_client.get(f"/referrals/{referral_id}/redirect")).status_code == 403
    response = await browser_client.post(
        f"/referrals/{referral_id}/redirect",
        data={"csrf_token": token, "offer_id": str(other_offer), "consent": "on"},
    )
    assert response.status_code == 403
    states = (await session.execute(select(Referral.state))).scalars().all()
    assert states == ["returned"]


async def test_the_old_referral_stays_open_when_its_successor_cannot_be_sent(
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    referral_id, other_offer = await _returned(session, world, clock)
    referrer = actor_of(world.referrer)

    async def clashing(*args: object, **kwargs: object) -> int:
        raise IntegrityError("INSERT INTO referrals", {}, Exception("unique"))

    monkeypatch.setattr(referral_service, "_insert_referral", clashing)
    async with sessionmaker() as other:
        with pytest.raises(ConcurrentChange, match="Enregistrement concurrent"):
            await referral_service.redirect_referral(
                other, referrer, referral_id,
                RedirectFields(offer_id=other_offer, consent=True), clock.now(),
            )  # fmt: skip
    async with sessionmaker() as check:
        states = (await check.execute(select(Referral.state))).scalars().all()
        closings = await check.scalar(
            select(func.count()).select_from(Event).where(Event.trigger == "close")
        )
    assert (states, closings) == (["returned"], 0)
