"""The dashboard pages: overdue cases by scope and filter, the SVG charts, the CSV export
and the dead letters, through HTTP as a browser signs in."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import OrganisationKind, OutboxStatus, Role, Territory
from core.models import OutboxMessage
from services.referral_service import create_referral, fire_referral
from states.referral_fields import CancelFields
from tests.factories import (
    World,
    actor_of,
    make_offer,
    make_organisation,
    make_user,
    referral_create,
)
from tests.web.dashboard_helpers import paris, post_form, signed_in

Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class LateReferral:
    """An overdue referral in the 11th arrondissement and who looks at it."""

    case_id: int
    reference: str
    organisation: str
    coordinator_11: str
    coordinator_12: str
    org_admin: str
    paris_coordinator: str
    admin: str
    member: str


@pytest.fixture
async def late(world: World, session: AsyncSession, clock: FixedClock) -> LateReferral:
    """A referral submitted on Monday 2 March, escalated on the 9th, seen on the 10th."""
    now = clock.now()
    epi = await make_organisation(
        session, now, name="EPI Paris 11e", kind=OrganisationKind.EPI, territory=Territory.ARR_11
    )
    offer = await make_offer(session, epi, now, title="Atelier candidature")
    coordinator_11 = await make_user(
        session, world.coordination, now, role=Role.COORDINATOR, scope_territory=Territory.ARR_11
    )
    coordinator_12 = await make_user(
        session, world.coordination, now, role=Role.COORDINATOR, scope_territory=Territory.ARR_12
    )
    org_admin = await make_user(session, epi, now, role=Role.ORG_ADMIN)
    view = await create_referral(session, actor_of(world.referrer), referral_create(offer), now)
    late = LateReferral(
        case_id=view.case.id,
        reference=view.case.reference,
        organisation=epi.name,
        coordinator_11=coordinator_11.email,
        coordinator_12=coordinator_12.email,
        org_admin=org_admin.email,
        paris_coordinator=world.coordinator.email,
        admin=world.admin.email,
        member=world.receiver_member.email,
    )
    await session.close()  # SQLite: no transaction of ours open during the HTTP calls
    clock.set(paris(10, 10))  # Tuesday 10 March: one business day after the escalation
    return late


def svg(page: str, chart_id: str) -> str:
    """The markup of the SVG chart ``chart_id`` of ``page``."""
    found = re.search(rf'<svg class="chart[^"]*" id="{chart_id}".*?</svg>', page, re.S)
    assert found is not None, f"no chart {chart_id}"
    return found.group(0)


def week_row(week: str, count: int) -> str:
    """The row of the weekly trend's table for the week starting on ``week``."""
    return (
        f'<tr><td data-label="Semaine du">{week}</td>'
        f'<td data-label="Dossiers passés en retard">{count}</td></tr>'
    )


def csv_rows(body: bytes) -> list[list[str]]:
    """The rows of a CSV export (UTF-8 with BOM, semicolons)."""
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


async def test_an_overdue_referral_shows_for_its_coordinator_in_table_chart_and_csv(
    app: FastAPI, late: LateReferral
) -> None:
    async with signed_in(app, late.coordinator_11) as client:
        page = await client.get("/dashboard")
        assert page.status_code == 200
        html = page.text
        assert f'<a href="/referrals/{late.case_id}">{late.reference}</a>' in html
        assert f'<h3 id="structure-1">{late.organisation}' in html
        assert "1 jour ouvré" in html
        assert "accepter ou retourner l&#39;orientation".capitalize() in html

        chart = svg(html, "graphique-structures")
        assert 'role="img"' in chart
        assert 'aria-labelledby="graphique-structures-titre graphique-structures-desc"' in chart
        assert '<title id="graphique-structures-titre">' in chart
        assert late.organisation in chart
        assert '<text x="' in chart and ">1</text>" in chart
        # The same numbers, in tables, for whoever does not see the charts.
        assert (
            f'<tr><td data-label="Structure attendue">{late.organisation}</td>'
            '<td data-label="Dossiers en retard">1</td></tr>'
        ) in html
        trend = svg(html, "graphique-tendance")
        assert "Semaine du 09/03 : 1" in trend
        assert week_row("lundi 9 mars 2026", 1) in html
        assert week_row("lundi 2 mars 2026", 0) in html

        export = await client.get("/dashboard.csv")
        assert export.status_code == 200
        assert export.headers["content-type"] == "text/csv; charset=utf-8"
        assert "attachment" in export.headers["content-disposition"]
        rows = csv_rows(export.content)
        assert rows[0] == [
            "référence",
            "type",
            "état",
            "structure attendue",
            "échéance",
            "jours de retard",
        ]
        assert rows[1:] == [
            [late.reference, "orientation", "transmise", late.organisation, "09/03/2026 09:00", "1"]
        ]

    async with signed_in(app, late.coordinator_12) as client:
        page = await client.get("/dashboard")
        assert page.status_code == 200
        assert late.reference not in page.text
        assert "Aucun dossier en retard" in page.text
        assert "graphique-structures" not in page.text
        assert csv_rows((await client.get("/dashboard.csv")).content)[1:] == []


async def test_organisation_admins_and_admins_see_it_members_do_not(
    app: FastAPI, late: LateReferral
) -> None:
    for email in (late.org_admin, late.admin):
        async with signed_in(app, email) as client:
            page = await client.get("/dashboard")
            assert page.status_code == 200
            assert late.reference in page.text
    async with signed_in(app, late.member) as client:
        for path in ("/dashboard", "/dashboard.csv"):
            refused = await client.get(path)
            assert refused.status_code == 403
            assert "Action refusée" in refused.text


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("", True),
        ("?territory=75011", True),
        ("?territory=75012", False),
        ("?type=referral", True),
        ("?type=handover", False),
        ("?territory=75011&type=referral", True),
        ("?territory=nowhere&type=unknown", True),  # unknown values filter nothing
    ],
)
async def test_filters_narrow_the_page_and_the_export(
    app: FastAPI, late: LateReferral, query: str, listed: bool
) -> None:
    async with signed_in(app, late.paris_coordinator) as client:
        page = await client.get("/dashboard" + query)
        assert page.status_code == 200
        assert (late.reference in page.text) is listed
        trend_total = week_row("lundi 9 mars 2026", 1) in page.text
        assert trend_total is listed
        rows = csv_rows((await client.get("/dashboard.csv" + query)).content)
        assert [row[0] for row in rows[1:]] == ([late.reference] if listed else [])
        if "territory=75012" in query:
            assert '<option value="75012" selected>' in page.text


async def test_a_cancelled_case_leaves_the_list_but_stays_in_the_trend(
    app: FastAPI, late: LateReferral, sessionmaker: Sessions, world: World, clock: FixedClock
) -> None:
    async with sessionmaker() as session:
        await fire_referral(
            session,
            actor_of(world.referrer),
            late.case_id,
            "cancel",
            CancelFields(reason="Doublon"),
            clock.now(),
        )
    async with signed_in(app, late.coordinator_11) as client:
        page = await client.get("/dashboard")
        assert late.reference not in page.text
        # It did become overdue on Monday 9 March before it moved.
        assert week_row("lundi 9 mars 2026", 1) in page.text


async def dead_letter(sessionmaker: Sessions, now_email: str = "partenaire@invalide.test") -> int:
    """A message relais gave up sending; its id."""
    async with sessionmaker() as session:
        message = OutboxMessage(
            idempotency_key="event:referral-1:submit:1",
            message="referral.submitted",
            case_kind="referral",
            case_id=1,
            recipient_email=now_email,
            context={"reference": "OR-2026-000001", "offer_title": "Atelier candidature"},
            status=OutboxStatus.DEAD,
            attempts=8,
            next_attempt_at=paris(3),
            last_error="550 boîte inconnue",
            created_at=paris(2, 9, 30),
        )
        session.add(message)
        await session.commit()
        return message.id


async def test_a_dead_letter_is_listed_and_sent_again(
    app: FastAPI, world: World, sessionmaker: Sessions, session: AsyncSession
) -> None:
    coordinator = world.coordinator.email
    await session.close()
    message_id = await dead_letter(sessionmaker)
    async with signed_in(app, coordinator) as client:
        board = await client.get("/dashboard")
        assert '<a href="/dashboard/outbox">Message non distribué</a>' in board.text
        page = await client.get("/dashboard/outbox")
        assert page.status_code == 200
        for text in (
            "Orientation OR-2026-000001 reçue pour « Atelier candidature »",
            "partenaire@invalide.test",
            "550 boîte inconnue",
            "lundi 2 mars 2026 à 9 h 30",
            f'action="/dashboard/outbox/{message_id}/retry"',
        ):
            assert text in page.text
        sent = await post_form(
            client, "/dashboard/outbox", f"/dashboard/outbox/{message_id}/retry", {}
        )
        assert sent.status_code == 303
        assert sent.headers["location"] == f"/dashboard/outbox?renvoye={message_id}"
        after = await client.get(sent.headers["location"])
        assert f"Le message n° {message_id} est remis en file" in after.text
        assert "Aucun message en souffrance" in after.text
        again = await post_form(
            client, "/dashboard/outbox", f"/dashboard/outbox/{message_id}/retry", {}
        )
        assert again.headers["location"] == f"/dashboard/outbox?deja={message_id}"
        said = await client.get(again.headers["location"])
        assert f"Le message n° {message_id} n&#39;est plus en souffrance" in said.text
    async with sessionmaker() as check:
        row = await check.get_one(OutboxMessage, message_id)
        assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)


async def test_members_and_org_admins_may_not_see_nor_resend_dead_letters(
    app: FastAPI, world: World, sessionmaker: Sessions, session: AsyncSession, clock: FixedClock
) -> None:
    org_admin = (await make_user(session, world.receiver, clock.now(), role=Role.ORG_ADMIN)).email
    member = world.receiver_member.email
    await session.close()
    message_id = await dead_letter(sessionmaker)
    for email, start in ((member, "/inbox"), (org_admin, "/dashboard")):
        async with signed_in(app, email) as client:
            assert (await client.get("/dashboard/outbox")).status_code == 403
            if start == "/dashboard":
                assert "/dashboard/outbox" not in (await client.get("/dashboard")).text
            refused = await post_form(client, start, f"/dashboard/outbox/{message_id}/retry", {})
            assert refused.status_code == 403
            forged = await client.post(f"/dashboard/outbox/{message_id}/retry", data={})
            assert forged.status_code == 403
    async with sessionmaker() as check:
        assert (await check.get_one(OutboxMessage, message_id)).status is OutboxStatus.DEAD
