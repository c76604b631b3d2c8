"""The accompaniment's page names the Mission locale's « 26 ans » deadlines as such."""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import Role
from services.handover_service import AccompanimentStart, start_accompaniment
from states.actor import Actor
from tests.factories import ACCOMPANIMENT_REASON, World, person_fields
from tests.web.pages import Browser


async def test_the_age_limit_deadlines_are_named_on_the_page(
    client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock, world: World
) -> None:
    coordination = Actor(user_id=None, organisation_id=world.sender.id, role=Role.COORDINATOR)
    start = AccompanimentStart(
        person=person_fields(birth_date=date(2000, 8, 15)),
        organisation_id=world.sender.id,
        reason=ACCOMPANIMENT_REASON,
        consent=True,
    )
    await start_accompaniment(session, coordination, start, clock.now())
    await session.commit()
    browser = Browser(client)
    await browser.log_in(world.referrer)
    page = await browser.read("/accompaniments/1")
    limit = "(26 ans, limite d'âge de la Mission locale)"
    assert f"Relance {limit} : vendredi 15 mai 2026 à 0 h" in page
    assert f"Signalement à la coordination {limit} : samedi 15 août 2026 à 0 h" in page
    # The progress check stays as it was.
    assert "Relance : lundi 13 juillet 2026" in page
