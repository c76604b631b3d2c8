"""An offer's capacity on the pages: places left in the catalogue and the offer's page; the
case's accept form shows the places left, and the override (checkbox and comment) only
when the offer is full; the history keeps the comment of an acceptance beyond capacity."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import Role
from core.models import Offer, Referral
from services import referral_service
from tests.factories import World, actor_of, make_user
from tests.web.browser import capture, check_accessible, sign_in
from tests.web.dashboard_helpers import post_form, signed_in
from tests.web.http_pages import submitted_referral
from tests.web.pages import check_markup, visible_text

OVERRIDE = 'name="capacity_override"'


async def _with_capacity(
    session: AsyncSession, world: World, clock: FixedClock, capacity: int
) -> tuple[int, int]:
    """Two referrals submitted to the world's offer of ``capacity`` places, the first
    accepted; their ids."""
    offer = await session.get_one(Offer, world.offer.id)
    offer.capacity = capacity
    await session.commit()
    first = await submitted_referral(session, world, clock)
    second = await submitted_referral(session, world, clock)
    await referral_service.fire_referral(
        session, actor_of(world.receiver_member), first, "accept", None, clock.now()
    )
    await session.close()
    return first, second


async def test_the_accept_form_shows_the_places_left_without_override(
    app: FastAPI, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    _, second = await _with_capacity(session, world, clock, 2)
    async with signed_in(app, world.receiver_member.email) as client:
        page = await client.get(f"/referrals/{second}")
    assert page.status_code == 200
    check_markup(page.text)
    assert "Places restantes sur cette offre : 1 sur 2." in visible_text(page.text)
    assert "accept-capacity_override" not in page.text


async def test_a_full_offer_asks_for_the_override_and_its_comment(
    app: FastAPI, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    _, second = await _with_capacity(session, world, clock, 1)
    receiver = world.receiver_member.email
    async with signed_in(app, receiver) as client:
        page = await client.get(f"/referrals/{second}")
        assert "L'offre est complète (aucune place restante sur 1)" in visible_text(page.text)
        assert "accept-capacity_override" in page.text and "accept-capacity_comment" in page.text
        check_markup(page.text)

        path = f"/referrals/{second}"
        refused = await post_form(client, path, f"{path}/actions/accept", {})
        assert refused.status_code == 409
        assert "est complète : 1 place occupée sur 1 place" in visible_text(refused.text)

        comment = "Une place se libère lundi."
        accepted = await post_form(
            client, path, f"{path}/actions/accept",
            {"accept-capacity_override": "on", "accept-capacity_comment": comment},
        )  # fmt: skip
        assert accepted.status_code == 303, accepted.text
        after = await client.get(path)
    assert f"au-delà de la capacité de l'offre : « {comment} »" in visible_text(after.text)
    referral = await session.get_one(Referral, second, populate_existing=True)
    assert referral.state == "accepted"


async def test_the_offer_list_and_page_show_the_places_left(
    app: FastAPI, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    admin = await make_user(session, world.receiver, clock.now(), role=Role.ORG_ADMIN)
    await _with_capacity(session, world, clock, 1)
    async with signed_in(app, admin.email) as client:
        listed = visible_text((await client.get("/offers")).text)
        page = await client.get(f"/offers/{world.offer.id}")
    assert "Complète (1)" in listed
    assert "Offre complète : aucune place restante sur 1" in visible_text(page.text)
    async with signed_in(app, world.referrer.email) as client:
        catalogue = visible_text((await client.get("/referrals/new")).text)
    assert "complète (1 place)" in catalogue


async def test_accepting_beyond_capacity_in_a_browser(
    page: Page,
    axe_script: Path,
    world: World,
    session: AsyncSession,
    clock: FixedClock,
    screenshots: Path,
) -> None:
    _, second = await _with_capacity(session, world, clock, 1)
    await sign_in(page, world.receiver_member.email)
    await page.goto(f"/referrals/{second}")
    await page.get_by_text("Accepter", exact=True).first.click()
    await expect(page.get_by_text("L'offre est complète")).to_be_visible()
    await check_accessible(page, axe_script)
    await page.get_by_label("Accepter au-delà de la capacité de l'offre").check()
    await page.get_by_label("Pourquoi accepter au-delà de la capacité").fill(
        "Une place se libère lundi."
    )
    await page.get_by_role("button", name="Accepter").click()
    await page.wait_for_load_state()
    await expect(
        page.get_by_text("au-delà de la capacité de l'offre : « Une place se libère lundi. »")
    ).to_be_visible()
    await capture(page, screenshots, "accept-beyond-capacity")
