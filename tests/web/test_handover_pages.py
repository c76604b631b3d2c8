"""The handover pages: list, proposal, the case page's actions, a person's history."""

from __future__ import annotations

from datetime import datetime

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from services import handover_service
from services.handover_service import HandoverCreate
from tests.conftest import PARIS
from tests.factories import World, accompany_new_person, actor_of
from tests.web.http_pages import page_client
from tests.web.pages import Browser, visible_text


async def _proposed(session: AsyncSession, world: World, now: datetime) -> tuple[int, int]:
    """A handover of a new person from the sender to the receiver: (handover id, person id)."""
    person_id = await accompany_new_person(session, world.referrer, now)
    data = HandoverCreate(
        person_id=person_id,
        to_organisation_id=world.receiver.id,
        reason="Accompagnement global vers l'emploi",
        consent=True,
    )
    view = await handover_service.propose_handover(session, actor_of(world.referrer), data, now)
    handover_id = view.case.id
    await session.commit()
    return handover_id, person_id


async def test_a_handover_from_proposal_to_confirmation(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    world: World,
) -> None:
    person_id = await accompany_new_person(session, world.referrer, clock.now())
    receiver_id = world.receiver.id
    await session.commit()
    giver = Browser(client)
    await giver.log_in(world.referrer)
    assert "Proposer un passage de relais" in await giver.read(f"/persons/{person_id}")

    path = await _propose_on_the_page(giver, person_id, receiver_id)
    async with page_client(app) as other:
        taker = Browser(other)
        await taker.log_in(world.receiver_member)
        await _accept_then_confirm(taker, clock, path, person_id)

    history = await giver.read(f"/persons/{person_id}")
    assert "Référent actuel : EPI Paris Centre" in history
    assert "Mission locale de Paris" in history
    assert "Par un passage de relais" in history
    assert "Proposer un passage de relais" not in history
    assert "n'accompagne actuellement aucune personne" in await giver.read("/handovers/new")


async def _propose_on_the_page(giver: Browser, person_id: int, receiver_id: int) -> str:
    """The referent proposes the person to the EPI through the form; the handover's path."""
    form = await giver.read("/handovers/new")
    assert "Yanis MOREAU" in form
    assert "EPI Paris Centre" in form
    assert "Mission locale de Paris" not in form.split("Structure qui prendra le relais")[1]
    answer = await giver.post(
        "/handovers/new",
        {
            "person_id": str(person_id),
            "to_organisation_id": str(receiver_id),
            "reason": "Besoin d'un accompagnement global",
            "consent": "on",
        },
    )
    assert answer.status_code == 303
    path = answer.headers["location"].split("?")[0]
    page = await giver.read(answer.headers["location"])
    assert "Passage de relais proposé à EPI Paris Centre." in page
    assert "Proposé" in page or "proposé" in page
    assert "Retirer la proposition" in page
    assert "Accepter le relais" not in page
    sent = await giver.read("/handovers")
    assert "Passages de relais proposés" in sent and "Yanis MOREAU" in sent
    return path


async def _accept_then_confirm(
    taker: Browser, clock: FixedClock, path: str, person_id: int
) -> None:
    """The EPI accepts with a first meeting, and confirms once the meeting has taken place."""
    received = await taker.read("/handovers")
    assert path.rsplit("/", 1)[1] in (await taker.get("/handovers")).text
    assert "Yanis MOREAU" in received
    page = await taker.read(path)
    assert "Accepter le relais" in page and "Refuser le relais" in page
    answer = await taker.post(
        f"{path}/actions/accept", {"accept-first_meeting_at": "2026-03-04T10:00"}
    )
    assert answer.status_code == 303
    assert "mercredi 4 mars 2026 à 10 h" in await taker.read(path)

    early = await taker.post(f"{path}/actions/confirm", {})
    assert early.status_code == 409
    assert "pas encore eu lieu" in visible_text(early.text)

    clock.set(datetime(2026, 3, 4, 12, 0, tzinfo=PARIS))
    done = await taker.post(f"{path}/actions/confirm", {})
    assert done.status_code == 303
    assert "effectué" in await taker.read(path)
    history = await taker.read(f"/persons/{person_id}")
    assert "Référent actuel : EPI Paris Centre" in history


async def test_the_form_says_what_to_correct(
    client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock, world: World
) -> None:
    person_id = await accompany_new_person(session, world.referrer, clock.now())
    receiver_id = world.receiver.id
    await session.commit()
    browser = Browser(client)
    await browser.log_in(world.referrer)
    answer = await browser.post(
        "/handovers/new",
        {"person_id": str(person_id), "to_organisation_id": str(receiver_id), "reason": "Motif"},
    )
    assert answer.status_code == 422
    assert "La personne doit avoir été informée" in visible_text(answer.text)
    assert 'aria-describedby="consent-erreur"' in answer.text
    assert (await browser.read("/handovers")).count("Aucun passage de relais.") == 2


async def test_an_unrelated_organisation_sees_nothing(
    client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock, world: World
) -> None:
    handover_id, person_id = await _proposed(session, world, clock.now())
    browser = Browser(client)
    await browser.log_in(world.outsider_member)
    for path in (f"/handovers/{handover_id}", f"/persons/{person_id}", "/handovers/999999"):
        answer = await browser.get(path)
        assert answer.status_code == 404, path
        assert "Page introuvable" in visible_text(answer.text)
    assert "Yanis MOREAU" not in await browser.read("/handovers")
    forced = await browser.post(
        f"/handovers/{handover_id}/actions/accept",
        {"accept-first_meeting_at": "2026-03-04T10:00"},
    )
    assert forced.status_code == 404


async def test_a_form_without_its_csrf_token_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock, world: World
) -> None:
    handover_id, _person_id = await _proposed(session, world, clock.now())
    browser = Browser(client)
    await browser.log_in(world.receiver_member)
    answer = await client.post(
        f"/handovers/{handover_id}/actions/decline",
        data={"decline-reason": "Pas de place"},
        headers={"Accept": "text/html"},
    )
    assert answer.status_code == 403
    assert "rien n'a été enregistré" in visible_text(answer.text)
    page = await browser.read(f"/handovers/{handover_id}")
    assert "Refuser le relais" in page and "Motif du refus" not in page
    view = await handover_service.get_handover(
        session, actor_of(world.receiver_member), handover_id
    )
    assert view.case.state == "proposed"


async def test_a_coordinator_sees_the_handovers_of_their_scope(
    client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock, world: World
) -> None:
    handover_id, _person_id = await _proposed(session, world, clock.now())
    browser = Browser(client)
    await browser.log_in(world.coordinator)
    listing = await browser.read("/handovers")
    assert "Passages de relais du périmètre" in listing and "Personne du dossier" in listing
    # Coordinators see what they supervise, not who: the name only on the handover's page.
    assert "MOREAU" not in listing
    assert "Yanis MOREAU" in await browser.read(f"/handovers/{handover_id}")
    # The coordination hands over the persons its own organisation accompanies (none here),
    # as the API lets it: the form says there is nobody to hand over.
    assert "Proposer un passage de relais" in listing
    assert "n'accompagne actuellement aucune personne" in await browser.read("/handovers/new")
    assert "Passage de relais PR-2026" in await browser.read(f"/handovers/{handover_id}")
