"""The pages' markup for a phone (issue 17, point 5): tables whose cells carry their
column's name, the menu behind a button its own script opens, a strict policy kept."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from tests.factories import World
from tests.web.dashboard_helpers import signed_in
from tests.web.http_pages import page_client, submitted_referral

MENU = re.compile(r'<nav class="main-nav".*?</nav>', re.S)
BUTTON = re.compile(r"<button[^>]*>Menu</button>")


async def test_the_inbox_labels_each_cell_with_its_column(
    app: FastAPI, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    referral_id = await submitted_referral(session, world, clock)
    await session.close()
    async with signed_in(app, world.receiver_member.email) as client:
        page = await client.get("/inbox")
    assert page.status_code == 200
    table = page.text.split("<table", 1)[1].split("</table>", 1)[0]
    assert table.startswith(' class="stacked">')
    assert '<th scope="col">À faire</th>' in table  # the header stays for screen readers
    row = table.split("<tbody>", 1)[1]
    assert f'<td data-label="Dossier"><a class="nowrap" href="/referrals/{referral_id}">' in row
    assert '<td data-label="À faire">Accepter ou retourner' in row
    assert re.findall(r"<td\b[^>]*>", row) == [
        f'<td data-label="{label}">' for label in ("Échéance", "Dossier", "Objet", "À faire")
    ]


async def test_the_dashboard_s_late_cases_say_how_late_on_a_card(
    app: FastAPI, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    await submitted_referral(session, world, clock)
    await session.close()
    clock.set(clock.now() + timedelta(weeks=3))
    async with signed_in(app, world.coordinator.email) as client:
        page = await client.get("/dashboard")
    assert page.status_code == 200
    assert re.search(
        r'<td data-label="Retard"><span class="badge badge-late">\d+ jours ouvrés</span></td>',
        page.text,
    )
    assert 'id="graphique-tendance-mobile"' in page.text  # the phone's own, narrower chart


async def test_the_menu_hides_behind_a_button_only_its_own_script_opens(
    app: FastAPI, world: World
) -> None:
    async with signed_in(app, world.coordinator.email) as client:
        page = await client.get("/dashboard")
        script = await client.get("/static/menu.js")
    menu = MENU.search(page.text)
    assert menu is not None
    button = BUTTON.search(menu.group(0))
    assert button is not None
    assert 'type="button"' in button.group(0)
    assert 'aria-controls="menu-principal"' in button.group(0)
    # Without the script the menu stays open: the button says so, and CSS shows it only
    # once the script has made the menu collapsible.
    assert 'aria-expanded="true"' in button.group(0)
    assert '<ul id="menu-principal">' in menu.group(0)
    assert '<script src="/static/menu.js" defer></script>' in page.text
    assert "<script>" not in page.text  # no inline script: the policy forbids it
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy
    assert "script-src" not in policy  # scripts fall back to default-src 'self'
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "aria-expanded" in script.text and "collapsible" in script.text


async def test_a_page_without_menu_has_no_menu_button(app: FastAPI) -> None:
    async with page_client(app) as client:
        page = await client.get("/login")
    assert page.status_code == 200
    assert "menu-toggle" not in page.text
