"""The one settings object of relais, read from ``RELAIS_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Self, get_args

from pydantic import Field, PrivateAttr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.secret_key import SecretKeyFileError, development_secret, weak_secret_problem

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/relais.db"
# The constant early versions signed with when no key was set: public, so refused.
PUBLISHED_SECRETS = frozenset({"relais-development-secret-not-for-production-use"})
Environment = Literal["development", "test", "production"]


class UnsafeSettingsError(ValueError):
    """Raised when settings are unsafe; ``problems`` name each setting, never its value."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class Settings(BaseSettings):
    """Configuration of one relais process.

    Everything has a default that works on a laptop with nothing installed; outside the
    ``development`` environment the unsafe defaults are refused at start-up. In development
    without ``RELAIS_SECRET_KEY``, the key is drawn once into ``<var_dir>/secret_key``.
    """

    model_config = SettingsConfigDict(env_prefix="RELAIS_", extra="ignore")

    environment: Environment = "development"
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = ""
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
    # The plan's comité technique meets at least this many times a year (governance check).
    technique_min_meetings: int = Field(default=3, ge=1, le=12)
    # Business days after a project group's end date before coordinators hear it is not closed.
    project_group_escalation_business_days: int = Field(default=10, ge=1, le=250)
    # Whom a person asks about their data (the DPO): shown in the information notice.
    privacy_contact: str = Field(default="", max_length=300)
    # How a person reaches the plan's coordination (« Aide et contact », the accessibility
    # statement): an address, a phone line or a form's URL, set by the operator.
    help_contact: str = Field(default="", max_length=300)
    # « Mentions légales »: who publishes relais (name, address, director of publication) and
    # who hosts it (name, address, phone).
    legal_publisher: str = Field(default="", max_length=500)
    legal_host: str = Field(default="", max_length=500)
    # A Markdown file replacing the default information notice (raw HTML in it is escaped).
    information_notice_file: Path | None = None
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
    def _notice_file_exists(self) -> Self:
        if self.information_notice_file is not None and not self.information_notice_file.is_file():
            raise ValueError(
                "RELAIS_INFORMATION_NOTICE_FILE doit désigner un fichier Markdown lisible"
            )
        return self

    @model_validator(mode="after")
    def _lockouts_in_order(self) -> Self:
        if self.login_lockout_max_seconds < self.login_lockout_seconds:
            raise ValueError(
                "RELAIS_LOGIN_LOCKOUT_MAX_SECONDS must be at least RELAIS_LOGIN_LOCKOUT_SECONDS"
            )
        return self

    _secret_key_file: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _refuse_unsafe_values(self) -> Self:
        if self.environment == "development":
            if not self.secret_key:
                try:
                    self.secret_key, self._secret_key_file = development_secret(Path(self.var_dir))
                except SecretKeyFileError as error:
                    raise UnsafeSettingsError([f"RELAIS_SECRET_KEY : {error}"]) from None
            return self
        problems = []
        weakness = weak_secret_problem(self.secret_key)
        if not self.secret_key or self.secret_key in PUBLISHED_SECRETS:
            problems.append(
                "RELAIS_SECRET_KEY doit être définie : une valeur tirée au hasard d'au moins "
                '32 caractères (par exemple : python -c "import secrets; '
                'print(secrets.token_urlsafe(48))")'
            )
        elif weakness is not None:
            problems.append(f"RELAIS_SECRET_KEY {weakness}")
        if self.environment == "production" and not self.base_url.startswith("https://"):
            problems.append("RELAIS_BASE_URL doit être une adresse https:// en production")
        if problems:
            raise UnsafeSettingsError(problems)
        return self

    @property
    def secret_key_file(self) -> Path | None:
        """The file the development key was read from, or None when the key was given."""
        return self._secret_key_file

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


_FRENCH_REASONS = {
    "less_than_equal": "doit être inférieur ou égal à {le}",
    "less_than": "doit être inférieur à {lt}",
    "greater_than_equal": "doit être supérieur ou égal à {ge}",
    "greater_than": "doit être supérieur à {gt}",
    "int_parsing": "doit être un nombre entier",
    "int_from_float": "doit être un nombre entier",
    "float_parsing": "doit être un nombre",
    "bool_parsing": "doit valoir true ou false",
}


def refusal_lines(error: ValidationError) -> list[str]:
    """Why the settings were refused, in French: one line per problem, naming the
    ``RELAIS_*`` variable at fault and never the value it holds (it may be a password)."""
    lines: list[str] = []
    for problem in error.errors(include_url=False, include_input=False):
        context: dict[str, Any] = dict(problem.get("ctx") or {})
        cause = context.get("error")
        if isinstance(cause, UnsafeSettingsError):
            lines.extend(cause.problems)
            continue
        field = "_".join(str(part) for part in problem["loc"])
        if problem["type"] == "literal_error":
            allowed = get_args(Settings.model_fields[field].annotation)
            reason = "doit valoir " + " ou ".join(str(value) for value in allowed)
        else:
            reason = _FRENCH_REASONS.get(problem["type"], "valeur refusée").format(**context)
        lines.append(f"RELAIS_{field.upper()} {reason}")
    return lines


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
