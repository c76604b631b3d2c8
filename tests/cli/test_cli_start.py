"""The command line starts without loading what its command does not use.

Every ``relais`` command is a new process (an operator's cron line, each step of
``tests/workflows/test_scenario.py``): what it imports before running is paid each time.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("fastapi", "fastapi_users", "fpdf", "alembic", "uvicorn", "prefect")


@pytest.mark.parametrize(
    ("command", "modules"),
    [
        ("any command", ["relais.cli"]),
        # sweep, deliver, digest and retention: the domain, its models and the database.
        ("a scheduled job", ["relais.cli", "workflows.runs"]),
    ],
)
def test_a_command_starts_without_the_web_stack_the_pdf_or_the_scheduler(
    command: str, modules: list[str]
) -> None:
    script = "; ".join(
        [*(f"import {module}" for module in modules), "import sys", "print(sorted(sys.modules))"]
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    names = {name.strip("'[] ") for name in loaded.split(",")}
    assert [heavy for heavy in HEAVY if heavy in names] == [], command
