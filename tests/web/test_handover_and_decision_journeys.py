"""In a real browser: a handover proposed, accepted and confirmed; a decision proposed,
scheduled on a meeting and adopted once the meeting took place (deciding before it is
shown disabled, with when it becomes possible)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from playwright.async_api import Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import Role
from core.models import Accompaniment, Decision
from tests.conftest import PARIS
from tests.factories import World, accompany_new_person, make_committee, make_meeting, make_user
from tests.web.browser import capture, check_accessible, sign_in, sign_out


async def _open_action(page: Page, label: str, trigger: str) -> None:
    await page.locator("details.action summary", has_text=label).click()
    await expect(page.locator(f"form[action$='/actions/{trigger}']")).to_be_visible()


async def test_a_handover_proposed_accepted_and_confirmed(
    page: Page,
    session: AsyncSession,
    world: World,
    clock: FixedClock,
    axe_script: Path,
    screenshots: Path,
) -> None:
    person_id = await accompany_new_person(session, world.referrer, clock.now())
    referent, successor = world.referrer.email, world.receiver_member.email
    successor_name, successor_id = world.receiver.name, world.receiver.id
    await session.commit()

    # The référent proposes the handover.
    await sign_in(page, referent)
    await page.goto("/handovers/new")
    await page.get_by_label("Personne accompagnée").select_option(index=1)  # the only one
    await page.get_by_label(re.compile("^Structure qui prendra")).select_option(
        label=successor_name
    )
    await page.get_by_label(re.compile("^Motif")).fill("Un accompagnement global en EPI.")
    await page.get_by_label(re.compile("J'atteste")).check()
    await check_accessible(page, axe_script)
    await page.get_by_role("button", name="Proposer le passage de relais").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("proposé")
    await sign_out(page)

    # The next organisation accepts, with the date of the first meeting with the person.
    await sign_in(page, successor)
    await page.get_by_role("row", name=re.compile("Yanis MOREAU")).get_by_role("link").click()
    await _open_action(page, "Accepter le relais", "accept")
    form = page.locator("form[action$='/actions/accept']")
    await form.get_by_label("Date de la première rencontre à trois").fill("2026-03-04T10:00")
    await form.get_by_role("button", name="Accepter le relais").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("accepté")
    await expect(page.get_by_text("mercredi 4 mars 2026 à 10 h")).not_to_have_count(0)
    await check_accessible(page, axe_script)
    await capture(page, screenshots, "handover")

    # Confirming before the meeting is shown disabled, with why; after it, the relay is done.
    early = page.get_by_role("button", name=re.compile("^Confirmer"))
    await expect(early).to_have_attribute("aria-disabled", "true")
    await expect(early).to_have_accessible_description(re.compile("pas encore eu lieu"))
    clock.set(datetime(2026, 3, 4, 12, 0, tzinfo=PARIS))
    await page.reload()
    await page.locator("form[action$='/actions/confirm']").get_by_role("button").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("effectué")

    current = await session.scalar(
        select(Accompaniment.organisation_id).where(
            Accompaniment.person_id == person_id, Accompaniment.ended_at.is_(None)
        )
    )
    await session.rollback()
    assert current == successor_id
    await page.goto(f"/persons/{person_id}")
    await expect(page.get_by_role("main")).to_contain_text(successor_name)


async def test_a_decision_scheduled_then_approved_after_its_meeting(
    page: Page,
    session: AsyncSession,
    world: World,
    clock: FixedClock,
    axe_script: Path,
    screenshots: Path,
) -> None:
    committee = await make_committee(
        session, clock.now(), name="Comité technique du PPIE", members=(world.sender,)
    )
    await make_meeting(session, committee, datetime(2026, 3, 5, 14, 0, tzinfo=PARIS))
    secretary = await make_user(session, world.coordination, clock.now(), role=Role.SECRETARY)
    member, clerk, committee_id = world.referrer.email, secretary.email, committee.id
    await session.commit()

    # A partner puts an item forward to the committee.
    await sign_in(page, member)
    await page.goto(f"/decisions/new?comite={committee_id}")
    await page.get_by_label(re.compile("^Intitulé")).fill("Forum de l'emploi du 18e")
    await page.get_by_label(re.compile("^Description")).fill("Un forum emploi par trimestre.")
    await page.get_by_label(re.compile("^Nature")).select_option(label="Plan d'action")
    await page.get_by_label(re.compile("^Axe du plan")).select_option(index=3)
    await page.get_by_role("button", name=re.compile("Proposer")).click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("proposée")
    await sign_out(page)

    # The secretariat schedules it on the committee's next meeting.
    await sign_in(page, clerk)
    await page.goto(f"/committees/{committee_id}")
    await expect(page.get_by_role("main")).to_contain_text("Forum de l'emploi du 18e")
    await check_accessible(page, axe_script)
    await capture(page, screenshots, "committee")
    row = page.get_by_role("row", name=re.compile("Forum de l'emploi du 18e"))
    await expect(row).to_contain_text("proposée")
    await row.get_by_role("link").click()
    await _open_action(page, "Inscrire à l'ordre du jour", "schedule")
    form = page.locator("form[action$='/actions/schedule']")
    await form.get_by_label("Réunion").select_option(index=1)
    await form.get_by_role("button", name="Inscrire à l'ordre du jour").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("inscrite")

    # Before the meeting, deciding is shown disabled with when it becomes possible; the
    # evening after it, the item is adopted.
    early = page.get_by_role("button", name="Adopter")
    await expect(early).to_have_attribute("aria-disabled", "true")
    await expect(early).to_have_accessible_description(
        re.compile("pas encore eu lieu : possible à partir du jeudi 5 mars 2026")
    )
    await expect(page.locator("form[action$='/actions/approve']")).to_have_count(0)
    await check_accessible(page, axe_script)
    clock.set(datetime(2026, 3, 5, 18, 0, tzinfo=PARIS))
    await page.reload()
    await _open_action(page, "Adopter", "approve")
    form = page.locator("form[action$='/actions/approve']")
    await form.get_by_label("Décision prise (quelques lignes)").fill("Adopté à l'unanimité.")
    await form.get_by_role("button", name="Adopter").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("adoptée")
    await check_accessible(page, axe_script)
    await capture(page, screenshots, "decision")

    state = await session.scalar(select(Decision.state))
    await session.rollback()
    assert state == "approved"
