"""The committees' secretariat on the pages (issue 17, point 6): deciding an item is shown
disabled with its reason until the meeting starts, and enabled from that instant (the server
refusing as before); the secretariat's « À faire » lists exactly the meetings to plan, the
minutes to write and the decisions to record; buttons speak the states' words."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from html import unescape

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import Role
from core.models import User
from services.secretariat import secretariat_todo
from states.decision import DECISION
from tests.conftest import PARIS
from tests.factories import (
    World,
    actor_of,
    auth_headers,
    make_committee,
    make_decision,
    make_meeting,
    make_user,
)
from tests.web.http_pages import page_client
from tests.web.pages import Browser, visible_text

MEETING_AT = datetime(2026, 3, 5, 14, 0, tzinfo=PARIS)
DECIDING = {"approve": "Adopter", "reject": "Rejeter", "adjourn": "Ajourner"}
REASON = "La réunion n'a pas encore eu lieu : possible à partir du jeudi 5 mars 2026 à 14 h."
SECOND = timedelta(seconds=1)


async def _secretary(session: AsyncSession, world: World) -> User:
    return await make_user(
        session, world.coordination, world.sender.created_at, role=Role.SECRETARY
    )


def _refused_buttons(html: str) -> dict[str, str]:
    """The disabled action buttons of a case page: the id of their reason, by label."""
    return {
        label: reason
        for reason, label in re.findall(
            r'<button type="button" class="button" aria-disabled="true" '
            r'aria-describedby="([\w-]+)">([^<]+)</button>',
            html,
        )
    }


async def test_deciding_is_disabled_with_its_reason_until_the_meeting_starts(
    app: FastAPI, session: AsyncSession, world: World, clock: FixedClock
) -> None:
    secretary = await _secretary(session, world)
    committee = await make_committee(session, clock.now(), members=(world.sender,))
    decision = await make_decision(
        session, committee, world.referrer, MEETING_AT, state="scheduled"
    )
    path = DECISION.case_path(decision.id)
    async with page_client(app) as client:
        clerk = Browser(client)
        await clerk.log_in(secretary)

        clock.set(MEETING_AT - SECOND)
        page = (await clerk.get(path)).text
        # The three share their reason, said once and describing each button.
        assert _refused_buttons(page) == dict.fromkeys(DECIDING.values(), "refusal-approve")
        assert f'<p class="refusal" id="refusal-approve">{REASON}</p>' in unescape(page)
        assert visible_text(page).count(REASON) == 1
        for trigger in DECIDING:
            assert f"/actions/{trigger}" not in page, "no form to send"
        refused = await clerk.post(f"{path}/actions/approve", {})
        assert refused.status_code == 409 and REASON in visible_text(refused.text)
        api = await client.post(
            f"/api/decisions/{decision.id}/approve", json={}, headers=await auth_headers(secretary)
        )
        assert api.status_code == 409 and api.json()["detail"] == REASON
        assert sorted(api.json()["allowed_actions"]) == sorted(DECIDING)

        clock.set(MEETING_AT)
        page = (await clerk.get(path)).text
        assert _refused_buttons(page) == {}
        assert "pas encore eu lieu" not in visible_text(page)
        for trigger, label in DECIDING.items():
            assert f'action="{path}/actions/{trigger}"' in page
            assert f'<button type="submit" class="button">{label}</button>' in page
        adopted = await clerk.post(
            f"{path}/actions/approve", {"approve-decision_text": "Adopté à l'unanimité."}
        )
        assert adopted.status_code == 303
        assert "Décision " + decision.reference + " adoptée" in await clerk.read(path)


def test_each_decision_button_speaks_the_word_of_the_state_it_leads_to() -> None:
    """« Adopter » leads to « adoptée », « Rejeter » to « rejetée »: one vocabulary."""
    for spec in DECISION.transitions:
        verb = spec.label.split()[0].lower()
        state = DECISION.state_labels[spec.dest]
        assert state.startswith(verb[:-2]), (spec.trigger, spec.label, state)


async def test_the_secretariats_to_do_lists_exactly_what_is_due(
    app: FastAPI, session: AsyncSession, world: World, clock: FixedClock
) -> None:
    now = clock.now()
    secretary = await _secretary(session, world)
    pilotage = await make_committee(session, now, name="Comité de pilotage", kind="pilotage")
    await make_decision(session, pilotage, world.referrer, now)  # proposed: waits for a meeting
    technique = await make_committee(session, now, name="Comité technique", kind="technique")
    due = await make_decision(session, technique, world.referrer, now, state="scheduled")
    not_yet = await make_decision(
        session, technique, world.referrer, now + SECOND, state="scheduled"
    )
    await make_committee(
        session, now, name="Groupe projet terminé", kind="projet", ends_on=date(2026, 3, 1)
    )
    await make_committee(
        session, now, name="Groupe projet en cours", kind="projet", ends_on=date(2026, 6, 30)
    )
    territorial = await make_committee(session, now, name="Comité du 19e", kind="territorial")
    await make_meeting(session, territorial, now - timedelta(days=7), minutes="Compte rendu.")
    blank = await make_meeting(session, territorial, now - timedelta(days=14), minutes="")
    actor = actor_of(secretary)

    before = await secretariat_todo(session, actor, now - SECOND)
    assert {item.committee.name for item in before.meetings_to_plan} == {
        "Comité de pilotage",
        "Groupe projet en cours",
        "Comité du 19e",
    }
    assert [meeting.id for meeting in before.minutes_to_write] == [blank.id]
    assert before.decisions_to_record == []

    at = await secretariat_todo(session, actor, now)
    plan = {item.committee.name: item for item in at.meetings_to_plan}
    assert set(plan) == {"Comité de pilotage", "Groupe projet en cours", "Comité du 19e"}
    assert (
        plan["Comité de pilotage"].waiting_items,
        plan["Comité de pilotage"].last_meeting_at,
    ) == (
        1,
        None,
    )
    assert plan["Comité du 19e"].last_meeting_at == now - timedelta(days=7)
    assert [meeting.id for meeting in at.minutes_to_write] == [blank.id, due.meeting_id]
    assert [decision.id for decision in at.decisions_to_record] == [due.id]
    assert at.count == 6

    after = await secretariat_todo(session, actor, now + SECOND)
    assert "Comité technique" in {item.committee.name for item in after.meetings_to_plan}
    assert [decision.id for decision in after.decisions_to_record] == [due.id, not_yet.id]
    assert after.count == 9
    due_reference, later_reference = due.reference, not_yet.reference
    await session.commit()  # the pages write (the login): no reading transaction left open

    async with page_client(app) as client:
        clerk = Browser(client)
        await clerk.log_in(secretary)
        landing = await client.get("/")
        assert landing.headers["location"] == "/secretariat"
        html = (await clerk.get("/secretariat")).text
        text = await clerk.read("/secretariat")
        assert (
            '<a href="/secretariat" aria-current="page" aria-label="À faire, 6 en attente">'
            'À faire <span class="nav-count">6</span></a>'
        ) in html
        assert '<a href="/actions">Actions</a>' in html
        assert "Réunions à planifier (3)" in text and "Comptes rendus à rédiger (2)" in text
        assert "Décisions à enregistrer (1)" in text and due_reference in text
        assert later_reference not in text and "Groupe projet terminé" not in text

    async with page_client(app) as client:
        member = Browser(client)
        await member.log_in(world.referrer)
        assert (await member.get("/secretariat")).status_code == 403
        menu = (await member.get("/decisions")).text
        assert '<a href="/actions">Actions</a>' in menu and 'href="/secretariat"' not in menu
