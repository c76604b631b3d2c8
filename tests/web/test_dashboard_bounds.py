"""The dashboard lists only its oldest overdue cases (the figures and the export count them
all), and the export streams them a batch at a time: their cost follows what they show, not
years of history."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from services import overdue_export
from services.referral_service import create_referral
from tests.factories import World, actor_of, make_offer, referral_create
from tests.web.dashboard_helpers import paris, signed_in
from tests.web.test_dashboard_pages import csv_rows
from web.routers import dashboard

SHOWN = 2
BATCH = 2
"""How many cases the export reads at once in these tests."""
KEYS = 3
"""How many cases each way of being overdue reads at once after the first batch's."""


async def _late_referrals(
    world: World, session: AsyncSession, clock: FixedClock, count: int
) -> list[str]:
    """``count`` referrals submitted on Monday 2 March, overdue on the 10th: references."""
    offer = await make_offer(session, world.receiver, clock.now(), title="Atelier CV")
    references = []
    for _ in range(count):
        view = await create_referral(
            session, actor_of(world.referrer), referral_create(offer), clock.now()
        )
        references.append(view.case.reference)
    await session.close()
    clock.set(paris(10, 10))
    return references


@pytest.mark.parametrize("count", [SHOWN, SHOWN + 1])
async def test_the_page_lists_the_oldest_and_counts_them_all(
    app: FastAPI,
    world: World,
    session: AsyncSession,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    count: int,
) -> None:
    monkeypatch.setattr(dashboard, "SHOWN_CASES", SHOWN)
    references = await _late_referrals(world, session, clock, count)
    async with signed_in(app, world.coordinator.email) as client:
        html = (await client.get("/dashboard")).text
        export = csv_rows((await client.get("/dashboard.csv")).content)

    receiver = world.receiver.name
    assert f'<span class="figure">{count}</span><br>dossiers en retard' in html
    assert (
        f'<tr><td data-label="Structure attendue">{receiver}</td>'
        f'<td data-label="Dossiers en retard">{count}</td></tr>'
    ) in html
    listed = [reference for reference in references if f">{reference}</a>" in html]
    assert listed == references[:SHOWN]
    assert [row[0] for row in export[1:]] == references
    heading = f'<h3 id="structure-1">{receiver} <span class="muted">— {count} dossiers'
    assert heading in html
    if count > SHOWN:
        assert f"Les {SHOWN} dossiers en retard les plus anciens sur {count}" in html
        assert f"dont {SHOWN} parmi les plus anciens" in html
    else:
        assert "les plus anciens" not in html


@pytest.mark.parametrize("count", [BATCH, BATCH + 1, 2 * BATCH + 1])
async def test_the_export_streams_every_case_a_batch_at_a_time(
    app: FastAPI,
    world: World,
    session: AsyncSession,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    count: int,
) -> None:
    monkeypatch.setattr(overdue_export, "EXPORT_BATCH", BATCH)
    references = await _late_referrals(world, session, clock, count)
    async with signed_in(app, world.coordinator.email) as client:
        export = await client.get("/dashboard.csv")

    assert export.status_code == 200
    assert export.content.startswith("\ufeffréférence;".encode())
    assert export.content.count("\ufeff".encode()) == 1
    rows = csv_rows(export.content)
    assert [row[0] for row in rows] == ["référence", *references]  # one header, oldest first
    assert export.content.endswith(b"\r\n")


@pytest.mark.parametrize("filtered", [False, True])
async def test_the_export_reads_each_case_once_many_batches_at_a_time(
    app: FastAPI,
    world: World,
    session: AsyncSession,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    filtered: bool,
) -> None:
    """Each way of being overdue is read ``KEYS`` cases at a time after the first batch's,
    from where its last read ended: every case is read once, the lines written ``BATCH``
    at a time (a territory's too: its first read walks the order case by case)."""
    monkeypatch.setattr(overdue_export, "EXPORT_BATCH", BATCH)
    monkeypatch.setattr(overdue_export, "EXPORT_KEYS", KEYS)
    reads: list[tuple[str, int]] = []
    read = overdue_export._read

    async def counted(session: AsyncSession, stream: Any, *args: Any) -> None:
        held = len(stream.held)
        await read(session, stream, *args)
        reads.append((stream.lifecycle.name, len(stream.held) - held))

    monkeypatch.setattr(overdue_export, "_read", counted)
    references = await _late_referrals(world, session, clock, BATCH + KEYS + 1)
    query = f"?territory={world.receiver.territory}" if filtered else ""
    async with signed_in(app, world.coordinator.email) as client:
        export = await client.get(f"/dashboard.csv{query}")

    rows = csv_rows(export.content)
    assert [row[0] for row in rows] == ["référence", *references]
    referrals = [count for name, count in reads if name == "referral"]
    # Past the escalation (the first batch), expired (none), then the rest, KEYS at a time.
    assert referrals == [BATCH, 0, KEYS, 1]


async def test_the_exports_first_batch_is_smaller_for_its_first_lines_to_come_sooner(
    app: FastAPI,
    world: World,
    session: AsyncSession,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first batch holds ``EXPORT_FIRST_BATCH`` cases, the others ``EXPORT_BATCH``."""
    monkeypatch.setattr(overdue_export, "EXPORT_FIRST_BATCH", 1)
    monkeypatch.setattr(overdue_export, "EXPORT_BATCH", 3)
    monkeypatch.setattr(overdue_export, "EXPORT_KEYS", 10)
    described: list[int] = []
    lines_of = overdue_export._lines

    async def counted(*args: Any) -> str:
        described.append(len(args[1]))
        return await lines_of(*args)

    monkeypatch.setattr(overdue_export, "_lines", counted)
    references = await _late_referrals(world, session, clock, 5)
    async with signed_in(app, world.coordinator.email) as client:
        described.clear()  # signing in lands on the dashboard
        export = await client.get("/dashboard.csv")

    rows = csv_rows(export.content)
    assert [row[0] for row in rows] == ["référence", *references]
    assert described == [1, 3, 1]
