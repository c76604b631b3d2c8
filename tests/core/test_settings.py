"""Settings: safe defaults on a laptop, refusal to start with unsafe values anywhere else.

Every test starts with no ``RELAIS_*`` variable in the environment, so that a developer's or
the CI's own configuration cannot change the outcome, in a directory of its own, where the
development key (``./var/secret_key``) is drawn.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.settings import Settings, UnsafeSettingsError, get_settings, refusal_lines

GOOD_SECRET = "k3Xq9vR2mW7pL4tZ8bN1cY6hJ5sD0fGa"  # 32 characters
SHORT_SECRET = GOOD_SECRET[:31]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.upper().startswith("RELAIS_"):
            monkeypatch.delenv(name)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_development_accepts_every_default() -> None:
    settings = Settings()
    assert settings.environment == "development"
    assert settings.secret_key_file == Path("var/secret_key")
    assert settings.secret_key == Path("var/secret_key").read_text().strip()
    assert settings.database_url.startswith("sqlite+aiosqlite:")
    assert settings.is_sqlite
    assert settings.base_url.startswith("http://")


def test_development_accepts_a_short_secret() -> None:
    assert Settings(environment="development", secret_key="short").secret_key == "short"


@pytest.mark.parametrize("environment", ["test", "production"])
def test_default_secret_is_refused_outside_development(environment: str) -> None:
    with pytest.raises(ValidationError, match="RELAIS_SECRET_KEY") as raised:
        Settings(environment=environment, base_url="https://relais.paris.fr")
    assert isinstance(raised.value.errors()[0]["ctx"]["error"], UnsafeSettingsError)


@pytest.mark.parametrize("environment", ["test", "production"])
def test_short_secret_is_refused_outside_development(environment: str) -> None:
    assert len(SHORT_SECRET) == 31
    with pytest.raises(ValidationError, match="au moins 32 caractères"):
        Settings(
            environment=environment, secret_key=SHORT_SECRET, base_url="https://relais.paris.fr"
        )


def test_a_32_character_secret_is_enough() -> None:
    settings = Settings(
        environment="production", secret_key=GOOD_SECRET, base_url="https://relais.paris.fr"
    )
    assert settings.secret_key == GOOD_SECRET


@pytest.mark.parametrize(
    "base_url", ["http://relais.paris.fr", "relais.paris.fr", "ftp://relais.paris.fr"]
)
def test_production_refuses_a_non_https_base_url(base_url: str) -> None:
    with pytest.raises(ValidationError, match="RELAIS_BASE_URL") as raised:
        Settings(environment="production", secret_key=GOOD_SECRET, base_url=base_url)
    assert "RELAIS_SECRET_KEY" not in str(raised.value)


def test_test_environment_allows_plain_http() -> None:
    settings = Settings(environment="test", secret_key=GOOD_SECRET, base_url="http://127.0.0.1")
    assert settings.base_url == "http://127.0.0.1"


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(environment="production", base_url="http://relais.paris.fr")
    message = str(raised.value)
    assert "RELAIS_SECRET_KEY" in message
    assert "RELAIS_BASE_URL" in message


def test_reads_relais_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAIS_ENVIRONMENT", "production")
    monkeypatch.setenv("RELAIS_SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("RELAIS_BASE_URL", "https://relais.paris.fr")
    monkeypatch.setenv("RELAIS_DATABASE_URL", "postgresql+asyncpg://relais@db.internal/relais")
    monkeypatch.setenv("RELAIS_SMTP_HOST", "smtp.paris.fr")
    monkeypatch.setenv("RELAIS_SMTP_PORT", "2525")
    monkeypatch.setenv("RELAIS_MAIL_FROM", "relais <relais@paris.fr>")
    settings = Settings()
    assert settings.environment == "production"
    assert settings.secret_key == GOOD_SECRET
    assert settings.base_url == "https://relais.paris.fr"
    assert settings.database_url == "postgresql+asyncpg://relais@db.internal/relais"
    assert not settings.is_sqlite
    assert settings.smtp_host == "smtp.paris.fr"
    assert settings.smtp_port == 2525
    assert settings.mail_from == "relais <relais@paris.fr>"


def test_unprefixed_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://elsewhere/db")
    settings = Settings()
    assert settings.secret_key != GOOD_SECRET
    assert settings.secret_key_file is not None
    assert settings.is_sqlite


def test_unsafe_environment_fails_fast_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAIS_ENVIRONMENT", "production")
    monkeypatch.setenv("RELAIS_BASE_URL", "https://relais.paris.fr")
    with pytest.raises(ValidationError, match="RELAIS_SECRET_KEY"):
        get_settings()


def test_invalid_port_from_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAIS_SMTP_PORT", "70000")
    with pytest.raises(ValidationError, match="smtp_port"):
        Settings()


def test_get_settings_reads_the_environment_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAIS_BASE_URL", "http://first.example")
    first = get_settings()
    monkeypatch.setenv("RELAIS_BASE_URL", "http://second.example")
    assert get_settings() is first
    assert first.base_url == "http://first.example"


def test_a_refusal_names_each_variable_in_french_and_never_a_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RELAIS_SMTP_PASSWORD", "Mot2Passe-SMTP-Confidentiel")
    monkeypatch.setenv("RELAIS_SMTP_PORT", "70000")
    monkeypatch.setenv("RELAIS_ENVIRONMENT", "staging")
    monkeypatch.setenv("RELAIS_RETENTION_MONTHS", "douze")
    with pytest.raises(ValidationError) as raised:
        get_settings()
    assert refusal_lines(raised.value) == [
        "RELAIS_ENVIRONMENT doit valoir development ou test ou production",
        "RELAIS_SMTP_PORT doit être inférieur ou égal à 65535",
        "RELAIS_RETENTION_MONTHS doit être un nombre entier",
    ]


def test_unsafe_settings_are_listed_one_per_line() -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(environment="production", secret_key=SHORT_SECRET, base_url="http://x.fr")
    lines = refusal_lines(raised.value)
    assert [line.split()[0] for line in lines] == ["RELAIS_SECRET_KEY", "RELAIS_BASE_URL"]
    assert not any(SHORT_SECRET in line for line in lines)
