"""The information notice's settings: whom to ask, and the operator's own text, which must be
a readable file (refused at start-up otherwise, naming the variable)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from core.settings import Settings

SECRET = "k3Xq9vR2mW7pL4tZ8bN1cY6hJ5sD0fGa"


def test_the_notice_file_must_exist(tmp_path: Path) -> None:
    own = tmp_path / "notice.md"
    with pytest.raises(ValidationError, match="RELAIS_INFORMATION_NOTICE_FILE"):
        Settings(environment="test", secret_key=SECRET, information_notice_file=own)
    own.write_text("# Notice", encoding="utf-8")
    settings = Settings(
        environment="test", secret_key=SECRET, information_notice_file=own,
        privacy_contact="dpo@paris.fr",
    )  # fmt: skip
    assert (settings.information_notice_file, settings.privacy_contact) == (own, "dpo@paris.fr")
    assert Settings(environment="test", secret_key=SECRET).information_notice_file is None
