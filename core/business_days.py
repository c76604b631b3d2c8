"""Business days (jours ouvrés) in Europe/Paris: weekends and French public holidays excluded."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from core.clock import as_utc

PARIS = ZoneInfo("Europe/Paris")


def assume_paris(moment: datetime) -> datetime:
    """``moment`` as it is if it has an offset; a time without one is Paris time."""
    return moment.replace(tzinfo=PARIS) if moment.tzinfo is None else moment


@lru_cache(maxsize=64)
def _french_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("FR", years=year))


def is_business_day(day: date) -> bool:
    """Whether ``day`` is worked in Paris: Monday to Friday and not a public holiday."""
    return day.weekday() < 5 and day not in _french_holidays(day.year)


def add_business_days(start: datetime, days: int) -> datetime:
    """The instant ``days`` business days after ``start``, at the same Paris wall-clock time.

    Counting starts the day after ``start``: a Friday plus one business day is the next
    Monday (or Tuesday when Monday is a holiday). The result is in UTC.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    local = as_utc(start).astimezone(PARIS)
    day = _business_days_after(local.date(), days)
    wall_clock = time(local.hour, local.minute, local.second, local.microsecond)
    return datetime.combine(day, wall_clock, tzinfo=PARIS).astimezone(UTC)


@lru_cache(maxsize=4096)
def _business_days_after(start: date, days: int) -> date:
    """The Paris date ``days`` business days after ``start``: every transition plans its
    timers from today's date, a few delays each, so each pair is walked once."""
    day = start
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if is_business_day(day):
            remaining -= 1
    return day


def business_days_between(start: datetime, end: datetime) -> int:
    """How many business days lie after ``start``'s Paris date up to ``end``'s, inclusive."""
    return business_days_between_dates(paris_date(start), paris_date(end))


def paris_date(moment: datetime) -> date:
    """The date in Paris at ``moment`` (a naive one is UTC): the day a person's age is
    counted on, a case's day in the figures."""
    return as_utc(moment).astimezone(PARIS).date()


def paris_midnight(day: date) -> datetime:
    """The first instant of ``day`` in Paris, in UTC."""
    return datetime.combine(day, time(0), tzinfo=PARIS).astimezone(UTC)


@lru_cache(maxsize=4096)
def business_days_between_dates(first: date, last: date) -> int:
    """How many business days lie after the Paris date ``first`` up to ``last``, inclusive
    (``business_days_between`` of two dates): the thousands of cases of an export fall on a
    few hundred dates, each pair counted once."""
    if last <= first:
        return 0
    # Counted, not walked: a case overdue for years is described as fast as one of a day.
    holidays_off = sum(
        1
        for year in range(first.year, last.year + 1)
        for holiday in _french_holidays(year)
        if first < holiday <= last and holiday.weekday() < 5
    )
    return _weekdays_through(last) - _weekdays_through(first) - holidays_off


def _weekdays_through(day: date) -> int:
    """Mondays to Fridays from 1 January of year 1 (a Monday) to ``day``, inclusive."""
    weeks, rest = divmod(day.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


def _same_day_in(year: int, month: int, day: int) -> date:
    """``day`` of ``month``, or the month's last day when it has fewer (29 February)."""
    for candidate in (day, 30, 29, 28):
        if candidate <= day:
            try:
                return date(year, month, candidate)
            except ValueError:
                continue
    raise ValueError(f"no day {day} in {year}-{month}")


def months_before(moment: datetime, months: int) -> datetime:
    """The instant ``months`` calendar months before ``moment``, at the same Paris wall-clock
    time; the 31 May less three months is the 28 (or 29) February. The result is in UTC."""
    if months < 0:
        raise ValueError("months must not be negative")
    local = as_utc(moment).astimezone(PARIS)
    index = local.year * 12 + (local.month - 1) - months
    day = _same_day_in(index // 12, index % 12 + 1, local.day)
    wall_clock = time(local.hour, local.minute, local.second, local.microsecond)
    return datetime.combine(day, wall_clock, tzinfo=PARIS).astimezone(UTC)


def birthday_at(birth_date: date, years: int) -> datetime:
    """The start (midnight, Paris) of the day someone born on ``birth_date`` turns ``years``;
    born on 29 February, they turn it on the 28th in a common year. The result is in UTC."""
    return paris_midnight(_same_day_in(birth_date.year + years, birth_date.month, birth_date.day))
