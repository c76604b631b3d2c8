"""Rendering emails from the catalog's templates: subject, plain text and HTML."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template, select_autoescape

from core.french_dates import french_date as french_date
from core.french_dates import french_datetime as french_datetime
from notifications.catalog import MESSAGES


@dataclass(frozen=True)
class RenderedEmail:
    """An email ready to send: subject, text body and HTML alternative."""

    subject: str
    text: str
    html: str


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja environment: autoescaped HTML, and any missing variable is an error."""
    env = Environment(
        loader=PackageLoader("notifications", "templates"),
        autoescape=select_autoescape(["html"], default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["date_fr"] = french_date
    env.filters["datetime_fr"] = french_datetime
    return env


@cache
def _subject(message: str) -> Template:
    """The compiled subject template of ``message``: compiled once, not once per email."""
    return environment().from_string(MESSAGES[message].subject)


@cache
def _bodies(message: str) -> tuple[Template, Template]:
    """The text and HTML templates of ``message``, looked up once rather than once per email
    (each lookup checks the file on disk again)."""
    env = environment()
    return env.get_template(f"{message}.txt"), env.get_template(f"{message}.html")


def render_subject(message: str, context: Mapping[str, Any]) -> str:
    """The subject of ``message`` for ``context``, on one line."""
    return " ".join(_subject(message).render(context).split())


def render(message: str, context: dict[str, Any], base_url: str) -> RenderedEmail:
    """Render ``message`` for ``context``; links are made absolute with ``base_url``."""
    text, html = _bodies(message)
    values = {**context, "base_url": base_url.rstrip("/")}
    if "path" in context:
        values["link"] = values["base_url"] + context["path"]
    return RenderedEmail(
        subject=render_subject(message, values),
        text=text.render(values),
        html=html.render(values),
    )
