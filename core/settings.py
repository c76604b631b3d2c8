"""The one settings object of relais, read from ``RELAIS_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "relais-development-secret-not-for-production-use"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/relais.db"


class UnsafeSettingsError(ValueError):
    """Raised when a setting is unsafe outside development."""


class Settings(BaseSettings):
    """Configuration of one relais process.

    Everything has a default that works on a laptop with nothing installed; outside the
    ``development`` environment the unsafe defaults are refused at start-up.
    """

    model_config = SettingsConfigDict(env_prefix="RELAIS_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = DEVELOPMENT_SECRET
    access_token_lifetime_seconds: int = Field(default=8 * 3600, ge=60)
    # A page session unused for longer falls back to the login page (sliding: each page renews it).
    session_idle_seconds: int = Field(default=2 * 3600, ge=60)
    base_url: str = "http://127.0.0.1:8000"
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = Field(default=30, gt=0, le=600)
    mail_from: str = "relais <no-reply@relais.localhost>"
    delivery_max_attempts: int = Field(default=8, ge=1, le=50)
    var_dir: str = "./var"
    retention_months: int = Field(default=24, ge=1)
    page_size_max: int = Field(default=100, ge=1, le=1000)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    """The largest request body accepted, in bytes; a larger one is refused (413) unread."""
    # Login throttling (services/login_throttle.py): after this many failed logins for one
    # account, or from one address, each less than the window after the previous one (or after
    # the end of the last lockout), logins are refused for the lockout, doubled at each new
    # lockout up to the maximum. An address gets more tries: colleagues may share one.
    login_max_failures: int = Field(default=5, ge=1, le=1000)
    login_max_failures_per_address: int = Field(default=20, ge=1, le=100_000)
    login_failure_window_seconds: int = Field(default=15 * 60, ge=1, le=7 * 24 * 3600)
    login_lockout_seconds: int = Field(default=60, ge=1, le=24 * 3600)
    login_lockout_max_seconds: int = Field(default=3600, ge=1, le=7 * 24 * 3600)

    @model_validator(mode="after")
    def _lockouts_in_order(self) -> Self:
        if self.login_lockout_max_seconds < self.login_lockout_seconds:
            raise ValueError(
                "RELAIS_LOGIN_LOCKOUT_MAX_SECONDS must be at least RELAIS_LOGIN_LOCKOUT_SECONDS"
            )
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_values(self) -> Self:
        if self.environment == "development":
            return self
        problems = []
        if self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < 32:
            problems.append(
                "RELAIS_SECRET_KEY must be set to a random value of at least 32 characters"
            )
        if self.environment == "production" and not self.base_url.startswith("https://"):
            problems.append("RELAIS_BASE_URL must be an https:// address in production")
        if problems:
            raise UnsafeSettingsError("; ".join(problems))
        return self

    @property
    def mail_dir(self) -> Path:
        """The Maildir where emails go when no SMTP relay is configured."""
        return Path(self.var_dir) / "mail"

    @property
    def cookies_secure(self) -> bool:
        """Whether browser cookies carry ``Secure``: whenever relais is served over https."""
        return self.base_url.startswith("https://")

    @property
    def is_sqlite(self) -> bool:
        """Whether the configured database is the embedded SQLite one."""
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
