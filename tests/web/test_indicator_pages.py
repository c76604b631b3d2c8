"""The « Indicateurs » page over HTTP: each role's scope and masking, last year beside, the
charts and their tables, the form's refusals in French, and each chart's CSV (always masked).
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import Role
from services import referral_service
from states.referral_fields import PersonFields
from tests.factories import World, actor_of, make_user, referral_create
from tests.web.dashboard_helpers import signed_in
from tests.web.indicator_helpers import install_sample

CELL = '<td data-label="[^"]+">{}</td>'
"""A data cell of a chart's table holding exactly ``{}``, labelled with its column."""


@pytest.fixture(autouse=True)
def sample(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample family with known figures, except for the tests of the real ones."""
    if not request.node.name.startswith("test_real_"):
        install_sample(monkeypatch)


def card(page: str, key: str) -> str:
    """The text of the headline card of indicator ``key``, tags removed."""
    found = re.search(
        rf'<li class="card">(?:(?!</li>).)*id="ind-{key}"(?:(?!</li>).)*</li>', page, re.S
    )
    assert found, f"no card for {key}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0))).strip()


async def test_a_coordinator_reads_all_paris_exactly_with_last_year_and_charts(
    app: FastAPI, world: World, session: AsyncSession
) -> None:
    email = world.coordinator.email
    await session.close()
    async with signed_in(app, email) as client:
        page = await client.get("/indicators")
    assert page.status_code == 200, page.text
    html = page.text
    assert 'href="/indicators" aria-current="page">Indicateurs' in html
    assert "Tout Paris, du 01/01/2026 au 02/03/2026." in html
    assert card(html, "sample_sent").startswith("40 Orientations envoyées")
    assert "L'an dernier : 20 (évolution : +20 (+100 %))" in card(html, "sample_sent")
    assert card(html, "sample_returned").startswith("3 ")  # exact for the coordination
    assert "Médiane, en jours ouvrés" in card(html, "sample_delay")
    assert "2,5 j ouvrés" in card(html, "sample_delay")
    assert html.count('role="img"') == 3  # sub-axes, months, return reasons
    assert '<title id="g-groupes-titre">' in html
    assert re.search(CELL.format("4"), html)  # 3.3 accepted, exact
    assert (
        "/indicators/csv?start=2026-01-01&amp;end=2026-03-02&amp;group_by=sub_axis&amp;chart=mois"
        in html
    )


@pytest.mark.parametrize("role", [Role.ORG_ADMIN, Role.MEMBER])
async def test_an_organisation_reads_its_own_figures_masked_with_paris_beside(
    app: FastAPI, world: World, session: AsyncSession, clock: FixedClock, role: Role
) -> None:
    user = await make_user(session, world.receiver, clock.now(), role=role)
    email = user.email
    await session.close()
    async with signed_in(app, email) as client:
        page = await client.get("/indicators")
    assert page.status_code == 200, page.text
    html = page.text
    assert "EPI Paris Centre, du 01/01/2026 au 02/03/2026." in html
    assert "affichés « &lt; 5 »" in html
    sent = card(html, "sample_sent")
    assert sent.startswith("&lt; 5 Orientations envoyées")  # their own 4
    assert "Tout Paris : 40" in sent
    assert "évolution" not in sent  # no difference computed from a hidden count
    assert card(html, "sample_returned").startswith("&lt; 5 ")
    assert not re.search(CELL.format("4"), html) and re.search(CELL.format("&lt; 5"), html)
    assert "Réunions tenues" in html and card(html, "sample_meetings").startswith("3 ")


@pytest.mark.parametrize("role", [Role.SECRETARY, Role.ADMIN])
async def test_the_secretariat_and_admins_are_refused_and_not_offered_the_page(
    app: FastAPI, world: World, session: AsyncSession, clock: FixedClock, role: Role
) -> None:
    user = await make_user(session, world.receiver, clock.now(), role=role)
    email = user.email
    await session.close()
    async with signed_in(app, email) as client:
        home = await client.get("/", follow_redirects=True)
        page = await client.get("/indicators")
        download = await client.get("/indicators/csv?chart=groupes")
    assert 'href="/indicators"' not in home.text
    assert page.status_code == 403
    assert "ne donne pas accès aux indicateurs" in page.text
    assert download.status_code == 403


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-13-01", "Période du : saisissez une date valide"),
        ("start=2026-03-01&end=2026-02-01", "Période au : la fin de la période doit suivre"),
        ("start=2020-01-01&end=2026-02-01", "trois ans au plus"),
        ("public=aah", "Public : choisissez une valeur de la liste."),
        ("group_by=month", "Regrouper par : choisissez"),
        ("sending=abc", "Structure qui oriente : choisissez"),
    ],
)
async def test_a_bad_form_is_answered_in_french_naming_the_field(
    app: FastAPI, world: World, session: AsyncSession, query: str, message: str
) -> None:
    email = world.coordinator.email
    await session.close()
    async with signed_in(app, email) as client:
        page = await client.get(f"/indicators?{query}")
        download = await client.get(f"/indicators/csv?{query}&chart=groupes")
    assert page.status_code == 422
    assert message in page.text
    assert 'aria-invalid="true"' in page.text
    assert download.status_code == 422


async def test_the_form_keeps_its_values_and_offers_no_health_public(
    app: FastAPI, world: World, session: AsyncSession
) -> None:
    email, offer_id = world.coordinator.email, world.offer.id
    await session.close()
    async with signed_in(app, email) as client:
        page = await client.get(
            f"/indicators?start=2026-02-01&end=2026-02-28&offer={offer_id}&public=rsa&group_by=public"
        )
    html = page.text
    assert page.status_code == 200
    assert 'name="start" value="2026-02-01"' in html and 'name="end" value="2026-02-28"' in html
    assert f'<option value="{offer_id}" selected>' in html
    assert '<option value="rsa" selected>' in html
    assert '<option value="public" selected>' in html
    meetings = card(html, "sample_meetings")
    assert meetings.startswith(
        "— Réunions tenues « Réunions tenues » ne se ventile pas par « offre »."
    )
    for health in ("aah", "rqth", "personnes-en-situation-de-handicap"):
        assert f'<option value="{health}"' not in html


async def test_each_chart_downloads_as_csv_always_masked(
    app: FastAPI, world: World, session: AsyncSession
) -> None:
    email = world.coordinator.email
    await session.close()
    async with signed_in(app, email) as client:
        groups = await client.get("/indicators/csv?start=2026-01-01&end=2026-03-02&chart=groupes")
        reasons = await client.get("/indicators/csv?chart=detail-sample_returned")
        unknown = await client.get("/indicators/csv?chart=nimporte")
    assert groups.status_code == 200
    assert groups.headers["content-type"].startswith("text/csv")
    assert "attachment" in groups.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(groups.text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["Périmètre", "Période", "Indicateur"]
    by_group = {(row[2], row[5]): row[7] for row in rows[1:]}
    assert by_group[("Orientations acceptées", "3.3 — Articuler")] == "< 5"  # 4, coordinator
    assert by_group[("Orientations envoyées", "3.3 — Articuler")] == "30"
    assert all(row[2] != "Réunions tenues" for row in rows[1:])  # only the chart's figures
    reason_rows = list(csv.reader(io.StringIO(reasons.text.lstrip("\ufeff")), delimiter=";"))
    assert {row[6]: row[7] for row in reason_rows[1:]}["Plus de place"] == "< 5"
    assert unknown.status_code == 422


async def test_real_referrals_sent_through_the_engine_show_on_the_page_and_its_csv(
    app: FastAPI, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    """Six referrals sent on 2 March 2026: the coordination reads 6, the receiving
    organisation's admin reads its 6 received; three last year would read « < 5 »."""
    for index in range(6):
        person = PersonFields(first_name="Personne", last_name=f"Numéro{index}")
        await referral_service.create_referral(
            session,
            actor_of(world.referrer),
            referral_create(world.offer, person=person),
            clock.now(),
        )
    admin = await make_user(session, world.receiver, clock.now(), role=Role.ORG_ADMIN)
    coordinator, admin_email = world.coordinator.email, admin.email
    await session.close()
    async with signed_in(app, coordinator) as client:
        page = await client.get("/indicators")
        download = await client.get("/indicators/csv?chart=groupes")
    assert page.status_code == 200, page.text
    assert card(page.text, "referrals_sent").startswith("6 ")
    assert "L'an dernier : 0" in card(page.text, "referrals_sent")  # exact for the coordination
    assert card(page.text, "referrals_accepted").startswith("0 ")
    rows = list(csv.reader(io.StringIO(download.text.lstrip("\ufeff")), delimiter=";"))
    sent = [row for row in rows[1:] if row[3] == "referrals_sent"]
    assert sent and all(row[7] in ("6", "< 5") for row in sent)
    assert any(row[7] == "6" for row in sent)
    async with signed_in(app, admin_email) as client:
        page = await client.get("/indicators")
    received = card(page.text, "referrals_received")
    assert received.startswith("6 ") and "L'an dernier : &lt; 5" in received
    assert "Tout Paris : 6" in received
    assert card(page.text, "referrals_sent").startswith("&lt; 5 ")  # it sent none


async def test_a_period_over_two_years_names_the_year_of_each_month(
    app: FastAPI, world: World, session: AsyncSession
) -> None:
    email = world.coordinator.email
    await session.close()
    async with signed_in(app, email) as client:
        page = await client.get("/indicators?start=2025-11-15&end=2026-02-10")
    assert page.status_code == 200
    chart = page.text.split('id="g-mois"', 1)[1].split("</svg>", 1)[0]
    assert ">nov. 25</text>" in chart and ">févr. 26</text>" in chart
    assert re.search('<th scope="row">nov. 2025</th>' + 2 * CELL.format("—"), page.text)
