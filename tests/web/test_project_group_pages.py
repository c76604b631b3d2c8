"""Project groups' pages: the secretariat creates one and moves its end date; all read it."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import Role
from tests.factories import World, make_user
from tests.web.http_pages import page_client
from tests.web.pages import Browser


async def test_the_secretariat_creates_a_project_group_and_moves_its_end_date(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    secretary = await make_user(
        session, world.coordination, world.sender.created_at, role=Role.SECRETARY
    )
    await session.commit()
    clerk = Browser(client)
    await clerk.log_in(secretary)
    assert "Créer un groupe projet" in await clerk.read("/committees")
    form = await clerk.read("/project-groups/new")
    assert "Structure pilote" in form and "Date de fin du mandat" in form

    # Without a lead partner nor an end date: 422, each field said in French.
    missing = await clerk.post(
        "/project-groups", {"name": "Groupe projet numérique", "mandate": "Cartographier"}
    )
    assert missing.status_code == 422
    assert 'id="lead_organisation_id-erreur"' in missing.text
    assert "structure pilote" in missing.text.lower()
    created = await clerk.post(
        "/project-groups",
        {
            "name": "Groupe projet numérique",
            "territory": "paris",
            "lead_organisation_id": str(world.receiver.id),
            "mandate": "Cartographier les lieux d'inclusion numérique",
            "ends_on": "2026-06-30",
            "member_organisation_ids": [str(world.sender.id), str(world.outsider.id)],
        },
    )
    assert created.status_code == 303, created.text
    page_path = created.headers["location"].split("?")[0]
    page = await clerk.read(page_path)
    assert "EPI Paris Centre" in page and "mardi 30 juin 2026" in page
    assert "Cartographier les lieux d'inclusion numérique" in page
    assert world.sender.name in page and world.outsider.name in page
    assert 'type="checkbox"' in (await clerk.get("/project-groups/new")).text

    edit = f"{page_path}/project"
    assert 'value="2026-06-30"' in (await clerk.get(edit)).text
    bad = await clerk.post(
        edit, {"lead_organisation_id": str(world.receiver.id), "mandate": "M", "ends_on": "x"}
    )
    assert bad.status_code == 422 and 'id="ends_on-erreur"' in bad.text
    moved = await clerk.post(
        edit,
        {
            "lead_organisation_id": str(world.sender.id),
            "mandate": "Un mandat prolongé",
            "ends_on": "2026-09-30",
        },
    )
    assert moved.status_code == 303
    page = await clerk.read(page_path)
    assert "mercredi 30 septembre 2026" in page and "Mission locale de Paris" in page

    async with page_client(app) as other:
        member = Browser(other)
        await member.log_in(world.referrer)
        read = await member.read(page_path)
        assert "Un mandat prolongé" in read and "Modifier la structure pilote" not in read
        assert (await member.get(edit)).status_code == 403
        assert (await member.get("/project-groups/new")).status_code == 403
