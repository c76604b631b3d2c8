"""Documents the governance hands out: a meeting's minutes (HTML) and the action plan (CSV)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from core.business_days import PARIS
from notifications.render import french_date, french_datetime
from services.governance_reports import ActionPlan, MeetingRecord

PLAN_COLUMNS = (
    "axis",
    "axis_label",
    "decision_reference",
    "decision_title",
    "decided_at",
    "action_reference",
    "action_title",
    "owner",
    "due_on",
    "state",
    "overdue",
)
# Cells a spreadsheet would take for a formula (CSV injection): they get a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("services", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date_fr"] = french_date
    env.filters["datetime_fr"] = french_datetime
    return env


def minutes_html(record: MeetingRecord) -> str:
    """The minutes of a meeting as a self-contained, printable French HTML page."""
    return (
        _environment()
        .get_template("minutes.html")
        .render(
            record=record,
            meeting=record.meeting,
            committee=record.committee,
        )
    )


def csv_cell(value: object) -> str:
    """``value`` as a CSV cell that a spreadsheet will not read as a formula."""
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def action_plan_csv(
    plan: ActionPlan, *, delimiter: str = ",", header: Sequence[str] = PLAN_COLUMNS
) -> bytes:
    """The action plan as CSV, UTF-8 with a byte order mark so that spreadsheets read accents.

    One row per action item, or one per decision that has none; ``header`` names the
    columns (French spreadsheets want ``;`` as ``delimiter``).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for group in plan.axes:
        for decision in group.decisions:
            head = [
                group.axis.value,
                group.axis.label,
                decision.reference,
                csv_cell(decision.title),
                decision.decided_at.astimezone(PARIS).date().isoformat(),
            ]
            if not decision.actions:
                writer.writerow([*head, "", "", "", "", "", ""])
            for action in decision.actions:
                writer.writerow(
                    [
                        *head,
                        action.reference,
                        csv_cell(action.title),
                        csv_cell(action.owner_organisation.name),
                        action.due_on.isoformat(),
                        action.state_label,
                        "oui" if action.overdue else "non",
                    ]
                )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
