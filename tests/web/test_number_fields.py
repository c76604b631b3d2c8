"""Issue 12, finding 10 (b): a number field of a form that is not a plain number is refused
with the French 422 page, never a 500.

``"²".isdigit()`` is true and ``int("²")`` fails; a number of 5,000 digits is beyond what
``int()`` converts from text. Each form of the pages that has a number field is posted with
both, by a user who may submit it, and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import DecisionKind, PlanAxis, Role
from core.models import ActionItem, Decision, Handover, Meeting, Offer, Referral, User
from services import decision_service
from tests.conftest import PARIS
from tests.factories import (
    World,
    accompany_new_person,
    actor_of,
    make_committee,
    make_meeting,
    make_user,
)
from tests.web.http_pages import page_client
from tests.web.pages import Browser, visible_text
from web.form_messages import CHOICE, WHOLE_NUMBER

NOT_NUMBERS = {  # what is typed -> what the page says of it (an id is chosen from a list)
    "superscript": ("²", WHOLE_NUMBER),
    "huge": ("9" * 5000, "Saisissez un nombre inférieur ou égal à"),
}
COMING = datetime(2026, 3, 5, 14, 0, tzinfo=PARIS)


@dataclass(frozen=True)
class Cast:
    """Who submits each form, and the records the forms are about."""

    users: dict[str, User]
    committee_id: int
    meeting_id: int
    decision_id: int
    offer_id: int
    person_id: int


@pytest.fixture
async def cast(session: AsyncSession, world: World, clock: FixedClock) -> Cast:
    """A committee of the sender and the receiver with a meeting to come, a decision proposed
    to it, a person the sender accompanies, a secretary and the receiver's administrator."""
    now = clock.now()
    committee = await make_committee(session, now, members=(world.sender, world.receiver))
    meeting = await make_meeting(session, committee, COMING)
    secretary = await make_user(session, world.coordination, now, role=Role.SECRETARY)
    org_admin = await make_user(session, world.receiver, now, role=Role.ORG_ADMIN)
    person_id = await accompany_new_person(session, world.referrer, now)
    view = await decision_service.propose_decision(
        session,
        actor_of(world.referrer),
        committee_id=committee.id,
        title="Forum de l'emploi du 19e",
        description="Organiser un forum de recrutement avec les SIAE.",
        kind=DecisionKind.ACTION_PLAN,
        axis=PlanAxis("2.1"),
        now=now,
    )
    await session.commit()
    return Cast(
        users={"member": world.referrer, "secretary": secretary, "org_admin": org_admin},
        committee_id=committee.id,
        meeting_id=meeting.id,
        decision_id=view.case.id,
        offer_id=world.offer.id,
        person_id=person_id,
    )


@dataclass(frozen=True)
class NumberForm:
    """A form with a number field: who submits it, where, its other fields, the number's."""

    who: str
    path: str
    fields: dict[str, str]
    number: str


def _form(name: str, cast: Cast, world: World) -> NumberForm:
    decision = f"/decisions/{cast.decision_id}"
    offer = {"title": "Atelier numérique", "category": "numerique", "territory": "paris"}
    handover = {"reason": "Passage vers un accompagnement global", "consent": "on"}
    forms = {
        "referral": NumberForm("member", "/referrals/new",
            {"person_first_name": "Zoé", "person_last_name": "Quatremer", "consent": "on",
             "motive": "Premier emploi"}, "offer_id"),
        "handover_person": NumberForm("member", "/handovers/new",
            {**handover, "to_organisation_id": str(world.receiver.id)}, "person_id"),
        "handover_organisation": NumberForm("member", "/handovers/new",
            {**handover, "person_id": str(cast.person_id)}, "to_organisation_id"),
        "decision": NumberForm("member", "/decisions/new",
            {"title": "Forum", "description": "Un forum.", "kind": "action_plan", "axis": "2.1"},
            "committee_id"),
        "action_item": NumberForm("secretary", f"{decision}/action-items",
            {"assign-title": "Réserver la salle", "assign-due_on": "2026-04-30"},
            "assign-owner_organisation_id"),
        "decision_schedule": NumberForm("secretary", f"{decision}/actions/schedule", {},
            "schedule-meeting_id"),
        "new_offer": NumberForm("org_admin", "/offers/new", offer, "organisation_id"),
        "offer": NumberForm("org_admin", f"/offers/{cast.offer_id}", offer, "reminder_days"),
        "new_meeting": NumberForm("secretary", f"/committees/{cast.committee_id}/meetings",
            {"planning-starts_at": "2026-03-19T14:00", "planning-place": "Mairie du 19e"},
            "planning-duration_minutes"),
        "meeting": NumberForm("secretary", f"/meetings/{cast.meeting_id}",
            {"edit-starts_at": "2026-03-05T14:00", "edit-place": "Hôtel de Ville"},
            "edit-duration_minutes"),
    }  # fmt: skip
    return forms[name]


FORMS = [
    "referral",
    "handover_person",
    "handover_organisation",
    "decision",
    "action_item",
    "decision_schedule",
    "new_offer",
    "offer",
    "new_meeting",
    "meeting",
]


async def _counts(sessionmaker: async_sessionmaker[AsyncSession]) -> list[int]:
    """How many referrals, handovers, decisions, action items, offers and meetings exist."""
    tables = (Referral, Handover, Decision, ActionItem, Offer, Meeting)
    async with sessionmaker() as session:
        return [
            int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for table in tables
        ]


@pytest.mark.parametrize("form_name", FORMS)
@pytest.mark.parametrize(("typed", "message"), NOT_NUMBERS.values(), ids=NOT_NUMBERS.keys())
async def test_a_number_field_that_is_no_number_gets_the_french_422_page(
    app: FastAPI,
    cast: Cast,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    form_name: str,
    typed: str,
    message: str,
) -> None:
    form = _form(form_name, cast, world)
    before = await _counts(sessionmaker)
    async with page_client(app) as client:
        browser = Browser(client)
        await browser.log_in(cast.users[form.who])
        answer = await browser.post(form.path, {**form.fields, form.number: typed})

    assert answer.status_code == 422, visible_text(answer.text)[:300]
    assert answer.headers["content-type"].startswith("text/html")
    text = visible_text(answer.text)
    assert "erreur dans le formulaire" in text or "erreurs dans le formulaire" in text
    if f'type="hidden" name="{form.number}"' not in answer.text:  # a field one can see
        assert (CHOICE if form.number.endswith("_id") else message) in text
    assert await _counts(sessionmaker) == before
