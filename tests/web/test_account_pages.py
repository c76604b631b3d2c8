"""« Mon compte » over HTTP: everyone changes their own password there; French refusals
write nothing; a change ends every session and leads to the login page with a notice
(issue 12, finding 5)."""

from __future__ import annotations

from html import unescape

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import User
from tests.factories import PASSWORD, World
from tests.web.http_pages import page_client
from tests.web.pages import Browser, visible_text

NEW_PASSWORD = "trois-pommes-sur-un-velo"


async def _signs_in(app: FastAPI, email: str, password: str) -> bool:
    """Whether the login form accepts ``password``, from a fresh browser."""
    async with page_client(app) as client:
        page = await client.get("/login")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        answer = await client.post(
            "/login", data={"csrf_token": token, "email": email, "password": password}
        )
        return answer.status_code == 303


async def _hash_of(session: AsyncSession, user_id: int) -> str:
    hashed = (await session.execute(select(User).where(User.id == user_id))).scalar_one()
    value: str = hashed.hashed_password
    await session.rollback()
    return value


def _change(current: str, new: str, confirmation: str | None = None) -> dict[str, str]:
    return {
        "current_password": current,
        "new_password": new,
        "confirmation": new if confirmation is None else confirmation,
    }


async def test_the_account_page_is_for_every_signed_in_person(
    app: FastAPI, world: World, session: AsyncSession
) -> None:
    await session.commit()
    async with page_client(app) as client:
        anonymous = await client.get("/account")
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/login?next=")
        browser = Browser(client)
        await browser.log_in(world.coordinator)
        text = await browser.read("/account")
        assert "Mon compte" in text and "Changer de mot de passe" in text
        assert world.coordinator.email in text
        landing = await browser.get("/")
        assert 'href="/account"' in (await browser.get(landing.headers["location"])).text


async def test_refusals_are_french_and_change_nothing(
    app: FastAPI, world: World, session: AsyncSession
) -> None:
    user = world.referrer
    email, user_id = user.email, user.id
    await session.commit()
    async with page_client(app) as client:
        browser = Browser(client)
        await browser.log_in(user)
        before = await _hash_of(session, user_id)
        refusals = {
            "Le mot de passe actuel est incorrect": _change("pas-le-bon-mot", NEW_PASSWORD),
            "ne sont pas identiques": _change(PASSWORD, NEW_PASSWORD, "autre-chose-encore"),
            "au moins 12 caractères": _change(PASSWORD, "onze-signes"),
            "différent de l'actuel": _change(PASSWORD, PASSWORD),
            "Saisissez votre mot de passe actuel": _change("", NEW_PASSWORD),
        }
        for reason, form in refusals.items():
            answer = await browser.post("/account/password", form)
            assert answer.status_code == 422, (reason, answer.status_code)
            assert reason in unescape(visible_text(answer.text)), reason
        forged = await client.post("/account/password", data=_change(PASSWORD, NEW_PASSWORD))
        assert forged.status_code == 403
        # Still signed in, still the same password.
        assert (await browser.get("/account")).status_code == 200
    assert await _hash_of(session, user_id) == before
    assert await _signs_in(app, email, PASSWORD)


async def test_a_change_ends_every_session_and_leads_to_the_login_page(
    app: FastAPI, world: World, session: AsyncSession
) -> None:
    user = world.referrer
    email = user.email
    await session.commit()
    async with page_client(app) as client, page_client(app) as other_device:
        elsewhere = Browser(other_device)
        await elsewhere.log_in(user)
        browser = Browser(client)
        await browser.log_in(user)
        changed = await browser.post("/account/password", _change(PASSWORD, NEW_PASSWORD))
        assert changed.status_code == 303, visible_text(changed.text)
        assert changed.headers["location"] == "/login?notice=changed"
        login = await client.get(changed.headers["location"])
        assert login.status_code == 200
        assert "Votre mot de passe a été changé" in unescape(visible_text(login.text))
        for device in (client, other_device):
            again = await device.get("/account")
            assert again.status_code == 303 and again.headers["location"].startswith("/login")
    assert not await _signs_in(app, email, PASSWORD)
    assert await _signs_in(app, email, NEW_PASSWORD)
