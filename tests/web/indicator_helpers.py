"""A family of indicators with known figures, plugged into the catalogue for the page tests:
the page is tested on what the service hands it, whatever computes it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.labelled import LabelledEnum
from services.indicators import catalogue
from services.indicators.model import (
    Dimension,
    Family,
    Figure,
    Indicator,
    IndicatorQuery,
    Unit,
)


class ReturnReason(LabelledEnum):
    """Return reasons of the sample family."""

    FULL = "full", "Plus de place"
    PROFILE = "profile", "Autre profil"


SENT = Indicator(
    "sample_sent",
    "Orientations envoyées",
    "Orientations envoyées pendant la période.",
    Family.VOLUMES,
    Unit.PEOPLE,
)
ACCEPTED = Indicator(
    "sample_accepted",
    "Orientations acceptées",
    "Orientations acceptées pendant la période.",
    Family.VOLUMES,
    Unit.PEOPLE,
)
RETURNED = Indicator(
    "sample_returned",
    "Orientations retournées",
    "Orientations retournées, par motif.",
    Family.VOLUMES,
    Unit.PEOPLE,
    breakdown=ReturnReason,
)
DELAY = Indicator(
    "sample_delay",
    "Délai médian de première réponse",
    "Médiane, en jours ouvrés, entre l'envoi et la première réponse.",
    Family.DELAYS,
    Unit.DAYS,
)
MEETINGS = Indicator(
    "sample_meetings",
    "Réunions tenues",
    "Réunions tenues.",
    Family.COMMITTEES,
    Unit.COUNT,
    dimensions=frozenset({Dimension.MONTH}),
)
SAMPLE = (SENT, ACCEPTED, RETURNED, DELAY, MEETINGS)


def _totals(query: IndicatorQuery) -> dict[str, float]:
    """Paris: 40 sent, 22 accepted, 3 returned; an organisation's own: a tenth of it; last
    year: half."""
    factor = 1.0 if query.party_organisation_id is None else 0.1
    if query.period.start.year < 2026:
        factor /= 2
    return {"sample_sent": 40 * factor, "sample_accepted": 22 * factor}


async def _compute(session: AsyncSession, query: IndicatorQuery) -> list[Figure]:
    totals = _totals(query)
    figures = [Figure(key, value, round(value)) for key, value in totals.items()]
    figures += [
        Figure("sample_returned", 3, 3),
        Figure("sample_returned", 2, 2, detail="full", detail_label="Plus de place"),
        Figure("sample_returned", 1, 1, detail="profile", detail_label="Autre profil"),
        Figure("sample_delay", 2.5, round(totals["sample_accepted"])),
        Figure("sample_meetings", 3, 3),
    ]
    if query.group_by is Dimension.SUB_AXIS:
        figures += [
            Figure("sample_sent", 30, 30, group="3.3", group_label="3.3 — Articuler"),
            Figure("sample_accepted", 4, 4, group="3.3", group_label="3.3 — Articuler"),
            Figure("sample_sent", 10, 10, group="2.1", group_label="2.1 — Rapprocher"),
            Figure("sample_accepted", 8, 8, group="2.1", group_label="2.1 — Rapprocher"),
        ]
    if query.group_by is Dimension.MONTH:
        year = query.period.start.year
        figures += [
            Figure("sample_sent", value, value, group=f"{year}-{month:02d}")
            for month, value in ((1, 12), (2, 3), (3, 25))
        ]
    return figures


def install_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    """Put the sample family in the catalogue (alone: the figures are then known)."""
    family = SimpleNamespace(DEFINITIONS=SAMPLE, compute=_compute)
    monkeypatch.setattr(catalogue, "FAMILIES", (family,))
    monkeypatch.setattr(catalogue, "INDICATORS", {i.key: i for i in SAMPLE})
    for module in ("services.indicators.service", "web.indicator_page"):
        monkeypatch.setattr(f"{module}.INDICATORS", {i.key: i for i in SAMPLE})
