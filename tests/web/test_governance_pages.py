"""The governance pages: committees, meetings, decisions, action items, the action plan."""

from __future__ import annotations

import re
from datetime import datetime

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import Role
from core.models import User
from services import decision_service
from tests.conftest import PARIS
from tests.factories import World, actor_of, make_committee, make_meeting, make_user
from tests.web.http_pages import page_client
from tests.web.pages import Browser, visible_text

MEETING_AT = datetime(2026, 3, 5, 14, 0, tzinfo=PARIS)
AFTER_MEETING = datetime(2026, 3, 5, 18, 0, tzinfo=PARIS)


async def _governance(session: AsyncSession, world: World) -> tuple[dict[str, int], User]:
    """A comité technique with two members, a meeting to come and one past; a secretary.

    Returns the ids of the committee, the meetings and the receiving organisation, and the
    secretary.
    """
    now = world.sender.created_at
    committee = await make_committee(
        session, now, name="Comité technique du PPIE", members=(world.sender, world.receiver)
    )
    coming = await make_meeting(session, committee, MEETING_AT)
    past = await make_meeting(
        session, committee, datetime(2026, 2, 2, 14, 0, tzinfo=PARIS), place="Salle Saint-Merri"
    )
    secretary = await make_user(session, world.coordination, now, role=Role.SECRETARY)
    ids = {
        "committee": committee.id,
        "meeting": coming.id,
        "past": past.id,
        "receiver": world.receiver.id,
    }
    await session.commit()
    return ids, secretary


async def _signed_in(app: FastAPI, client: httpx.AsyncClient, user: User) -> Browser:
    browser = Browser(client)
    await browser.log_in(user)
    return browser


async def test_committees_and_meetings_render_for_each_role(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    ids, secretary = await _governance(session, world)
    member = await _signed_in(app, client, world.referrer)
    listing = await member.read("/committees")
    assert "Comité technique du PPIE" in listing and "jeudi 5 mars 2026 à 14 h" in listing
    page = await member.read(f"/committees/{ids['committee']}")
    assert "Mission locale de Paris" in page and "EPI Paris Centre" in page
    assert "Salle Saint-Merri" in page and "Planifier une réunion" not in page
    meeting = await member.read(f"/meetings/{ids['meeting']}")
    assert "Suivi du plan d'action" in meeting and "Modifier la réunion" not in meeting
    calendar = await member.get(f"/meetings/{ids['meeting']}/agenda.ics")
    assert calendar.status_code == 200
    assert calendar.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "BEGIN:VEVENT" in calendar.text and "SUMMARY:Comité technique du PPIE" in calendar.text
    assert (await member.get("/meetings/999999")).status_code == 404

    async with page_client(app) as other:
        anonymous = await other.get(f"/meetings/{ids['meeting']}/agenda.ics")
        assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
        clerk = await _signed_in(app, other, secretary)
        page = await clerk.read(f"/committees/{ids['committee']}")
        assert "Planifier une réunion" in page
        assert "Modifier la réunion" in await clerk.read(f"/meetings/{ids['meeting']}")


async def test_the_secretariat_plans_a_meeting_and_edits_its_agenda(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    ids, secretary = await _governance(session, world)
    clerk = await _signed_in(app, client, secretary)
    committee = f"/committees/{ids['committee']}"

    missing = await clerk.post(f"{committee}/meetings", {"planning-starts_at": "2026-04-02T10:00"})
    assert missing.status_code == 422
    assert 'id="planning-place-erreur"' in missing.text
    planned = await clerk.post(
        f"{committee}/meetings",
        {
            "planning-starts_at": "2026-04-02T10:00",
            "planning-duration_minutes": "90",
            "planning-place": "Mairie du 19e",
            "planning-agenda": "Bilan du trimestre",
        },
    )
    assert planned.status_code == 303
    page = await clerk.read(planned.headers["location"])
    assert (
        "Réunion planifiée le jeudi 2 avril 2026 à 10 h. Prochaine étape : inscrire les "
        "propositions à son ordre du jour."
    ) in page
    assert "Bilan du trimestre" in page and "Mairie du 19e" in page

    meeting = f"/meetings/{ids['meeting']}"
    form = (await clerk.get(meeting)).text
    assert 'value="2026-03-05T14:00"' in form
    changed = await clerk.post(
        meeting,
        {
            "edit-starts_at": "2026-03-05T14:00",
            "edit-duration_minutes": "120",
            "edit-place": "Hôtel de Ville",
            "edit-agenda": "1. Plan d'action 2026\n2. Examen des situations",
        },
    )
    assert changed.status_code == 303
    assert changed.headers["location"].endswith("?fait=changed")
    moved = await clerk.read(changed.headers["location"])
    assert "Réunion mise à jour ; elle aura lieu le jeudi 5 mars 2026 à 14 h." in moved
    assert "Examen des situations" in await clerk.read(meeting)
    minutes_too_early = await clerk.post(meeting, {"edit-minutes": "Compte rendu"})
    assert minutes_too_early.status_code == 409

    async with page_client(app) as other:
        member = await _signed_in(app, other, world.referrer)
        refused = await member.post(meeting, {"edit-agenda": "Autre chose"})
        assert refused.status_code == 403
    assert "Examen des situations" in await clerk.read(meeting)


async def test_a_decision_is_scheduled_approved_given_an_action_and_published(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    world: World,
) -> None:
    ids, secretary = await _governance(session, world)
    member = await _signed_in(app, client, world.referrer)
    decision = await _propose_a_forum(member, ids)

    async with page_client(app) as other:
        clerk = await _signed_in(app, other, secretary)
        await _schedule_then_approve(clerk, clock, ids, decision)
        action = await _assign_an_action(clerk, ids, decision)
        await _publish_with_the_minutes(clerk, ids, decision)

    async with page_client(app) as third:
        owner = await _signed_in(app, third, world.receiver_member)
        assert "Marquer comme faite" in await owner.read(action)
        done = await owner.post(f"{action}/actions/done", {"done-note": "Salle réservée."})
        assert done.status_code == 303
        assert "Salle réservée." in await owner.read(action)

    await _check_the_action_plan(member)


async def _propose_a_forum(member: Browser, ids: dict[str, int]) -> str:
    """A member proposes a forum on the action plan; the decision's path."""
    form = await member.read(f"/decisions/new?comite={ids['committee']}")
    assert "Examen de situation" not in form
    proposed = await member.post(
        "/decisions/new",
        {
            "committee_id": str(ids["committee"]),
            "title": "Forum de l'emploi du 19e",
            "description": "Organiser un forum de recrutement avec les SIAE.",
            "kind": "action_plan",
            "axis": "2.1",
        },
    )
    assert proposed.status_code == 303
    decision = proposed.headers["location"].split("?")[0]
    page = await member.read(proposed.headers["location"])
    assert "Proposition transmise au secrétariat." in page and "Aucune action possible" in page
    assert "Forum de l'emploi du 19e" in await member.read("/decisions")
    return decision


async def _schedule_then_approve(
    clerk: Browser, clock: FixedClock, ids: dict[str, int], decision: str
) -> None:
    """The secretary schedules it on the coming meeting and approves it once that is held."""
    page = (await clerk.get(decision)).text
    options = re.findall(r'<option value="(\d+)"', page)
    assert options == [str(ids["meeting"])], "only the meetings still to come"
    assert "jeudi 5 mars 2026 à 14 h — Hôtel de Ville" in visible_text(page)
    assert "Aucune réunion à venir" not in visible_text(page)
    scheduled = await clerk.post(
        f"{decision}/actions/schedule", {"schedule-meeting_id": str(ids["meeting"])}
    )
    assert scheduled.status_code == 303
    early = await clerk.post(f"{decision}/actions/approve", {})
    assert early.status_code == 409
    assert "La réunion n'a pas encore eu lieu" in visible_text(early.text)

    clock.set(AFTER_MEETING)
    approved = await clerk.post(
        f"{decision}/actions/approve", {"approve-decision_text": "Forum le 12 mai."}
    )
    assert approved.status_code == 303
    page = await clerk.read(decision)
    assert "adoptée" in page and "Forum le 12 mai." in page and "Attribuer une action" in page


async def _assign_an_action(clerk: Browser, ids: dict[str, int], decision: str) -> str:
    """The secretary gives the receiver an action item (not due in the past); its path."""
    late = await clerk.post(
        f"{decision}/action-items",
        {"assign-owner_organisation_id": str(ids["receiver"]), "assign-title": "Salle",
         "assign-due_on": "2026-03-01"},
    )  # fmt: skip
    assert late.status_code == 422
    assert "L'échéance est déjà passée." in visible_text(late.text)
    assigned = await clerk.post(
        f"{decision}/action-items",
        {"assign-owner_organisation_id": str(ids["receiver"]),
         "assign-title": "Réserver la salle", "assign-due_on": "2026-04-30"},
    )  # fmt: skip
    assert assigned.status_code == 303
    action = assigned.headers["location"].split("?")[0]
    page = await clerk.read(assigned.headers["location"])
    assert "Action attribuée à " in page and "Réserver la salle" in page
    return action


async def _publish_with_the_minutes(clerk: Browser, ids: dict[str, int], decision: str) -> None:
    """Published once the meeting has minutes, which then name the decision."""
    unpublished = await clerk.post(f"{decision}/actions/publish", {})
    assert unpublished.status_code == 409
    minutes = await clerk.post(
        f"/meetings/{ids['meeting']}", {"edit-minutes": "Le forum est adopté."}
    )
    assert minutes.status_code == 303
    assert "Compte rendu enregistré. Prochaine étape : enregistrer les décisions prises, puis " in (
        await clerk.read(minutes.headers["location"])
    )
    assert (await clerk.post(f"{decision}/actions/publish", {})).status_code == 303
    record = await clerk.get(f"/meetings/{ids['meeting']}/minutes.html")
    assert record.status_code == 200
    assert "default-src 'none'" in record.headers["content-security-policy"]
    assert "Forum de l'emploi du 19e" in visible_text(record.text)


async def _check_the_action_plan(member: Browser) -> None:
    """The 2026 action plan lists the forum and its action, as a page and as CSV."""
    plan = await member.read("/action-plan?year=2026")
    assert "2.1 —" in plan and "Forum de l'emploi du 19e" in plan and "Réserver la salle" in plan
    spreadsheet = await member.get("/action-plan.csv?year=2026")
    assert spreadsheet.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        spreadsheet.headers["content-disposition"] == 'attachment; filename="plan-action-2026.csv"'
    )
    assert spreadsheet.headers["cache-control"] == "no-store"
    text = spreadsheet.content.decode("utf-8")
    # The spreadsheet is the year's plan: none was drafted yet, so its header only.
    assert text.splitlines() == [
        "\ufeffSous-axe;Intitulé du sous-axe;Action;Structure pilote;"
        "Échéance;Décision;Indicateur cible;Valeur cible;État du plan"
    ]
    assert "Aucune décision « plan d'action » n'a été adoptée en 2025." in await member.read(
        "/action-plan?year=2025"
    )


async def test_a_proposal_without_its_csrf_token_is_refused(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    ids = (await _governance(session, world))[0]
    member = await _signed_in(app, client, world.referrer)
    answer = await client.post(
        "/decisions/new",
        data={"committee_id": str(ids["committee"]), "title": "T", "description": "D",
              "kind": "other", "axis": "1.1"},
        headers={"Accept": "text/html"},
    )  # fmt: skip
    assert answer.status_code == 403
    assert "Formulaire expiré" in visible_text(answer.text)
    assert "Aucune décision." in await member.read("/decisions")
    page = await decision_service.list_decisions(
        session, actor_of(world.referrer), world.sender.created_at
    )
    assert page.items == []
