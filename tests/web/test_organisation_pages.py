"""The « Organisations » pages over HTTP: platform admins alone list, create, edit,
deactivate and reactivate organisations; French refusals write nothing (issue 12,
finding 5)."""

from __future__ import annotations

from html import unescape

from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Offer, Organisation, User
from tests.factories import World
from tests.web.http_pages import page_client, sign_in
from tests.web.pages import Browser, visible_text


async def _signed_in(browser: Browser, email: str) -> None:
    browser.token = await sign_in(browser.client, email)


async def _count(session: AsyncSession) -> int:
    count = await session.scalar(select(func.count(Organisation.id)))
    await session.rollback()
    return count or 0


async def _state(session: AsyncSession, organisation_id: int) -> tuple[bool, bool, bool]:
    """Whether the organisation, its first account and its first offer are active."""
    fresh = {"populate_existing": True}
    organisation = await session.get_one(Organisation, organisation_id, populate_existing=True)
    user = (
        (
            await session.execute(
                select(User)
                .where(User.organisation_id == organisation_id)
                .execution_options(**fresh)
            )
        )
        .scalars()
        .first()
    )
    offer = (
        (
            await session.execute(
                select(Offer)
                .where(Offer.organisation_id == organisation_id)
                .execution_options(**fresh)
            )
        )
        .scalars()
        .first()
    )
    assert user is not None and offer is not None
    state = (organisation.is_active, user.is_active, offer.is_active)
    await session.rollback()
    return state


async def test_only_admins_reach_the_organisation_pages(
    app: FastAPI, world: World, session: AsyncSession
) -> None:
    receiver_id = world.receiver.id
    others = [world.referrer.email, world.coordinator.email]
    admin = world.admin.email
    await session.commit()
    before = await _count(session)
    for user in others:
        async with page_client(app) as client:
            browser = Browser(client)
            await _signed_in(browser, user)
            for path in ("/organisations", "/organisations/new", f"/organisations/{receiver_id}"):
                assert (await browser.get(path)).status_code == 403, path
            created = await browser.post(
                "/organisations/new", {"name": "Nouvelle structure", "kind": "epi"}
            )
            assert created.status_code == 403
            closed = await browser.post(f"/organisations/{receiver_id}/deactivate", {})
            assert closed.status_code == 403
    assert await _count(session) == before
    assert await _state(session, receiver_id) == (True, True, True)
    async with page_client(app) as client:
        browser = Browser(client)
        await _signed_in(browser, admin)
        text = await browser.read("/organisations")
        assert "EPI Paris Centre" in text and "Créer une organisation" in text


async def test_an_admin_creates_and_edits_an_organisation_with_french_errors(
    app: FastAPI, world: World, session: AsyncSession
) -> None:
    admin = world.admin.email
    await session.commit()
    before = await _count(session)
    async with page_client(app) as client:
        browser = Browser(client)
        await _signed_in(browser, admin)
        assert "Nature" in await browser.read("/organisations/new")
        empty = await browser.post("/organisations/new", {"name": "", "kind": "epi"})
        assert empty.status_code == 422, visible_text(empty.text)
        taken = await browser.post(
            "/organisations/new", {"name": "epi paris centre", "kind": "epi", "territory": "paris"}
        )
        assert taken.status_code == 409
        assert "existe déjà" in unescape(visible_text(taken.text))
        assert await _count(session) == before
        created = await browser.post(
            "/organisations/new",
            {"name": "EPI Paris Nord", "kind": "epi", "territory": "paris"},
        )
        assert created.status_code == 303, visible_text(created.text)
        assert "L'organisation est créée" in await browser.read(created.headers["location"])
        new_id = await session.scalar(
            select(Organisation.id).where(Organisation.name == "EPI Paris Nord")
        )
        await session.rollback()
        assert new_id is not None
        assert "EPI Paris Nord" in await browser.read(f"/organisations/{new_id}")
        renamed = await browser.post(
            f"/organisations/{new_id}",
            {"name": "EPI Paris 18", "kind": "epi", "territory": "paris"},
        )
        assert renamed.status_code == 303
        assert "EPI Paris 18" in await browser.read("/organisations")
        assert (await browser.get("/organisations/999999")).status_code == 404
    assert await _count(session) == before + 1


async def test_an_admin_deactivates_and_reactivates_an_organisation(
    app: FastAPI, world: World, session: AsyncSession
) -> None:
    admin = world.admin.email
    receiver_id = world.receiver.id
    own_id = world.admin.organisation_id
    await session.commit()
    async with page_client(app) as client:
        browser = Browser(client)
        await _signed_in(browser, admin)
        listing = await browser.get("/organisations")
        assert f'action="/organisations/{receiver_id}/deactivate"' in listing.text
        assert f'action="/organisations/{own_id}/deactivate"' not in listing.text
        closed = await browser.post(f"/organisations/{receiver_id}/deactivate", {})
        assert closed.status_code == 303
        assert "est désactivée" in await browser.read(closed.headers["location"])
        assert await _state(session, receiver_id) == (False, False, False)
        again = await browser.post(f"/organisations/{receiver_id}/deactivate", {})
        assert again.status_code == 409
        assert "déjà désactivée" in unescape(visible_text(again.text))
        own = await browser.post(f"/organisations/{own_id}/deactivate", {})
        assert own.status_code == 409
        reopened = await browser.post(f"/organisations/{receiver_id}/reactivate", {})
        assert reopened.status_code == 303
        assert await _state(session, receiver_id) == (True, False, False)
