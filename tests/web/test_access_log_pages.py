"""The access log on the pages: the DPO lands on the « Journal des accès » and finds who read
a case; a coordinator reads the « Consultations » of a case they supervise; nobody else."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import Role
from core.models import Referral
from tests.factories import World, make_user
from tests.web.http_pages import page_client, submitted_referral
from tests.web.pages import Browser


async def test_a_read_case_page_shows_in_the_log_and_in_its_consultations(
    app: FastAPI, session: AsyncSession, world: World, clock: FixedClock
) -> None:
    referral_id = await submitted_referral(session, world, clock)
    dpo = await make_user(session, world.coordination, clock.now(), role=Role.DPO)
    referral = await session.get_one(Referral, referral_id)
    reference, person_id = referral.reference, referral.person_id
    await session.commit()

    async with page_client(app) as client:
        member = Browser(client)
        await member.log_in(world.receiver_member)
        page = await member.read(f"/referrals/{referral_id}")
        assert "QUATREMER" in page and "Consultations" not in page
        assert (await member.get("/access-log")).status_code == 403

    async with page_client(app) as client:
        coordinator = Browser(client)
        await coordinator.log_in(world.coordinator)
        page = await coordinator.read(f"/referrals/{referral_id}")
        consulted = page.split("Consultations", 1)[1]
        assert world.receiver_member.email in consulted and world.receiver.name in consulted
        assert (await coordinator.get("/access-log")).status_code == 403
        assert "QUATREMER" in (await coordinator.read(f"/persons/{person_id}")).upper()

    async with page_client(app) as client:
        officer = Browser(client)
        await officer.log_in(dpo)
        home = await client.get("/")
        assert home.headers["location"] == "/access-log"
        log = await officer.read("/access-log")
        assert "Journal des accès" in log
        # The DPO acts for no organisation: the header names the role, not the employer.
        assert f"{dpo.email} · Délégué·e à la protection des données" in log
        assert log.count(reference) == 2  # the member's read, then the coordinator's
        assert world.receiver.name in log and f"fiche {person_id}" in log
        assert (await officer.get(f"/referrals/{referral_id}")).status_code == 404
        # From the log to the person's page, where the DPO answers the person's rights.
        assert f'href="/persons/{person_id}"' in (await officer.get("/access-log")).text
        assert "Droits de la personne" in await officer.read(f"/persons/{person_id}")
        by_case = await officer.read(f"/access-log?personne={reference.lower()}")
        assert by_case.count(reference) == 2
        by_user = await officer.read(f"/access-log?utilisateur={world.coordinator.email}")
        # The case page, then the person's own page (through no case).
        assert by_user.count(reference) == 1 and by_user.count(f"fiche {person_id}") == 2
        assert world.receiver.name not in by_user
        unknown = await officer.read("/access-log?personne=OR-1999-99999&depuis=demain")
        assert "Aucune personne ou aucun compte ne correspond" in unknown
        later = await officer.read("/access-log?depuis=2026-03-03&jusqua=2026-03-31")
        assert "Aucune lecture ne correspond" in later
