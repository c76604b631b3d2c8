"""A referral's page in Chromium at 360 and 1280 px, with axe-core: its history in sentences,
each state with its own badge colour, every state of every lifecycle shown beside them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.async_api import Browser, ViewportSize
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from services import cases
from states.referral import REFERRAL
from states.registry import LIFECYCLES
from tests.factories import World, actor_of
from tests.web.browser import DESKTOP, PHONE, capture, check_accessible, fits_the_width, sign_in
from tests.web.http_pages import submitted_referral

EVERY_STATE = sorted(
    {
        (state, label)
        for lifecycle in LIFECYCLES.values()
        for state, label in lifecycle.state_labels.items()
    }
)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1280"])
async def test_a_case_history_with_every_badge_fits_and_passes_axe(
    viewport: ViewportSize,
    browser: Browser,
    live_server: str,
    axe_script: Path,
    screenshots: Path,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    world: World,
) -> None:
    referral_id = await submitted_referral(session, world, clock)
    receiver, referrer = actor_of(world.receiver_member), actor_of(world.referrer)
    steps = [
        (receiver, "return", {"reason": "missing_information", "comment": "Il manque le CV."}),
        (referrer, "resubmit", {"reply": "Le CV est au dossier."}),
        (receiver, "accept", {}),
        (receiver, "start", {}),
    ]
    for actor, trigger, fields in steps:
        async with sessionmaker() as acting:
            payload = REFERRAL.transition(trigger).payload.model_validate(fields)
            await cases.fire_only(
                acting, REFERRAL, actor, referral_id, trigger, payload, clock.now()
            )
    context = await browser.new_context(
        base_url=live_server, viewport=viewport, locale="fr-FR", bypass_csp=True
    )
    page = await context.new_page()
    try:
        await sign_in(page, world.referrer.email)
        await page.goto(f"/referrals/{referral_id}?fait=start")
        timeline = page.locator("ol.timeline")
        for state in ("submitted", "returned", "accepted", "in_progress"):
            assert await timeline.locator(f".state-{state}").count() >= 1, state
        # Every other state's badge, as the history would show it, checked on the same page.
        await page.evaluate(
            """(states) => {
                const line = document.createElement('li');
                for (const [state, label] of states) {
                    const badge = document.createElement('span');
                    badge.className = 'state state-' + state;
                    badge.textContent = label;
                    line.append(badge, ' ');
                }
                document.querySelector('ol.timeline').append(line);
            }""",
            json.loads(json.dumps(EVERY_STATE)),
        )
        width = viewport["width"]
        assert await fits_the_width(page), f"the case page scrolls sideways at {width} px"
        await check_accessible(page, axe_script)
        await capture(page, screenshots, f"case-history-{width}")
    finally:
        await context.close()
