"""Data tables that read as stacked cards on a phone: each cell carries its column's name.

Below 48 rem (``relais.css``) a table's rows become cards and its header row is hidden
from the eye; each cell then writes its column's name before its value, from the
``data-label`` this module adds. The markup stays a real ``<table>`` for screen readers.
The labels are written here, on the server, from the table's own ``<thead>``, so that no
template repeats its column names and no table can forget them.
"""

from __future__ import annotations

import re
from html import escape, unescape

from markupsafe import Markup

STACKED_CLASS = "stacked"
"""The class of the tables ``relais.css`` shows as cards on a phone."""

_TABLE = re.compile(r"(<table\b[^>]*>)(.*?)(</table>)", re.S)
_HEAD = re.compile(r"<thead\b.*?</thead>", re.S)
_HEADER_CELL = re.compile(r"<th\b([^>]*)>(.*?)</th>", re.S)
_ROW = re.compile(r"<tr\b[^>]*>.*?</tr>", re.S)
_CELL_TAG = re.compile(r"<t([dh])\b([^>]*)>")
_COLSPAN = re.compile(r"""\bcolspan\s*=\s*["']?(\d+)""")
_CLASS = re.compile(r"""\bclass\s*=\s*(["'])(.*?)\1""", re.S)
_TAG = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")


def _span(attributes: str) -> int:
    if "colspan" not in attributes:
        return 1
    found = _COLSPAN.search(attributes)
    return max(1, int(found.group(1))) if found else 1


def column_labels(head: str) -> list[str]:
    """The text of each column of a ``<thead>``, one entry per column a cell spans."""
    labels: list[str] = []
    for attributes, content in _HEADER_CELL.findall(head):
        text = _SPACES.sub(" ", unescape(_TAG.sub(" ", content))).strip()
        labels.extend([text] * _span(attributes))
    return labels


def _label_row(row: str, labels: list[str]) -> str:
    """``row`` with a ``data-label`` on each data cell that has a named column (``labels``
    already escaped for an attribute)."""
    column = 0

    def label(match: re.Match[str]) -> str:
        nonlocal column
        kind, attributes = match.group(1), match.group(2)
        index, column = column, column + _span(attributes)
        if kind != "d" or "data-label" in attributes or index >= len(labels):
            return match.group(0)
        if not labels[index]:
            return match.group(0)
        return f'<td data-label="{labels[index]}"{attributes}>'

    return _CELL_TAG.sub(label, row)


def _with_class(tag: str) -> str:
    found = _CLASS.search(tag)
    if found is None:
        return tag.replace("<table", f'<table class="{STACKED_CLASS}"', 1)
    classes = f"{found.group(2)} {STACKED_CLASS}".strip()
    return tag[: found.start()] + f'class="{classes}"' + tag[found.end() :]


def _label_table(match: re.Match[str]) -> str:
    opening, body, closing = match.groups()
    head = _HEAD.search(body)
    if head is None:
        return match.group(0)
    labels = [escape(label) for label in column_labels(head.group(0))]
    rest = _ROW.sub(lambda row: _label_row(row.group(0), labels), body[head.end() :])
    return _with_class(opening) + body[: head.end()] + rest + closing


def labelled_tables(html: str) -> Markup:
    """``html`` (already escaped markup) with every table that has a ``<thead>`` marked as
    stacking on a phone and each of its data cells labelled with its column's name."""
    return Markup(_TABLE.sub(_label_table, str(html)))
