"""The annual report's page and PDF: coordinators, the secretariat and the DPO read them;
members and organisation admins are refused."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import Role
from tests.factories import World, make_user
from tests.web.http_pages import page_client
from tests.web.pages import Browser


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.SECRETARY, Role.DPO])
async def test_the_report_page_and_its_pdf_for_those_who_prepare_the_pilotage(
    app: FastAPI, session: AsyncSession, world: World, clock: FixedClock, role: Role
) -> None:
    user = (
        world.coordinator
        if role is Role.COORDINATOR
        else await make_user(session, world.coordination, clock.now(), role=role)
    )
    await session.commit()
    async with page_client(app) as client:
        reader = Browser(client)
        await reader.log_in(user)
        assert "Rapport annuel 2026" in await reader.read("/report")  # the current year
        page = await reader.read("/report/2026")
        assert "Rapport annuel 2026" in page and "comité de pilotage" in page
        assert "Télécharger le PDF" in page
        assert "Par axe du plan" in page and "Plan d'action" in page
        markup = (await reader.get("/report/2026")).text
        assert 'href="/report/2026.pdf"' in markup
        assert '<a href="/report"' in markup  # the menu's « Rapport annuel »
        document = await client.get("/report/2026.pdf")
        assert document.status_code == 200
        assert document.headers["content-type"] == "application/pdf"
        assert (
            document.headers["content-disposition"]
            == 'attachment; filename="rapport-annuel-2026.pdf"'
        )
        assert document.content.startswith(b"%PDF-")


@pytest.mark.parametrize("role", [Role.MEMBER, Role.ORG_ADMIN])
async def test_members_and_organisation_admins_are_refused(
    app: FastAPI, session: AsyncSession, world: World, clock: FixedClock, role: Role
) -> None:
    user = await make_user(session, world.receiver, clock.now(), role=role)
    await session.commit()
    async with page_client(app) as client:
        reader = Browser(client)
        await reader.log_in(user)
        assert (await reader.get("/report")).status_code == 403
        assert (await reader.get("/report/2026")).status_code == 403
        assert (await reader.get("/report/2026.pdf")).status_code == 403
        assert '<a href="/report"' not in (await reader.get("/committees")).text


async def test_a_year_out_of_range_is_no_page(app: FastAPI, world: World) -> None:
    async with page_client(app) as client:
        reader = Browser(client)
        await reader.log_in(world.coordinator)
        answer = await reader.get("/report/1900")
        assert answer.status_code == 404
        assert "Rapport annuel" not in answer.text.split("<main", 1)[-1]
