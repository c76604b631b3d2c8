"""Rendering emails from the catalog's templates: subject, plain text and HTML."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from jinja2 import Environment, PackageLoader, StrictUndefined, Template, select_autoescape

from notifications.catalog import MESSAGES

PARIS = ZoneInfo("Europe/Paris")
FRENCH = Locale.parse("fr_FR")


def _date_pattern(day: int) -> str:
    """The Babel pattern of a long French date: ``lundi 2 mars 2026``, ``dimanche 1er mars 2026``.

    Babel has no pattern for "1er": French writes the first of the month as an ordinal, which
    CLDR's ``d`` does not, so on that day the "er" is a quoted literal after the day.
    """
    return "EEEE d'er' MMMM y" if day == 1 else "EEEE d MMMM y"


@dataclass(frozen=True)
class RenderedEmail:
    """An email ready to send: subject, text body and HTML alternative."""

    subject: str
    text: str
    html: str


def french_date(value: str | date | datetime) -> str:
    """``lundi 2 mars 2026`` from a date, a datetime (taken in Paris) or an ISO string."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if isinstance(moment, datetime):
        moment = moment.astimezone(PARIS).date() if moment.tzinfo else moment.date()
    return format_date(moment, _date_pattern(moment.day), locale=FRENCH)


def french_datetime(value: str | datetime) -> str:
    """``lundi 2 mars 2026 à 9 h 30`` (Paris time)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    # Converted here, not only by Babel: Babel would take a naive datetime as UTC, where
    # ``astimezone`` takes it as the machine's local time, as it always did.
    local = moment.astimezone(PARIS)
    # "9 h 30", but "9 h" on the hour: no CLDR pattern leaves out minutes that are zero.
    time = " 'à' H 'h' mm" if local.minute else " 'à' H 'h'"
    return format_datetime(local, _date_pattern(local.day) + time, tzinfo=PARIS, locale=FRENCH)


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


def render_subject(message: str, context: Mapping[str, Any]) -> str:
    """The subject of ``message`` for ``context``, on one line."""
    return " ".join(_subject(message).render(context).split())


def render(message: str, context: dict[str, Any], base_url: str) -> RenderedEmail:
    """Render ``message`` for ``context``; links are made absolute with ``base_url``."""
    env = environment()
    values = {**context, "base_url": base_url.rstrip("/")}
    if "path" in context:
        values["link"] = values["base_url"] + context["path"]
    return RenderedEmail(
        subject=render_subject(message, values),
        text=env.get_template(f"{message}.txt").render(values),
        html=env.get_template(f"{message}.html").render(values),
    )
