"""The CSV export's lines read back, and what the description of the same cases says they
should be: written by ``csv.writer`` with the export's settings, the reference the tests
hold the export's own writing to (``services.overdue_csv``)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable
from typing import NamedTuple

from core.business_days import PARIS
from services.documents import csv_cell
from services.overdue import OverdueCase


class ExportedLine(NamedTuple):
    """One line of the export, its cells as a spreadsheet reads them."""

    reference: str
    case_label: str
    state_label: str
    waiting_organisation: str
    escalation_at: str
    days_overdue: str


def read_lines(text: str) -> list[ExportedLine]:
    """The lines of ``text`` (the export's, no BOM nor header)."""
    return [ExportedLine(*row) for row in csv.reader(io.StringIO(text), delimiter=";")]


async def exported(batches: AsyncIterator[str]) -> list[ExportedLine]:
    """Every line of the export's batches, in order."""
    return read_lines("".join([batch async for batch in batches]))


def written(cases: Iterable[OverdueCase]) -> str:
    """What ``csv.writer`` writes of ``cases`` with the export's settings: the bytes the
    export must give."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerows(
        (
            csv_cell(item.reference),
            csv_cell(item.case_label),
            csv_cell(item.state_label),
            csv_cell(item.waiting_organisation),
            item.escalation_at.astimezone(PARIS).strftime("%d/%m/%Y %H:%M"),
            item.days_overdue,
        )
        for item in cases
    )
    return buffer.getvalue()
