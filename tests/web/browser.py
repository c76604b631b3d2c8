"""What the browser tests do often: sign in, check accessibility, take a screenshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Page, ViewportSize

from tests.factories import PASSWORD

BLOCKING_IMPACTS = ("serious", "critical")
PHONE: ViewportSize = {"width": 360, "height": 740}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


async def fits_the_width(page: Page) -> bool:
    """Whether the page shows without scrolling sideways (its tables may scroll inside)."""
    fits: bool = await page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    return fits


async def sign_in(page: Page, email: str) -> None:
    """Sign in through the login form, as a person would."""
    await page.goto("/login")
    await page.get_by_label("Adresse email professionnelle").fill(email)
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_load_state()


async def sign_out(page: Page) -> None:
    """Sign out with the header's button."""
    await page.get_by_role("button", name="Se déconnecter").click()
    await page.wait_for_url("**/login?notice=logged_out")


async def serious_violations(page: Page, axe_script: Path) -> list[dict[str, Any]]:
    """The serious and critical accessibility violations axe-core finds on the page."""
    await page.add_script_tag(path=str(axe_script))
    result = await page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in result["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]


async def check_accessible(page: Page, axe_script: Path) -> None:
    """Fail with axe-core's findings if the page has a serious or critical violation."""
    found = await serious_violations(page, axe_script)
    assert found == [], f"{page.url}: {found}"


async def capture(page: Page, directory: Path, name: str) -> Path:
    """Save a full-page screenshot as ``name.png``."""
    path = directory / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path
