"""Dates as French readers write them: ``lundi 2 mars 2026``, ``jeudi 5 mars 2026 à 14 h``.

Emails, pages and the lifecycles' refusals (« possible à partir du … ») share these.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime

PARIS = ZoneInfo("Europe/Paris")
FRENCH = Locale.parse("fr_FR")


def _date_pattern(day: int) -> str:
    """The Babel pattern of a long French date: ``lundi 2 mars 2026``, ``dimanche 1er mars 2026``.

    Babel has no pattern for "1er": French writes the first of the month as an ordinal, which
    CLDR's ``d`` does not, so on that day the "er" is a quoted literal after the day.
    """
    return "EEEE d'er' MMMM y" if day == 1 else "EEEE d MMMM y"


def french_date(value: str | date | datetime) -> str:
    """``lundi 2 mars 2026`` from a date, a datetime (taken in Paris) or an ISO string."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if isinstance(moment, datetime):
        moment = moment.astimezone(PARIS).date() if moment.tzinfo else moment.date()
    return _long_date(moment)


@lru_cache(maxsize=4096)
def _long_date(day: date) -> str:
    """``french_date`` of a date: Babel takes about 8 µs a date, and a page or a digest writes the
    same few dates over and over."""
    return format_date(day, _date_pattern(day.day), locale=FRENCH)


def french_datetime(value: str | datetime) -> str:
    """``lundi 2 mars 2026 à 9 h 30`` (Paris time)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    # Converted here, not only by Babel: Babel would take a naive datetime as UTC, where
    # ``astimezone`` takes it as the machine's local time, as it always did.
    local = moment.astimezone(PARIS)
    # "9 h 30", but "9 h" on the hour: no CLDR pattern leaves out minutes that are zero.
    time = " 'à' H 'h' mm" if local.minute else " 'à' H 'h'"
    return format_datetime(local, _date_pattern(local.day) + time, tzinfo=PARIS, locale=FRENCH)
