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
from tests.factories import World, make_user
from tests.web.dashboard_helpers import signed_in
from tests.web.indicator_helpers import install_sample


@pytest.fixture(autouse=True)
def sample(monkeypatch: pytest.MonkeyPatch) -> None:
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
    assert "<td>4</td>" in html  # 3.3 accepted, exact
    assert (
        "/indicators/csv?start=2026-01-01&amp;end=2026-03-02&amp;group_by=sub_axis&amp;chart=mois"
        in html
    )


async def test_an_org_admin_reads_their_organisation_masked_with_paris_beside(
    app: FastAPI, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    admin = await make_user(session, world.receiver, clock.now(), role=Role.ORG_ADMIN)
    email = admin.email
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
    assert "<td>4</td>" not in html and "<td>&lt; 5</td>" in html
    assert "Réunions tenues" in html and card(html, "sample_meetings").startswith("3 ")


@pytest.mark.parametrize("role", [Role.MEMBER, Role.SECRETARY])
async def test_members_and_secretaries_are_refused_and_not_offered_the_page(
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
    assert "ne permet pas de consulter les indicateurs" in page.text
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
    assert rows[0][:3] == ["indicateur", "période", "regroupement"]
    by_group = {(row[0], row[3]): row[5] for row in rows[1:]}
    assert by_group[("Orientations acceptées", "3.3 — Articuler")] == "< 5"  # 4, coordinator
    assert by_group[("Orientations envoyées", "3.3 — Articuler")] == "30"
    assert all(row[0] != "Réunions tenues" for row in rows[1:])  # only the chart's figures
    reason_rows = list(csv.reader(io.StringIO(reasons.text.lstrip("\ufeff")), delimiter=";"))
    assert {row[4]: row[5] for row in reason_rows[1:]}["Plus de place"] == "< 5"
    assert unknown.status_code == 422
