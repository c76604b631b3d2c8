"""« Mon compte » over HTTP: a person keeps their name and work phone there, an admin on the
account's page; a phone that is not French comes back in French, nothing written; an emptied
field is cleared (issue 14, point 6)."""

from __future__ import annotations

from html import unescape

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import User
from tests.factories import World
from tests.web.http_pages import page_client
from tests.web.pages import Browser, visible_text
from web.form_messages import PHONE


async def _contact_of(session: AsyncSession, user_id: int) -> tuple[str | None, str | None]:
    user = (await session.execute(select(User).where(User.id == user_id))).scalar_one()
    found = (user.full_name, user.work_phone)
    await session.rollback()
    return found


async def test_a_person_keeps_their_contact_details_on_their_account_page(
    app: FastAPI, world: World, session: AsyncSession
) -> None:
    user_id = world.referrer.id
    await session.commit()
    async with page_client(app) as client:
        browser = Browser(client)
        await browser.log_in(world.referrer)
        page = await browser.read("/account")
        assert "Vos coordonnées professionnelles" in page
        assert "Téléphone professionnel —" in page

        saved = await browser.post(
            "/account/contact", {"full_name": "Suzanne Lenglen", "work_phone": "+33 1 44 52 10 20"}
        )
        assert saved.status_code == 303, visible_text(saved.text)
        page = await browser.read(saved.headers["location"])
        assert "Vos coordonnées sont enregistrées." in page
        assert "Nom Suzanne Lenglen" in page and "Téléphone professionnel 01 44 52 10 20" in page
        assert await _contact_of(session, user_id) == ("Suzanne Lenglen", "01 44 52 10 20")

        refused = await browser.post(
            "/account/contact", {"full_name": "Suzanne L.", "work_phone": "44 52 10"}
        )
        assert refused.status_code == 422
        assert PHONE in unescape(visible_text(refused.text))
        assert await _contact_of(session, user_id) == ("Suzanne Lenglen", "01 44 52 10 20")

        emptied = await browser.post(
            "/account/contact", {"full_name": "Suzanne Lenglen", "work_phone": ""}
        )
        assert emptied.status_code == 303
        assert await _contact_of(session, user_id) == ("Suzanne Lenglen", None)
        forged = await client.post("/account/contact", data={"work_phone": "0144521020"})
        assert forged.status_code == 403
    assert await _contact_of(session, user_id) == ("Suzanne Lenglen", None)


async def test_an_admin_sets_an_account_s_work_phone(
    app: FastAPI, world: World, session: AsyncSession
) -> None:
    user_id = world.referrer.id
    await session.commit()
    async with page_client(app) as client:
        browser = Browser(client)
        await browser.log_in(world.admin)
        form = await browser.read(f"/accounts/{user_id}")
        assert "Téléphone professionnel" in form
        saved = await browser.post(
            f"/accounts/{user_id}", {"role": "member", "work_phone": "01.53.00.00.00"}
        )
        assert saved.status_code == 303, visible_text(saved.text)
        assert await _contact_of(session, user_id) == (None, "01 53 00 00 00")
        cleared = await browser.post(f"/accounts/{user_id}", {"role": "member", "work_phone": ""})
        assert cleared.status_code == 303, visible_text(cleared.text)
    assert await _contact_of(session, user_id) == (None, None)
