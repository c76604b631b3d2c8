"""``relais report``: writes the annual report as a PDF whose first page is the title page."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pypdfium2
import pytest
from typer.testing import CliRunner

from core.settings import get_settings
from relais.cli import app
from tests.factories import SECRET

NON_WHITE_PIXELS = 2_000
"""A title page's lines of text darken far more pixels than this; a blank page none."""


@pytest.fixture
def relais_environment(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[None]:
    """``relais`` in process, on the test database."""
    monkeypatch.setenv("RELAIS_DATABASE_URL", database_url)
    monkeypatch.setenv("RELAIS_ENVIRONMENT", "test")
    monkeypatch.setenv("RELAIS_SECRET_KEY", SECRET)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _first_page(path: Path) -> tuple[int, str, int]:
    """Page 1 rendered to PNG: its non-white pixels, its text layer, and the page count."""
    document = pypdfium2.PdfDocument(path)
    try:
        page = document[0]
        image = page.render(scale=1).to_pil().convert("L")
        png = path.with_suffix(".png")
        image.save(png)
        assert png.stat().st_size > 0
        dark = sum(image.histogram()[:200])  # pixels darker than light grey
        textpage = page.get_textpage()
        text = textpage.get_text_range()
        textpage.close()
        page.close()
        return dark, text, len(document)
    finally:
        document.close()


@pytest.mark.usefixtures("relais_environment", "world")
async def test_the_command_writes_a_pdf_whose_first_page_is_the_title(tmp_path: Path) -> None:
    output = tmp_path / "rapport.pdf"
    result = await asyncio.to_thread(
        CliRunner().invoke,
        app,
        ["report", "--year", "2026", "--output", str(output), "--now", "2027-01-15T10:00"],
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Rapport annuel 2026 écrit dans {output} (")
    assert output.read_bytes().startswith(b"%PDF-")
    dark, text, pages = _first_page(output)
    assert dark > NON_WHITE_PIXELS
    assert "Rapport annuel 2026" in text
    assert "Établi par relais le 15/01/2027 à 10:00" in text
    assert f"page 1 / {pages}" in text and pages > 5


@pytest.mark.usefixtures("relais_environment")
async def test_without_output_the_report_lands_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = await asyncio.to_thread(CliRunner().invoke, app, ["report", "--year", "2031"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "rapport-annuel-2031.pdf").stat().st_size > 1000
    assert "Aucune activité n'a été enregistrée" in _first_page(
        tmp_path / "rapport-annuel-2031.pdf"
    )[1].replace("\r\n", " ").replace("\n", " ")


@pytest.mark.usefixtures("relais_environment")
async def test_a_bad_now_is_refused_in_french(tmp_path: Path) -> None:
    result = await asyncio.to_thread(
        CliRunner().invoke, app, ["report", "--year", "2026", "--now", "demain"]
    )
    assert result.exit_code == 2
    assert "n'est pas une date ISO 8601" in result.output
