"""The menu counts what waits in « À traiter » (issue 17, point 8), and « Mon compte » lets
coordinators and organisation admins choose their overdue alerts by email.

The count is exactly the list of the « À traiter » page, for the signed-in user's
organisation: 0, 1, then 3 cases; one query per page. The choice is saved, read back, and a
made-up value is refused with what to correct (422).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI
from playwright.async_api import Browser as Chromium
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import EmailPreference, Role
from core.models import User
from services.inbox import count_todo, todo
from tests.api.supervision_helpers import submit
from tests.factories import World, actor_of, auth_headers, make_user
from tests.web.browser import DESKTOP, check_accessible, sign_in
from tests.web.http_pages import page_client
from tests.web.pages import Browser

PARIS = ZoneInfo("Europe/Paris")
SENT = datetime(2026, 3, 2, 9, tzinfo=PARIS)
BADGE = re.compile(
    r'<a href="/inbox"[^>]*aria-label="([^"]*)"[^>]*>'
    r'À traiter <span class="nav-count">(\d+)</span></a>'
)


async def _badge(browser: Browser, path: str = "/referrals?box=received") -> tuple[str, int]:
    answer = await browser.get(path)
    assert answer.status_code == 200
    match = BADGE.search(answer.text)
    assert match is not None, "no count in the menu"
    return match.group(1), int(match.group(2))


async def test_the_menu_counts_the_cases_waiting_on_the_organisation(
    app: FastAPI,
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    await session.commit()
    clock.set(SENT)
    seen: list[tuple[str, int]] = []
    async with page_client(app) as client:
        receiver = Browser(client)
        await receiver.log_in(world.receiver_member)
        seen.append(await _badge(receiver))
        await submit(sessionmaker, world, world.offer, SENT)
        seen.append(await _badge(receiver))
        for _ in range(2):
            await submit(sessionmaker, world, world.offer, SENT)
        seen.append(await _badge(receiver, "/inbox"))
    assert seen == [
        ("À traiter, 0 en attente", 0),
        ("À traiter, 1 en attente", 1),
        ("À traiter, 3 en attente", 3),
    ]
    async with sessionmaker() as fresh:
        actor = actor_of(world.receiver_member)
        assert len(await todo(fresh, actor, SENT)) == await count_todo(fresh, actor, SENT) == 3
        # The referring side awaits nothing: it is the receiver's move.
        assert await count_todo(fresh, actor_of(world.referrer), SENT) == 0


async def test_the_count_is_one_query_per_page(
    app: FastAPI,
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    db_engine: AsyncEngine,
    clock: FixedClock,
) -> None:
    await session.commit()
    clock.set(SENT)
    await submit(sessionmaker, world, world.offer, SENT)
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    async with page_client(app) as client:
        receiver = Browser(client)
        await receiver.log_in(world.receiver_member)
        event.listen(db_engine.sync_engine, "before_cursor_execute", record)
        try:
            await receiver.get("/account")
        finally:
            event.remove(db_engine.sync_engine, "before_cursor_execute", record)
    counts = [sql for sql in statements if "count(" in sql.lower()]
    assert len(counts) == 1, counts


async def test_no_count_for_who_works_no_case(
    app: FastAPI, world: World, session: AsyncSession
) -> None:
    await session.commit()
    async with page_client(app) as client:
        admin = Browser(client)
        await admin.log_in(world.admin)
        answer = await admin.get("/account")
    assert answer.status_code == 200
    assert "nav-count" not in answer.text


async def _preference(sessionmaker: async_sessionmaker[AsyncSession], user_id: int) -> str:
    async with sessionmaker() as session:
        return str(await session.scalar(select(User.email_preference).where(User.id == user_id)))


async def test_a_coordinator_chooses_each_escalation_on_mon_compte(
    app: FastAPI,
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await session.commit()
    async with page_client(app) as client:
        coordinator = Browser(client)
        await coordinator.log_in(world.coordinator)
        before = await coordinator.read("/account")
        refused = await coordinator.post("/account/emails", {"email_preference": "jamais"})
        chosen = await coordinator.post("/account/emails", {"email_preference": "every_escalation"})
        after = await coordinator.read("/account?fait=alertes")
    assert "Alertes de retard par email" in before
    assert refused.status_code == 422
    assert "Alertes de retard par email" in refused.text
    assert (chosen.status_code, chosen.headers["location"]) == (303, "/account?fait=alertes")
    assert "Votre choix d'alertes est enregistré." in after
    assert await _preference(sessionmaker, world.coordinator.id) == "every_escalation"


async def test_a_member_has_no_alerts_to_choose(
    app: FastAPI, world: World, session: AsyncSession
) -> None:
    await session.commit()
    async with page_client(app) as client:
        member = Browser(client)
        await member.log_in(world.referrer)
        text = await member.read("/account")
    assert "Alertes de retard par email" not in text


async def test_the_api_reads_and_changes_the_choice(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    admin = await make_user(session, world.receiver, SENT, role=Role.ORG_ADMIN)
    headers = await auth_headers(admin)
    read = await client.get("/users/me", headers=headers)
    changed = await client.patch(
        "/api/users/me", json={"email_preference": "daily_digest_only"}, headers=headers
    )
    refused = await client.patch("/api/users/me", json={"email_preference": None}, headers=headers)
    wrong = await client.patch("/api/users/me", json={"email_preference": "x"}, headers=headers)
    assert read.json()["email_preference"] == EmailPreference.EVERY_ESCALATION
    assert changed.status_code == 200
    assert changed.json()["email_preference"] == "daily_digest_only"
    assert (refused.status_code, wrong.status_code) == (422, 422)


async def test_the_menu_count_and_the_choice_pass_axe(
    browser: Chromium,
    live_server: str,
    axe_script: Path,
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    await session.commit()
    clock.set(SENT)
    await make_user(session, world.receiver, SENT, role=Role.ORG_ADMIN, email="dir@epi-test.fr")
    await submit(sessionmaker, world, world.offer, SENT)
    context = await browser.new_context(
        base_url=live_server, viewport=DESKTOP, locale="fr-FR", bypass_csp=True
    )
    page = await context.new_page()
    try:
        await sign_in(page, "dir@epi-test.fr")
        await page.goto("/account")
        link = page.get_by_role("link", name="À traiter, 1 en attente")
        assert await link.count() == 1
        assert await page.get_by_role("combobox", name="Alertes de retard par email").count() == 1
        await check_accessible(page, axe_script)
    finally:
        await context.close()
