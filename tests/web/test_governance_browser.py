"""The handover and governance pages in Chromium: on a 360 px phone, with axe-core."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from playwright.async_api import Browser, Page
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import DecisionKind, PlanAxis, Role
from core.models import User
from services import cases, decision_service, handover_service
from services.handover_service import HandoverCreate
from states.decision import DECISION, DecideFields, ScheduleFields
from tests.conftest import PARIS
from tests.factories import (
    World,
    accompany_new_person,
    actor_of,
    make_committee,
    make_meeting,
    make_user,
)
from tests.web.browser import PHONE, capture, check_accessible, fits_the_width, sign_in

MEETING_AT = datetime(2026, 3, 5, 14, 0, tzinfo=PARIS)


async def _cases(
    session: AsyncSession, world: World, clock: FixedClock
) -> tuple[dict[str, int], User]:
    """A proposed handover; a committee, two meetings, an adopted decision with an action.

    Returns their ids and the secretary.
    """
    now = clock.now()
    person_id = await accompany_new_person(session, world.referrer, now)
    handover = await handover_service.propose_handover(
        session,
        actor_of(world.referrer),
        HandoverCreate(
            person_id=person_id, to_organisation_id=world.receiver.id, reason="Relais", consent=True
        ),
        now,
    )
    committee = await make_committee(session, now, members=(world.sender, world.receiver))
    meeting = await make_meeting(session, committee, MEETING_AT)
    await make_meeting(session, committee, datetime(2026, 6, 4, 10, 0, tzinfo=PARIS))
    secretary = await make_user(session, world.coordination, now, role=Role.SECRETARY)
    clerk = actor_of(secretary)
    decision = await decision_service.propose_decision(
        session, actor_of(world.referrer), committee_id=committee.id, title="Forum de l'emploi",
        description="Un forum par arrondissement.", kind=DecisionKind.ACTION_PLAN,
        axis=PlanAxis.A2_1, now=now,
    )  # fmt: skip
    await cases.fire_case(
        session, DECISION, clerk, decision.case.id, "schedule",
        ScheduleFields(meeting_id=meeting.id), now,
    )  # fmt: skip
    clock.set(datetime(2026, 3, 5, 18, 0, tzinfo=PARIS))
    await cases.fire_case(
        session, DECISION, clerk, decision.case.id, "approve", DecideFields(), clock.now()
    )
    action = await decision_service.assign_action(
        session, clerk, decision.case.id, owner_organisation_id=world.receiver.id,
        title="Réserver la salle", due_on=datetime(2026, 4, 30).date(), now=clock.now(),
    )  # fmt: skip
    ids = {
        "handover": handover.case.id,
        "person": person_id,
        "committee": committee.id,
        "meeting": meeting.id,
        "decision": decision.case.id,
        "action": action.case.id,
    }
    await session.commit()
    return ids, secretary


async def _visit(page: Page, path: str, axe_script: Path) -> None:
    await page.goto(path)
    assert page.url.endswith(path), page.url
    await page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    fits = await fits_the_width(page)
    wide = await page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth)
            .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)"""
    )
    assert fits, f"{path} must not scroll sideways at 360 px: {wide}"
    await check_accessible(page, axe_script)


async def test_the_pages_fit_a_phone_and_pass_axe_for_each_role(
    browser: Browser,
    live_server: str,
    session: AsyncSession,
    world: World,
    clock: FixedClock,
    axe_script: Path,
    screenshots: Path,
) -> None:
    ids, secretary = await _cases(session, world, clock)
    visits = {
        world.referrer.email: [
            "/handovers",
            "/handovers/new",
            f"/handovers/{ids['handover']}",
            f"/persons/{ids['person']}",
            "/decisions/new",
        ],
        world.receiver_member.email: [f"/handovers/{ids['handover']}", f"/actions/{ids['action']}"],
        secretary.email: [
            "/committees",
            f"/committees/{ids['committee']}",
            f"/meetings/{ids['meeting']}",
            "/decisions",
            f"/decisions/{ids['decision']}",
            "/actions",
            "/action-plan?year=2026",
        ],
    }
    for email, paths in visits.items():
        context = await browser.new_context(
            base_url=live_server, viewport=PHONE, locale="fr-FR", bypass_csp=True
        )
        page = await context.new_page()
        try:
            await sign_in(page, email)
            for path in paths:
                await _visit(page, path, axe_script)
                name = path.strip("/").split("?")[0].replace("/", "-")
                await capture(page, screenshots, f"governance-{name}-phone")
        finally:
            await context.close()
