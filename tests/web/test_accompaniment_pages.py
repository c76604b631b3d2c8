"""The accompaniment pages: the list, each accompaniment's page with its progress check and its
end (sortie), and the link to it from the person's history."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from services import handover_service
from services.handover_service import HandoverCreate
from tests.factories import World, accompany_new_person, actor_of, handover_json
from tests.web.http_pages import page_client
from tests.web.pages import Browser, visible_text

PATH = "/accompaniments/1"


async def _accompanied(session: AsyncSession, world: World, clock: FixedClock) -> int:
    """A new person the Mission locale accompanies (its accompaniment is the first): its id."""
    person_id = await accompany_new_person(session, world.referrer, clock.now())
    await session.commit()
    return person_id


async def test_the_referent_takes_stock_then_ends_the_accompaniment(
    client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock, world: World
) -> None:
    person_id = await _accompanied(session, world, clock)
    browser = Browser(client)
    await browser.log_in(world.referrer)
    person = await browser.get(f"/persons/{person_id}")
    assert f'href="{PATH}"' in person.text
    assert "AP-2026-000001" in visible_text(person.text)

    page = await browser.read(PATH)
    assert "Accompagnement AP-2026-000001 en cours" in page
    assert "Référent Mission locale de Paris" in page
    # Begun by relais itself, as a referral's start or a handover's confirmation begins it.
    assert "relais a commencé l'accompagnement. en cours" in page
    # Started Monday 2 March 2026: the progress check is due 90 business days later.
    assert "Relance : lundi 13 juillet 2026" in page
    assert "Faire le point d'étape" in page and "Mettre fin à l'accompagnement (sortie)" in page
    assert "Yanis MOREAU" in page

    noted = await browser.post(f"{PATH}/actions/note", {"note-note": "Point mensuel fait."})
    assert noted.status_code == 303, visible_text(noted.text)
    told = await browser.read(noted.headers["location"])
    assert (
        "Point d'étape enregistré. Prochaine étape pour Mission locale de Paris : faire le point "
        "d'étape de l'accompagnement, ou y mettre fin. Sans nouvelle, relais relancera Mission "
        "locale de Paris le lundi 13 juillet."
    ) in told
    assert (
        "Mission locale de Paris a fait le point d'étape. Point d'étape : « Point mensuel fait. »"
        in told
    )

    incomplete = await browser.post(f"{PATH}/actions/end", {"end-comment": "Sans motif"})
    assert incomplete.status_code == 422
    assert "Motif de sortie (obligatoire)" in visible_text(incomplete.text)
    assert "Motif de sortie — Choisissez une option dans la liste" in visible_text(incomplete.text)
    ended = await browser.post(
        f"{PATH}/actions/end", {"end-outcome": "lasting_employment", "end-comment": "CDI signé."}
    )
    assert ended.status_code == 303, visible_text(ended.text)
    page = await browser.read(PATH)
    assert "Accompagnement AP-2026-000001 terminé" in page
    assert (
        "Motif de sortie Emploi durable (CDI, ou CDD de 6 mois ou plus)" in page
        and "CDI signé." in page
    )
    assert "Aucune action possible pour vous à ce stade." in page
    assert "Relance" not in page

    history = await browser.read(f"/persons/{person_id}")
    assert "Référent actuel : aucun" in history
    assert "Emploi durable (CDI, ou CDD de 6 mois ou plus)" in history


async def test_the_end_waits_for_the_handover_under_way(
    client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock, world: World
) -> None:
    person_id = await _accompanied(session, world, clock)
    await handover_service.propose_handover(
        session,
        actor_of(world.referrer),
        HandoverCreate(**handover_json(person_id, world.receiver)),
        clock.now(),
    )
    await session.commit()
    browser = Browser(client)
    await browser.log_in(world.referrer)
    refused = await browser.post(f"{PATH}/actions/end", {"end-outcome": "person_left"})
    assert refused.status_code == 409
    text = visible_text(refused.text)
    assert "Un passage de relais de cet accompagnement est en cours (PR-2026-000001)" in text
    assert "Accompagnement AP-2026-000001 en cours" in text


async def test_the_list_shows_the_organisations_accompaniments_only(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    world: World,
) -> None:
    await _accompanied(session, world, clock)
    referent = Browser(client)
    await referent.log_in(world.referrer)
    listed = await referent.read("/accompaniments")
    assert "AP-2026-000001" in listed and "Yanis MOREAU" in listed
    assert "Accompagnements" in listed
    assert "Aucun accompagnement." in await referent.read("/accompaniments?state=ended")

    async with page_client(app) as other:
        outsider = Browser(other)
        await outsider.log_in(world.outsider_member)
        assert "Aucun accompagnement." in await outsider.read("/accompaniments")
        assert (await outsider.get(PATH)).status_code == 404
        posted = await outsider.post(f"{PATH}/actions/note", {"note-note": "Intrusion"})
        assert posted.status_code == 404
