"""The signing key: drawn at random per machine in development, strong everywhere else.

Regression (issue 12, finding 1): without ``RELAIS_SECRET_KEY`` relais signed sessions with
a constant written in its code, so anyone could sign one for the admin.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.secret_key import development_secret
from core.settings import PUBLISHED_SECRETS, Settings, get_settings, refusal_lines

HTTPS = "https://relais.paris.fr"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.upper().startswith("RELAIS_"):
            monkeypatch.delenv(name)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_development_draws_a_private_key_once_per_var_dir(tmp_path: Path) -> None:
    first = Settings(var_dir=str(tmp_path / "one"))
    key_file = tmp_path / "one" / "secret_key"
    assert first.secret_key_file == key_file
    assert _mode(key_file) == 0o600
    assert first.secret_key == key_file.read_text().strip()
    assert len(first.secret_key) >= 32
    assert first.secret_key not in PUBLISHED_SECRETS
    assert Settings(var_dir=str(tmp_path / "one")).secret_key == first.secret_key
    other = Settings(var_dir=str(tmp_path / "two"))
    assert other.secret_key != first.secret_key
    assert list((tmp_path / "one").iterdir()) == [key_file]


def test_a_given_key_is_used_and_no_file_is_written(tmp_path: Path) -> None:
    settings = Settings(secret_key="a-developer-key", var_dir=str(tmp_path / "var"))
    assert settings.secret_key == "a-developer-key"
    assert settings.secret_key_file is None
    assert not (tmp_path / "var").exists()


def test_an_opened_up_key_file_is_made_private_again(tmp_path: Path) -> None:
    key = Settings(var_dir=str(tmp_path)).secret_key
    (tmp_path / "secret_key").chmod(0o644)
    assert Settings(var_dir=str(tmp_path)).secret_key == key
    assert _mode(tmp_path / "secret_key") == 0o600


@pytest.mark.parametrize("content", ["", "short\n", "x" * 40])
def test_a_damaged_key_file_is_refused_naming_the_file(tmp_path: Path, content: str) -> None:
    (tmp_path / "secret_key").write_text(content)
    with pytest.raises(ValidationError) as raised:
        Settings(var_dir=str(tmp_path))
    [line] = refusal_lines(raised.value)
    assert line.startswith("RELAIS_SECRET_KEY")
    assert str(tmp_path / "secret_key") in line and "supprimez ce fichier" in line
    if content:
        assert content.strip() not in line


def test_an_unusable_var_dir_is_refused_in_french(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    with pytest.raises(ValidationError) as raised:
        Settings(var_dir=str(blocker))
    [line] = refusal_lines(raised.value)
    assert "ne peut être ni lue ni créée" in line and "RELAIS_VAR_DIR" in line


def test_starts_racing_for_the_first_key_agree_on_one(tmp_path: Path) -> None:
    start = threading.Barrier(8)

    def first_run(directory: Path) -> str:
        start.wait()
        return development_secret(directory)[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = set(pool.map(first_run, [tmp_path] * 8))
    assert len(keys) == 1
    assert [path.name for path in tmp_path.iterdir()] == ["secret_key"]


@pytest.mark.parametrize("environment", ["test", "production"])
@pytest.mark.parametrize(
    "secret", ["a" * 64, "0" * 32, *PUBLISHED_SECRETS], ids=["a64", "zero32", "published"]
)
def test_a_repeated_or_published_key_is_refused_outside_development(
    environment: str, secret: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(environment=environment, secret_key=secret, base_url=HTTPS)
    [line] = refusal_lines(raised.value)
    assert line.startswith("RELAIS_SECRET_KEY")
    assert secret not in line


def test_no_development_key_file_outside_development(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        Settings(environment="production", base_url=HTTPS, var_dir=str(tmp_path))
    assert not (tmp_path / "secret_key").exists()
