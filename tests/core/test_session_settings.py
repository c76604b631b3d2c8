"""``RELAIS_SESSION_IDLE_SECONDS``: how long a page session may go unused (default 2 hours)."""

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


def test_page_sessions_go_idle_after_two_hours_by_default() -> None:
    assert Settings().session_idle_seconds == 7200


def test_the_idle_timeout_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAIS_SESSION_IDLE_SECONDS", "900")
    assert Settings().session_idle_seconds == 900


@pytest.mark.parametrize("seconds", ["0", "59", "-1", "deux heures"])
def test_an_idle_timeout_under_a_minute_or_not_a_number_is_refused(
    monkeypatch: pytest.MonkeyPatch, seconds: str
) -> None:
    monkeypatch.setenv("RELAIS_SESSION_IDLE_SECONDS", seconds)
    with pytest.raises(ValidationError, match="session_idle_seconds"):
        Settings()
