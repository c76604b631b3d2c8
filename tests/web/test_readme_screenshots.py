"""The README's screenshots, from the demo data on the tests' fixed clock (so the same pages
come out each time), at 1280 px and on a 360 px phone. Only when asked:

    RELAIS_README_SCREENSHOTS=docs/screenshots RELAIS_BROWSER_TESTS=required \\
        .venv/bin/python -m pytest tests/web/test_readme_screenshots.py

Each page is audited with axe-core on the way, like the journeys.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.settings import Settings
from relais.demo import seed_demo
from services.auth import DEMO_PASSWORD
from tests.factories import PASSWORDS
from tests.web.browser import capture, check_accessible
from tests.web.journeys import VIEWPORTS

TARGET = os.environ.get("RELAIS_README_SCREENSHOTS")

pytestmark = pytest.mark.skipif(
    not TARGET, reason="README screenshots only on demand (RELAIS_README_SCREENSHOTS=<dir>)"
)

SHOTS = {
    "epi-centre@relais-demo.paris": {"inbox": "/inbox"},
    "coordination@relais-demo.paris": {"dashboard": "/dashboard"},
    "mission-locale@relais-demo.paris": {
        "referral-form": "/referrals/new",
        "case-history": "/referrals?box=sent",  # then its first referral
    },
}
"""Per demo account, the screenshots it takes and the page of each."""


async def test_the_readme_screenshots(
    browser: Browser,
    live_server: str,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
    axe_script: Path,
) -> None:
    assert TARGET is not None
    directory = Path(TARGET)
    assert await seed_demo(session, settings, clock, password_helper=PASSWORDS)
    await session.commit()
    await session.close()  # SQLite: no transaction of ours open during the visits
    for size, viewport in VIEWPORTS.items():
        suffix = "" if size == "desktop" else "-phone"
        for email, shots in SHOTS.items():
            context = await browser.new_context(
                base_url=live_server, viewport=viewport, locale="fr-FR", bypass_csp=True
            )
            try:
                page = await context.new_page()
                await page.goto("/login")
                await page.get_by_label("Adresse email professionnelle").fill(email)
                await page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
                await page.get_by_role("button", name="Se connecter").click()
                await expect(page).not_to_have_url(re.compile("/login"))
                for name, path in shots.items():
                    await page.goto(path)
                    if name == "case-history":
                        await page.locator("main table a").first.click()
                        await expect(page.locator("ol.timeline")).to_be_visible()
                    await check_accessible(page, axe_script)
                    if name == "referral-form":  # one screen of it: the offer cards
                        if size == "phone":
                            await page.evaluate(
                                "() => document.getElementById('offer-count').scrollIntoView()"
                            )
                        await page.screenshot(path=str(directory / f"{name}{suffix}.png"))
                    else:
                        await capture(page, directory, f"{name}{suffix}")
            finally:
                await context.close()
