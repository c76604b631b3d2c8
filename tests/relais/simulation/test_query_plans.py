"""Every statement a simulated fortnight sends reads the tables that grow with the years
through what it names of them, on the embedded SQLite.

SQLite keeps no statistics unless asked (``ANALYZE``): it picks an index from its columns
alone, whatever the data. A statement naming a case (its id) whose plan searches a timer or
an email by kind or status only, or any plan that scans such a table from end to end, reads
rows in proportion to the years of data: each simulated month took longer than the last.
The plan does not depend on the data, so a short run shows what a year would do.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from core.migrate import upgrade_engine
from core.settings import Settings
from relais.simulation import run
from relais.simulation.report import measure
from relais.simulation.run import SimulationConfig, simulate
from tests.factories import SECRET

SETTINGS = Settings(environment="test", secret_key=SECRET)
CONFIG = SimulationConfig(60, 15, 1, 0.1, 0.05)

GROWING = frozenset(
    {
        "referrals",
        "handovers",
        "accompaniments",
        "accompaniment_partners",
        "decisions",
        "action_items",
        "persons",
        "person_events",
        "events",
        "timers",
        "outbox",
        "case_texts",
        "access_log",
        "audit_entries",
    }
)
"""The tables whose rows come with each case, event, deadline or email."""

UNSELECTIVE = frozenset({"case_kind", "kind", "status", "message", "closed_at"})
"""Columns with a handful of values: a search on these alone reads a share of the table."""

KEYS = ("id", "case_id", "person_id", "accompaniment_id")
"""Columns that name one case or person: a statement giving one expects its plan to use it."""

ALLOWED_SCANS = {
    # The simulation's newcomer reads its invitation from the email queued for it, a few
    # times in a year: no index on the emails of a case is worth its writes for that.
    "SELECT outbox.context FROM outbox WHERE outbox.case_kind = ?",
}


def problems(statement: str, plan: Sequence[str]) -> list[str]:
    """What in ``plan`` reads a growing table beyond what ``statement`` asks for."""
    found = []
    for line in plan:
        scan = re.match(r"SCAN (\w+)", line)
        if scan and scan.group(1) in GROWING:
            if not any(statement.startswith(allowed) for allowed in ALLOWED_SCANS):
                found.append(line)
            continue
        search = re.match(r"SEARCH (\w+) USING (?:COVERING )?INDEX \w+ \((.*)\)$", line)
        if search is None or search.group(1) not in GROWING:
            continue
        table, constraints = search.groups()
        columns = {re.split(r"[=<>]", term)[0] for term in constraints.split(" AND ")}
        named = any(re.search(rf"\b{table}\.{key} = ", statement) for key in KEYS)
        if columns <= UNSELECTIVE and named:
            found.append(line)
    return found


class Recorder:
    """Every distinct statement sent on any engine while listening, with the parameters of
    its first sending (an insert of several rows at once left out)."""

    def __init__(self) -> None:
        self.statements: dict[str, Any] = {}

    def _note(self, conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if not args[1]:  # executemany
            self.statements.setdefault(" ".join(statement.split()), parameters)

    def start(self) -> None:
        """Listen from now on."""
        event.listen(Engine, "before_cursor_execute", self._note)

    def stop(self) -> None:
        """Stop listening (again is harmless)."""
        if event.contains(Engine, "before_cursor_execute", self._note):
            event.remove(Engine, "before_cursor_execute", self._note)


def test_the_planner_finds_each_problem() -> None:
    named = "SELECT timers.due_at FROM timers WHERE timers.case_kind = ? AND timers.case_id = ?"
    assert problems(named, ["SEARCH timers USING INDEX ix_timers_due (status=?)"])
    assert problems(named, ["SEARCH timers USING INDEX ix_timers_case (case_kind=?)"])
    assert not problems(named, ["SEARCH timers USING INDEX ix_t (case_kind=? AND case_id=?)"])
    # A list of the pending ones by due time names no case: a range on the due time is its use.
    assert not problems(
        "SELECT timers.id FROM timers WHERE timers.due_at <= ?",
        ["SEARCH timers USING INDEX ix_timers_pending (due_at<?)"],
    )
    assert problems("SELECT outbox.id FROM outbox", ["SCAN outbox USING COVERING INDEX k"])
    assert not problems("SELECT offers.id FROM offers", ["SCAN offers"])


@pytest.mark.embedded
async def test_every_statement_of_a_simulated_fortnight_reads_what_it_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "simulation.db"
    recorder = Recorder()

    async def migrated(engine: Any) -> None:
        await upgrade_engine(engine)
        # The migrations' own statements run once, on an empty database: left out.
        recorder.start()

    async def measured(*args: Any, **kwargs: Any) -> Any:
        # The report's counts run once, at the end: left out.
        recorder.stop()
        return await measure(*args, **kwargs)

    monkeypatch.setattr(run, "upgrade_engine", migrated)
    monkeypatch.setattr(run, "measure", measured)
    settings = SETTINGS.model_copy(update={"database_url": f"sqlite+aiosqlite:///{path}"})
    try:
        report = await simulate(settings, CONFIG, lambda line: None)
    finally:
        recorder.stop()
    assert report.stalled == 0 and report.lost_emails == 0

    statements = recorder.statements
    assert len(statements) > 150  # the traffic, the sweep, the digest, the coordinators
    database = sqlite3.connect(path)
    try:
        found = {}
        for statement, parameters in statements.items():
            if not re.match(r"(SELECT|UPDATE|DELETE|INSERT|WITH)\b", statement):
                continue
            if re.search(r"WHERE 0 = 1( ORDER BY| LIMIT|$)", statement):
                continue  # nothing to read: a filter nobody passes (a role that sees none)
            plan = [
                row[3]
                for row in database.execute(f"EXPLAIN QUERY PLAN {statement}", parameters or ())
            ]
            if trouble := problems(statement, plan):
                found[statement[:300]] = trouble
    finally:
        database.close()
    assert found == {}, "\n".join(f"{k}\n  {v}" for k, v in found.items())
