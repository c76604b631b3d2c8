"""The README lists every indicator of the catalogue with its definition, as the code declares
it once."""

from __future__ import annotations

from pathlib import Path

from services.indicators.catalogue import INDICATORS

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_lists_each_indicator_with_its_definition() -> None:
    text = README.read_text(encoding="utf-8")
    for indicator in INDICATORS.values():
        assert f"| `{indicator.key}` | {indicator.name} | {indicator.definition} |" in text
