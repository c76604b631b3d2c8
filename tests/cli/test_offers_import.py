"""``relais offers import``, run as a real process: on the embedded SQLite database, and on
PostgreSQL when the tests have one."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.embedded

SAMPLE = Path(__file__).parents[2] / "docs" / "data-inclusion" / "services-exemple.json"
ORGANISATIONS = ("Cap emploi 75", "Atelier chantier d'insertion Paris Est")


def relais(
    directory: Path, *args: str, database_url: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``relais ARGS`` in ``directory`` (SQLite under ./var unless ``database_url``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
    if database_url is not None:
        env["RELAIS_DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "relais", *args],
        cwd=directory, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _prepare(directory: Path, database_url: str | None) -> None:
    """The sample's two organisations, each made with its first account."""
    for index, name in enumerate(ORGANISATIONS):
        made = relais(
            directory, "user", "add", "--email", f"admin{index}@import-test.fr",
            "--password", "un-mot-de-passe-solide", "--role", "org_admin",
            "--organisation", name, database_url=database_url,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr


Titles = Callable[[], Awaitable[list[tuple[str, str]]]]


def sqlite_titles(directory: Path) -> Titles:
    """The imported offers of the embedded database under ``directory``."""

    async def read() -> list[tuple[str, str]]:
        with sqlite3.connect(directory / "var" / "relais.db") as connection:
            return list(connection.execute(QUERY))

    return read


QUERY = "SELECT source_id, title FROM offers WHERE source_id IS NOT NULL ORDER BY source_id"


async def import_twice_then_refuse(
    directory: Path, database_url: str | None, titles: Titles
) -> None:
    """A dry run writes nothing; an import creates; a second updates; a file with one bad
    record is refused whole."""
    _prepare(directory, database_url)
    dry = relais(directory, "offers", "import", str(SAMPLE), "--dry-run", database_url=database_url)
    assert dry.returncode == 0, dry.stderr
    assert "(simulation) 2 offre(s) seraient créée(s), 0 mise(s) à jour." in dry.stdout
    assert await titles() == []

    first = relais(directory, "offers", "import", str(SAMPLE), database_url=database_url)
    assert first.returncode == 0, first.stderr
    assert "offre « Job dating inclusif » créée (Cap emploi 75, Trouver un emploi" in first.stdout
    again = relais(directory, "offers", "import", str(SAMPLE), database_url=database_url)
    assert "0 offre(s) sont créée(s), 2 mise(s) à jour." in again.stdout
    assert len(await titles()) == 2

    data = json.loads(SAMPLE.read_text(encoding="utf-8"))
    data["services"][0]["nom"] = "Job dating renouvelé"
    data["services"][1]["description"] = "Non"
    broken = directory / "refuse.json"
    broken.write_text(json.dumps(data), encoding="utf-8")
    refused = relais(directory, "offers", "import", str(broken), database_url=database_url)
    assert refused.returncode == 1
    assert (
        "service n°2 (dora--atelier-paris-est--remobilisation-sport) refusé : description"
        in refused.stderr
    )
    assert "Aucune offre importée : 1 service(s) refusé(s)." in refused.stderr
    # Nothing half-written: the first service, valid, was not updated either.
    assert ("dora--cap-emploi-75--job-dating", "Job dating inclusif") in await titles()


async def test_import_on_the_embedded_database(tmp_path: Path) -> None:
    await import_twice_then_refuse(tmp_path, None, sqlite_titles(tmp_path))


def test_an_unreadable_file_and_an_unknown_organisation_are_refused(tmp_path: Path) -> None:
    missing = relais(tmp_path, "offers", "import", str(tmp_path / "absent.json"))
    assert missing.returncode == 1
    assert "Fichier illisible" in missing.stderr
    unknown = relais(tmp_path, "offers", "import", str(SAMPLE), "--organisation", "Inconnue")
    assert unknown.returncode == 1
    assert "Aucune organisation « Inconnue » dans relais." in unknown.stderr
