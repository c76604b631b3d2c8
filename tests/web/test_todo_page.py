"""The page « À traiter » shows the same list as ``GET /api/todo`` (issue 13): an expired
referral is on its referrer's list, late at once; a coordinator sees what waits in their
territory; a progress note is a button of a referral under way."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.business_days import add_business_days
from core.clock import FixedClock
from states import engine
from states.accompaniment import ACCOMPANIMENT
from states.referral import REFERRAL
from states.registry import LIFECYCLES
from tests.api.supervision_helpers import submit
from tests.factories import World, accompany_new_person, actor_of
from tests.web.http_pages import page_client
from tests.web.pages import Browser
from workflows.sweep import sweep_due

PARIS = ZoneInfo("Europe/Paris")
SENT = datetime(2026, 3, 2, 9, tzinfo=PARIS)
EXPIRED = datetime(2026, 3, 30, 9, tzinfo=PARIS)
"""20 business days after ``SENT``: the referral expires unanswered."""


async def test_an_expired_referral_is_on_its_referrers_page_late_at_once(
    app: FastAPI,
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    await session.commit()
    case_id = await submit(sessionmaker, world, world.offer, SENT)
    await sweep_due(sessionmaker, LIFECYCLES, EXPIRED)
    clock.set(EXPIRED)
    async with page_client(app) as client:
        referrer = Browser(client)
        await referrer.log_in(world.referrer)
        text = await referrer.read("/inbox")
    assert "OR-2026-000001" in text
    assert "En retard" in text
    assert "Sans réponse : renvoyer, réorienter ou clôturer l'orientation" in text
    async with page_client(app) as client:
        coordinator = Browser(client)
        await coordinator.log_in(world.coordinator)
        text = await coordinator.read("/inbox")
    assert "Ce qui attend une action dans votre territoire" in text
    assert "OR-2026-000001" in text
    async with page_client(app) as client:
        receiver = Browser(client)
        await receiver.log_in(world.receiver_member)
        text = await receiver.read("/inbox")
    assert "Rien n'attend votre structure" in text
    assert case_id


async def test_a_referral_under_way_offers_its_progress_note(
    app: FastAPI,
    world: World,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    await session.commit()
    case_id = await submit(sessionmaker, world, world.offer, SENT)
    for trigger in ("accept", "start"):
        async with sessionmaker() as writing:
            await engine.fire(
                writing, REFERRAL, case_id, trigger, actor_of(world.receiver_member), {}, SENT
            )
    clock.set(SENT)
    async with page_client(app) as client:
        receiver = Browser(client)
        await receiver.log_in(world.receiver_member)
        text = await receiver.read(f"/referrals/{case_id}")
        buttons = text.count("Faire le point d'étape")
        assert buttons >= 1
        note = {"note-note": "Premier entretien fait, CV en cours."}
        answer = await receiver.post(f"/referrals/{case_id}/actions/note", note)
        assert answer.status_code == 303, answer.text
        text = await receiver.read(f"/referrals/{case_id}")
    # The history has one more line; the case stays under way, its button still there.
    assert text.count("a fait le point d'étape.") == 1
    assert text.count("Faire le point d'étape") == buttons
    assert "en cours" in text


async def test_an_accompaniment_due_for_its_progress_check_is_on_the_referents_page(
    app: FastAPI,
    world: World,
    session: AsyncSession,
    clock: FixedClock,
) -> None:
    person_id = await accompany_new_person(session, world.receiver_member, SENT)
    await session.commit()
    due = add_business_days(SENT, ACCOMPANIMENT.timers["active"][0].business_days)
    async with page_client(app) as client:
        referent = Browser(client)
        await referent.log_in(world.receiver_member)
        clock.set(due - timedelta(seconds=1))
        assert "accompagnement par" not in await referent.read("/inbox")
        clock.set(due)
        text = await referent.read("/inbox")
    assert "Yanis MOREAU — accompagnement par EPI Paris Centre" in text
    assert "Faire le point d'étape de l'accompagnement, ou y mettre fin" in text
    assert person_id
