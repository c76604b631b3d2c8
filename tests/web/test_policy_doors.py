"""One rule, one answer, whichever door: the menu, the pages and the API agree.

Each permission rule is one ``may_*`` function of ``states.policy``: services apply it, and
pages call it only to choose what to show. So, for every role, a menu entry is shown exactly
when the page behind it answers; and a coordinator may propose a handover on the pages as
through the API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import ReturnReason, Role
from core.models import User
from services import handover_service, referral_service
from services.handover_service import HandoverCreate
from states.referral_fields import ReturnFields
from tests.factories import (
    World,
    accompany_new_person,
    actor_of,
    auth_headers,
    handover_json,
    make_user,
    referral_create,
)
from tests.web.http_pages import page_client
from tests.web.pages import Browser, visible_text

PAGES = (
    "/inbox",
    "/referrals",
    "/referrals/new",
    "/dashboard",
    "/indicators",
    "/handovers",
    "/accompaniments",
    "/committees",
    "/decisions",
    "/actions",
    "/secretariat",
    "/action-plan",
    "/report",
    "/offers",
    "/accounts",
    "/organisations",
    "/access-log",
    "/audit",
)
"""Every page a menu entry may lead to, whatever the role."""

LISTINGS = {"/inbox", "/referrals", "/handovers", "/accompaniments", "/actions"}
"""Pages that list cases: to a role that may see none, they answer an empty list (as the API
does) rather than a refusal."""

MENU = re.compile(r'<nav class="main-nav".*?</nav>', re.S)
HREF = re.compile(r'href="([^"]+)"')
ROLES = ("member", "org_admin", "coordinator", "secretary", "admin", "dpo")


@dataclass
class Cast:
    """One user per role, all but the coordinator in the referring organisation, and the
    references of the cases that organisation is party to."""

    users: dict[str, User]
    references: list[str]


@pytest.fixture
async def cast(session: AsyncSession, clock: FixedClock, world: World) -> Cast:
    now = clock.now()
    users = {
        "member": world.referrer,
        "org_admin": await make_user(session, world.sender, now, role=Role.ORG_ADMIN),
        "coordinator": world.coordinator,
        "secretary": await make_user(session, world.sender, now, role=Role.SECRETARY),
        "admin": await make_user(session, world.sender, now, role=Role.ADMIN),
        "dpo": await make_user(session, world.sender, now, role=Role.DPO),
    }
    referral = await referral_service.create_referral(
        session, actor_of(world.referrer), referral_create(world.offer), now
    )
    # Returned: it awaits the referring organisation (its inbox) and, once late, is overdue.
    await referral_service.fire_referral(
        session, actor_of(world.receiver_member), referral.case.id, "return",
        ReturnFields(reason=ReturnReason.NOT_ELIGIBLE, comment="Hors critères"), now,
    )  # fmt: skip
    person_id = await accompany_new_person(session, world.referrer, now)
    handover = await handover_service.propose_handover(
        session,
        actor_of(world.referrer),
        HandoverCreate(**handover_json(person_id, world.receiver)),
        now,
    )
    references = [referral.case.reference, handover.case.reference]
    await session.commit()
    clock.set(now + timedelta(days=30))
    return Cast(users, references)


def menu_paths(html: str) -> set[str]:
    """The pages the main menu of ``html`` leads to (without their query)."""
    found = MENU.search(html)
    assert found, "the page has no main menu"
    return {href.split("?")[0] for href in HREF.findall(found.group(0))}


@pytest.mark.parametrize("role", ROLES)
async def test_each_menu_entry_is_shown_exactly_when_its_page_answers(
    app: FastAPI, cast: Cast, role: str
) -> None:
    async with page_client(app) as client:
        browser = Browser(client)
        await browser.log_in(cast.users[role])
        home = await client.get("/")
        assert home.status_code == 303
        landing = await browser.get(home.headers["location"])
        assert landing.status_code == 200, (role, home.headers["location"])
        shown = menu_paths(landing.text)
        assert home.headers["location"].split("?")[0] in shown, role
        assert shown <= set(PAGES), shown - set(PAGES)
        for path in PAGES:
            answer = await browser.get(path)
            if path in shown:
                assert answer.status_code == 200, (role, path, answer.status_code)
                assert menu_paths(answer.text) == shown, (role, path)
            elif path in LISTINGS and answer.status_code == 200:
                text = visible_text(answer.text)
                leaked = [reference for reference in cast.references if reference in text]
                assert not leaked, (role, path, "hidden from the menu, yet lists", leaked)
            else:
                assert answer.status_code in (403, 404), (role, path, answer.status_code)


async def test_the_cases_a_menu_leads_to_are_listed_there(app: FastAPI, cast: Cast) -> None:
    """The listings a member's and a coordinator's menus show hold the cases (so that the
    previous test's "lists nothing" is not true of every listing)."""
    for role in ("member", "coordinator"):
        async with page_client(app) as client:
            browser = Browser(client)
            await browser.log_in(cast.users[role])
            referrals = await browser.read("/referrals")
            handovers = await browser.read("/handovers")
            assert cast.references[0] in referrals and cast.references[1] in handovers, role
    async with page_client(app) as client:
        browser = Browser(client)
        await browser.log_in(cast.users["member"])
        assert cast.references[0] in await browser.read("/inbox")


async def test_a_coordinator_proposes_a_handover_on_the_pages_as_through_the_api(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock, world: World
) -> None:
    """The coordination's own organisation accompanies persons like any other: the API let
    a coordinator propose their handover while the pages refused it."""
    now = clock.now()
    by_api = await accompany_new_person(session, world.coordinator, now)
    by_page = await accompany_new_person(session, world.coordinator, now)
    receiver_id = world.receiver.id
    await session.commit()

    answer = await client.post(
        "/api/handovers",
        json=handover_json(by_api, world.receiver),
        headers=await auth_headers(world.coordinator),
    )
    assert answer.status_code == 201, answer.text

    async with page_client(app) as pages:
        browser = Browser(pages)
        await browser.log_in(world.coordinator)
        assert "Proposer un passage de relais" in await browser.read(f"/persons/{by_page}")
        assert "Proposer un passage de relais" in await browser.read("/handovers")
        assert "n'accompagne actuellement aucune personne" not in await browser.read(
            "/handovers/new"
        )
        posted = await browser.post(
            "/handovers/new",
            {
                "person_id": str(by_page),
                "to_organisation_id": str(receiver_id),
                "reason": "Passage vers un accompagnement global",
                "consent": "on",
            },
        )
        assert posted.status_code == 303, visible_text(posted.text)
        assert "Retirer la proposition" in await browser.read(posted.headers["location"])


PAGE_STATUS = {303: 201}
"""A page answers a created case by sending the browser to it."""


async def test_page_and_api_give_every_caller_the_same_answer_on_a_handover_proposal(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock, world: World
) -> None:
    now = clock.now()
    secretary = await make_user(session, world.coordination, now, role=Role.SECRETARY)
    callers = {
        "coordinator of the référent": world.coordinator,
        "member elsewhere": world.referrer,
        "secretary of the référent": secretary,
        "admin of the référent": world.admin,
    }
    for name, user in callers.items():
        person_ids = [await accompany_new_person(session, world.coordinator, now) for _ in "ab"]
        await session.commit()
        api = await client.post(
            "/api/handovers",
            json=handover_json(person_ids[0], world.receiver),
            headers=await auth_headers(user),
        )
        async with page_client(app) as pages:
            browser = Browser(pages)
            await browser.log_in(user)
            page = await browser.post(
                "/handovers/new",
                {
                    **{
                        key: str(value)
                        for key, value in handover_json(person_ids[1], world.receiver).items()
                    },
                    "consent": "on",
                },
            )
        page_status = PAGE_STATUS.get(page.status_code, page.status_code)
        assert page_status == api.status_code, (name, page.status_code, api.status_code)
