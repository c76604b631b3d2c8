"""The overdue cases' CSV file for a French spreadsheet: semicolons, CRLF, a French header, a
cell quoted only when it holds a semicolon, a double quote or a line break, and a leading
quote before what a spreadsheet would take for a formula (``documents.csv_cell``). Those are
the bytes ``csv.writer`` gives with these settings; the export writes them itself
(``services.overdue_export``), a line as one string, with each cell it repeats (a label, an
organisation, a day) written once for the whole file.
"""

from __future__ import annotations

import re
from datetime import date

from services.documents import FORMULA_STARTS, csv_cell

CSV_HEADER = ("référence", "type", "état", "structure attendue", "échéance", "jours de retard")
DELIMITER = ";"
LINE_END = "\r\n"
QUOTED = frozenset(';"\r\n')
"""The characters for which ``csv.writer`` quotes a cell: the delimiter, the quote, and the
line terminator's."""
MINUTES = tuple(f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(24 * 60))
"""The time of day as a line writes it, by the minute of the day."""


def csv_field(value: str) -> str:
    """``value`` as a cell of the file: guarded against formulas (``documents.csv_cell``),
    quoted when it must be."""
    guarded = csv_cell(value)
    if QUOTED.isdisjoint(guarded):
        return guarded
    return '"' + guarded.replace('"', '""') + '"'


_CHANGED_BY_CSV_FIELD = re.compile(
    "(?:^|\x00)[" + re.escape("".join(FORMULA_STARTS)) + "]|[" + re.escape("".join(QUOTED)) + "]"
)
"""What, in values joined by NUL characters, makes ``csv_field`` change one: a formula's
first character at a value's start, or a character to quote anywhere."""


def csv_fields(values: list[str]) -> list[str]:
    """``values`` each as ``csv_field`` writes it, checked all at once: the values relais
    writes itself (its references) need nothing, and are given back as they are."""
    if _CHANGED_BY_CSV_FIELD.search("\x00".join(values)):
        return [csv_field(value) for value in values]
    return values


def csv_record(cells: tuple[str, ...]) -> str:
    """One line of the file: ``cells`` each written by ``csv_field``."""
    return DELIMITER.join(csv_field(cell) for cell in cells) + LINE_END


HEADER_LINE = csv_record(CSV_HEADER)


def paris_day(day: date) -> str:
    """A Paris date as the file writes it before the time: ``04/03/2026 ``."""
    return f"{day.day:02d}/{day.month:02d}/{day.year} "
