"""The « Comptes » pages over HTTP: admins manage every account, organisation admins their
organisation's; a new account gets the emailed link to choose its password; French
refusals write nothing (issue 12, finding 5)."""

from __future__ import annotations

from html import unescape

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import Role
from core.models import OutboxMessage, User
from tests.factories import World, make_user
from tests.web.http_pages import page_client, sign_in
from tests.web.pages import Browser, visible_text

NEW_EMAIL = "nouvelle.conseillere@ml-paris.fr"


async def _browser_of(client: httpx.AsyncClient, email: str) -> Browser:
    browser = Browser(client)
    browser.token = await sign_in(browser.client, email)
    return browser


async def _accounts(session: AsyncSession) -> dict[str, bool]:
    fresh = select(User).execution_options(populate_existing=True)
    users = (await session.execute(fresh)).scalars().all()
    found = {user.email: user.is_active for user in users}
    await session.rollback()
    return found


async def _reset_emails(session: AsyncSession) -> int:
    count = await session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.message == "account.reset")
    )
    await session.rollback()
    return count or 0


async def test_who_reaches_the_account_pages(
    app: FastAPI, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    org_admin = await make_user(session, world.sender, clock.now(), role=Role.ORG_ADMIN)
    emails = {
        "org_admin": org_admin.email,
        "admin": world.admin.email,
        "member": world.referrer.email,
        "coordinator": world.coordinator.email,
    }
    referrer, outsider = world.referrer.email, world.outsider_member.email
    outsider_id = world.outsider_member.id
    await session.commit()
    before = await _accounts(session)
    for role in ("member", "coordinator"):
        async with page_client(app) as client:
            browser = await _browser_of(client, emails[role])
            for path in ("/accounts", "/accounts/new"):
                assert (await browser.get(path)).status_code == 403, (role, path)
            posted = await browser.post("/accounts/new", {"email": NEW_EMAIL, "role": "member"})
            assert posted.status_code == 403
            assert (await browser.post(f"/accounts/{outsider_id}/deactivate", {})).status_code in (
                403,
                404,
            )
    async with page_client(app) as client:
        browser = await _browser_of(client, emails["org_admin"])
        text = await browser.read("/accounts")
        assert referrer in text and outsider not in text
        assert (await browser.get(f"/accounts/{outsider_id}")).status_code == 404
        assert (await browser.post(f"/accounts/{outsider_id}/deactivate", {})).status_code == 404
        form = await browser.get("/accounts/new")
        assert 'value="admin"' not in form.text and 'name="organisation_id"' not in form.text
        admin_role = await browser.post("/accounts/new", {"email": NEW_EMAIL, "role": "admin"})
        assert admin_role.status_code == 403
    async with page_client(app) as client:
        browser = await _browser_of(client, emails["admin"])
        text = await browser.read("/accounts")
        assert referrer in text and outsider in text
    assert await _accounts(session) == before


async def test_a_new_account_gets_a_link_to_choose_its_password(
    app: FastAPI, world: World, session: AsyncSession
) -> None:
    admin = world.admin.email
    sender_id = world.sender.id
    taken = world.referrer.email
    await session.commit()
    before = await _accounts(session)
    async with page_client(app) as client:
        browser = await _browser_of(client, admin)
        assert "Structure" in await browser.read("/accounts/new")
        refusals = {
            "pas-une-adresse": "member",
            taken: "member",
        }
        for email, role in refusals.items():
            answer = await browser.post(
                "/accounts/new",
                {"email": email, "role": role, "organisation_id": str(sender_id)},
            )
            assert answer.status_code in (409, 422), (email, answer.status_code)
            assert "Créer le compte" in answer.text
        territory = await browser.post(
            "/accounts/new",
            {
                "email": NEW_EMAIL,
                "role": "member",
                "organisation_id": str(sender_id),
                "scope_territory": "paris",
            },
        )
        assert territory.status_code == 422
        assert "Seuls les coordinateurs" in unescape(visible_text(territory.text))
        assert await _accounts(session) == before
        assert await _reset_emails(session) == 0
        created = await browser.post(
            "/accounts/new",
            {
                "email": NEW_EMAIL,
                "full_name": "Awa Diallo",
                "role": "member",
                "organisation_id": str(sender_id),
            },
        )
        assert created.status_code == 303, visible_text(created.text)
        listing = await browser.read(created.headers["location"])
        assert "Un email vient d'être envoyé" in listing and NEW_EMAIL in listing
    assert await _accounts(session) == {**before, NEW_EMAIL: True}
    assert await _reset_emails(session) == 1


async def test_an_org_admin_edits_deactivates_and_reactivates_an_account(
    app: FastAPI, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    org_admin = await make_user(session, world.sender, clock.now(), role=Role.ORG_ADMIN)
    email, own_id = org_admin.email, org_admin.id
    referrer, referrer_id = world.referrer.email, world.referrer.id
    await session.commit()
    async with page_client(app) as client, page_client(app) as victim:
        target = await _browser_of(victim, referrer)
        browser = await _browser_of(client, email)
        assert "Nom et prénom" in await browser.read(f"/accounts/{referrer_id}")
        renamed = await browser.post(
            f"/accounts/{referrer_id}", {"full_name": "Jeanne Martin", "role": "member"}
        )
        assert renamed.status_code == 303, visible_text(renamed.text)
        assert "Jeanne Martin" in await browser.read("/accounts")
        promoted = await browser.post(f"/accounts/{referrer_id}", {"role": "admin"})
        assert promoted.status_code == 403
        own = await browser.post(f"/accounts/{own_id}/deactivate", {})
        assert own.status_code == 409
        closed = await browser.post(f"/accounts/{referrer_id}/deactivate", {})
        assert closed.status_code == 303
        assert "Le compte est désactivé" in await browser.read(closed.headers["location"])
        assert (await _accounts(session))[referrer] is False
        # The deactivated person's open page falls back to the login page.
        fallback = await target.get("/referrals")
        assert fallback.status_code == 303 and fallback.headers["location"].startswith("/login")
        again = await browser.post(f"/accounts/{referrer_id}/deactivate", {})
        assert again.status_code == 409
        reopened = await browser.post(f"/accounts/{referrer_id}/reactivate", {})
        assert reopened.status_code == 303
    assert (await _accounts(session))[referrer] is True
