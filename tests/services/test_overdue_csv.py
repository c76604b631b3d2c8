"""The export's own CSV writing (``services.overdue_csv``) gives the bytes ``csv.writer``
gives with the same settings, whatever a cell holds."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from services.documents import csv_cell
from services.overdue_csv import (
    CSV_HEADER,
    HEADER_LINE,
    MINUTES,
    csv_field,
    csv_fields,
    csv_record,
    paris_day,
)

CELLS = [
    "",
    "Mission locale de Paris",
    "Association « Élan » ; Paris 18e",
    'Le "Relais" du 19e',
    "Deux\nlignes",
    "Retour\r",
    "Retour\r\nchariot",
    '=HYPERLINK("http://exemple.fr")',
    "+33 1 23 45 67 89",
    "-5",
    "@SUM(A1)",
    "\tTabulation",
    "\rdébut",
    "'déjà guardé",
    "a,b",
    " espace",
    "ORI-2026-000123",
]


def written_by_csv(cells: tuple[str, ...]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([csv_cell(cell) for cell in cells])
    return buffer.getvalue()


@pytest.mark.parametrize("cell", CELLS)
def test_a_cell_is_written_as_csv_writer_writes_it(cell: str) -> None:
    # Between two others: a row of one empty cell is written `""` by csv.writer, which no
    # line of the export is.
    cells = ("avant", cell, "après")
    assert csv_record(cells) == written_by_csv(cells)
    assert f"avant;{csv_field(cell)};après\r\n" == written_by_csv(cells)


@pytest.mark.parametrize("cell", CELLS)
def test_cells_checked_at_once_are_written_as_each_alone(cell: str) -> None:
    """A batch of plain references with one cell among them, at its start, middle or end."""
    plain = ["ORI-2026-000123", "ACC-2026-000007"]
    for batch in ([cell, *plain], [plain[0], cell, plain[1]], [*plain, cell]):
        assert csv_fields(batch) == [csv_field(value) for value in batch]


def test_every_pair_of_cells_reads_back_as_written() -> None:
    cells = tuple(CELLS)
    line = csv_record(cells)
    assert line == written_by_csv(cells)
    assert next(csv.reader(io.StringIO(line), delimiter=";")) == [csv_cell(c) for c in cells]


def test_the_header_is_french_and_written_as_csv_writer_writes_it() -> None:
    assert written_by_csv(CSV_HEADER) == HEADER_LINE
    assert HEADER_LINE.startswith("référence;type;état;")


@pytest.mark.parametrize(
    ("minute", "text"), [(0, "00:00"), (59, "00:59"), (60, "01:00"), (1439, "23:59")]
)
def test_the_minutes_of_the_day(minute: int, text: str) -> None:
    assert MINUTES[minute] == text
    assert len(MINUTES) == 1440


@pytest.mark.parametrize(
    ("day", "text"), [(date(2026, 3, 4), "04/03/2026 "), (date(2026, 12, 31), "31/12/2026 ")]
)
def test_a_day_as_a_french_spreadsheet_reads_it(day: date, text: str) -> None:
    assert paris_day(day) == text
    assert paris_day(day) == day.strftime("%d/%m/%Y ")


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ('=HYPERLINK("http://exemple.fr")', '"\'=HYPERLINK(""http://exemple.fr"")"'),
        ("\rdébut", '"\'\rdébut"'),
        ("Le 18e ; Nord", '"Le 18e ; Nord"'),
        ("Mission locale", "Mission locale"),
    ],
)
def test_a_formula_is_guarded_then_the_cell_quoted(cell: str, written: str) -> None:
    """Written out, so that the guard is held here too and not only by the same guard on
    both sides of a comparison."""
    assert csv_field(cell) == written
