"""The login throttling settings (``RELAIS_LOGIN_*``): documented defaults, sane bounds."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from core.settings import Settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("RELAIS_"):
            monkeypatch.delenv(name)


def test_login_throttling_defaults() -> None:
    settings = Settings()
    assert settings.login_max_failures == 5
    assert settings.login_max_failures_per_address == 20
    assert settings.login_failure_window_seconds == 15 * 60
    assert settings.login_lockout_seconds == 60
    assert settings.login_lockout_max_seconds == 3600


def test_login_settings_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAIS_LOGIN_MAX_FAILURES", "3")
    monkeypatch.setenv("RELAIS_LOGIN_LOCKOUT_SECONDS", "30")
    settings = Settings()
    assert (settings.login_max_failures, settings.login_lockout_seconds) == (3, 30)


@pytest.mark.parametrize(
    "values",
    [
        {"login_max_failures": 0},
        {"login_lockout_seconds": 0},
        {"login_lockout_seconds": 600, "login_lockout_max_seconds": 300},
    ],
)
def test_nonsense_login_settings_are_refused(values: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        Settings(**values)  # type: ignore[arg-type]
