"""Co-accompanying organisations on the accompaniment's page, in a real browser (issue 14,
point 3): the référent associates the CAF, with the person's consent; the CAF then reads the
page, with nothing to do but withdraw, and once it has, it is back on its list."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from tests.factories import World, accompany_new_person
from tests.web.browser import check_accessible, sign_in, sign_out

PATH = "/accompaniments/1"


async def test_the_referent_associates_a_partner_who_then_withdraws(
    page: Page, session: AsyncSession, world: World, clock: FixedClock, axe_script: Path
) -> None:
    await accompany_new_person(session, world.receiver_member, clock.now())
    referent, partner, partner_name = (
        world.receiver_member.email,
        world.outsider_member.email,
        world.outsider.name,
    )
    await session.commit()

    await sign_in(page, referent)
    await page.goto(PATH)
    section = page.locator(
        "section", has=page.get_by_role("heading", name="Organisations co-accompagnantes")
    )
    await expect(section).to_contain_text("Aucune organisation ne co-accompagne la personne.")
    # Nobody to withdraw yet: that action is not offered.
    await expect(page.locator("form[action$='/actions/remove_partner']")).to_have_count(0)

    label = "Associer une organisation co-accompagnante"
    await page.locator("details.action summary", has_text=label).click()
    form = page.locator("form[action$='/actions/add_partner']")
    await form.get_by_label(re.compile("^Organisation co-accompagnante")).select_option(
        label=partner_name
    )
    consent = form.get_by_label(re.compile("La personne a donné son accord"))
    # The person's consent is required: the browser does not send the form without it.
    await expect(consent).to_have_attribute("required", "")
    await consent.check()
    await check_accessible(page, axe_script)
    await form.get_by_role("button", name=label).click()
    await expect(page.get_by_text("Organisation co-accompagnante associée.")).to_be_visible()
    section = page.locator(
        "section", has=page.get_by_role("heading", name="Organisations co-accompagnantes")
    )
    await expect(section).to_contain_text(partner_name)
    await sign_out(page)

    await sign_in(page, partner)
    await page.goto(PATH)
    await expect(page.get_by_role("heading", level=1)).to_contain_text("AP-2026-000001")
    await expect(page.get_by_text("Yanis MOREAU")).not_to_have_count(0)
    actions = page.locator("aside.case-actions form")
    await expect(actions).to_have_count(1)
    await check_accessible(page, axe_script)
    withdraw = "Mettre fin à un co-accompagnement"
    await page.locator("details.action summary", has_text=withdraw).click()
    withdrawal = page.locator("form[action$='/actions/remove_partner']")
    # Its own name is the only one it may choose.
    choices = withdrawal.get_by_label(re.compile("^Organisation co-accompagnante"))
    await expect(choices.locator("option")).to_have_text(["— Choisir —", partner_name])
    await choices.select_option(label=partner_name)
    await withdrawal.get_by_role("button", name=withdraw).click()
    await expect(page).to_have_url(re.compile(r"/accompaniments$"))
    await expect(page.get_by_text("AP-2026-000001")).to_have_count(0)
