"""Each module of ``states`` imports on its own, whichever is imported first.

The engine imports the policy, the policy the referral lifecycle, and a referral's start
begins an accompaniment through the engine: a module-level import closing that circle made
``relais`` fail to start when the policy happened to be imported first (``python -m relais``
through ``services.accounts``), while the test suite, importing the engine first, passed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

STATES = Path(__file__).resolve().parents[2] / "states"
MODULES = sorted(f"states.{path.stem}" for path in STATES.glob("*.py") if path.stem != "__init__")


@pytest.mark.parametrize("module", MODULES)
def test_the_module_imports_first(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=STATES.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
