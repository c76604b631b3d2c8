"""No page is wider than the screen (issue 17, point 5): every role of the demo visits the
pages of its menu, the forms and case pages its lists link to (one of each kind), on a
360 px phone and a 1280 px desk; none scrolls sideways, none has a serious or critical
accessibility violation. On the phone the menu hides behind its button.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, expect
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.settings import Settings
from relais.demo import seed_demo
from services.auth import DEMO_PASSWORD
from tests.factories import PASSWORDS
from tests.web.browser import DESKTOP, PHONE, fits_the_width, serious_violations

ROLES = {
    "member-sender": "mission-locale@relais-demo.paris",
    "member-receiver": "epi-centre@relais-demo.paris",
    "org_admin": "admin-epi-centre@relais-demo.paris",
    "coordinator": "coordination@relais-demo.paris",
    "secretary": "secretariat@relais-demo.paris",
    "admin": "admin@relais-demo.paris",
    "dpo": "dpo@relais-demo.paris",
}
"""One demo account per role (and both sides of a referral for the partners' members)."""

LINKED = re.compile(
    r"^/(referrals|handovers|accompaniments|decisions|actions|committees|meetings|persons"
    r"|offers|organisations|accounts)/(\d+|new)$|^/report/\d{4}$|^/[a-z-]+/new$"
)
"""The pages a list links to: one case or record page of each kind, and the forms."""


def kind_of(path: str) -> str:
    """``/referrals/12`` and ``/referrals/40`` are the same kind of page; ``/referrals/new``
    is another."""
    return re.sub(r"/\d+", "/{id}", path)


async def _sign_in(page: Page, email: str) -> None:
    await page.goto("/login")
    await page.get_by_label("Adresse email professionnelle").fill(email)
    await page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_load_state()


async def _hrefs(page: Page, selector: str) -> list[str]:
    found: list[str] = await page.eval_on_selector_all(
        selector, "links => links.map(link => link.getAttribute('href'))"
    )
    return [href.split("#")[0] for href in found if href and href.startswith("/")]


async def _menu_opens_with_its_button(page: Page) -> None:
    """On a phone: the menu is closed behind « Menu », the button opens and closes it."""
    button = page.get_by_role("button", name="Menu")
    menu = page.locator("#menu-principal")
    await expect(button).to_be_visible()
    await expect(button).to_have_attribute("aria-expanded", "false")
    await expect(menu).to_be_hidden()
    await button.click()
    await expect(button).to_have_attribute("aria-expanded", "true")
    await expect(menu).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(menu).to_be_hidden()
    await expect(button).to_be_focused()


async def _visit_all(page: Page, axe_script: Path, audited: set[str]) -> list[str]:
    """Visit the menu's pages, then one linked page of each kind; what went wrong. axe-core
    audits each kind of page once per screen size (``audited``: the kinds done)."""
    problems: list[str] = []
    queue = [*await _hrefs(page, ".main-nav a"), "/account"]
    seen_kinds: set[str] = set()
    tried: set[str] = set()
    while queue:
        path = queue.pop(0)
        kind = kind_of(path.split("?")[0])
        if kind in seen_kinds or path in tried or path.endswith((".csv", ".pdf")):
            continue
        tried.add(path)
        response = await page.goto(path)
        if not await fits_the_width(page):
            width = await page.evaluate("() => document.documentElement.scrollWidth")
            problems.append(f"{path} is {width} px wide")
        if response is None or not response.ok:
            # A refusal must fit too, but what it refuses is the policy tests' subject:
            # another page of the same kind is tried if a list links to one.
            continue
        seen_kinds.add(kind)
        if kind not in audited:
            audited.add(kind)
            violations = await serious_violations(page, axe_script)
            problems += [f"{path}: {violations}"] if violations else []
        queue += [href for href in await _hrefs(page, "main a") if LINKED.match(href)]
    assert len(seen_kinds) >= 3, "every role has a menu and pages to visit"
    return problems


async def _check_role(
    browser: Browser,
    live_server: str,
    email: str,
    viewport: ViewportSize,
    axe: tuple[Path, set[str]],
) -> list[str]:
    """Sign ``email`` in on a screen of ``viewport``'s size and visit its pages."""
    context: BrowserContext = await browser.new_context(
        base_url=live_server, viewport=viewport, locale="fr-FR", bypass_csp=True
    )
    context.set_default_timeout(20_000)
    try:
        page = await context.new_page()
        await _sign_in(page, email)
        if viewport == PHONE:
            await _menu_opens_with_its_button(page)
        else:
            await expect(page.get_by_role("button", name="Menu")).to_be_hidden()
            await expect(page.locator("#menu-principal")).to_be_visible()
        problems = await _visit_all(page, *axe)
        return [f"{viewport['width']} px, {email}, {problem}" for problem in problems]
    finally:
        await context.close()


async def test_no_page_of_any_role_is_wider_than_a_phone_or_a_desk(
    browser: Browser,
    live_server: str,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
    axe_script: Path,
) -> None:
    """Every page of every role is measured at both sizes; axe-core audits each kind of
    page once at each size (a kind's markup is the same whoever reads it)."""
    assert await seed_demo(session, settings, clock, password_helper=PASSWORDS)
    await session.commit()
    await session.close()  # SQLite: no transaction of ours open during the visits
    problems = []
    audited: dict[int, set[str]] = {PHONE["width"]: set(), DESKTOP["width"]: set()}
    for email in ROLES.values():
        # Both sizes at once, each in its own browser profile: while the browser lays out
        # one page the server renders the other's (the visits are otherwise waits).
        found = await asyncio.gather(
            *(
                _check_role(
                    browser, live_server, email, viewport, (axe_script, audited[viewport["width"]])
                )
                for viewport in (PHONE, DESKTOP)
            )
        )
        problems += [problem for checked in found for problem in checked]
    assert problems == []
