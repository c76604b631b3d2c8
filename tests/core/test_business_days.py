"""Business days (jours ouvrés) in Europe/Paris, checked against dates worked out by hand.

Every expected value below was computed on a paper calendar, never with the function under
test. Reminders used throughout:

* 2026: 1 January is a Thursday, Easter Monday is 6 April, 1 May and 8 May are Fridays,
  Ascension is Thursday 14 May, 14 July is a Tuesday, 25 December is a Friday.
* 2027: 1 January is a Friday.
* Summer time starts on Sunday 29 March 2026 (Paris goes from UTC+1 to UTC+2) and ends on
  Sunday 25 October 2026 (back to UTC+1).
* Counting starts the day after the start: Friday + 1 business day is the next Monday.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.business_days import (
    add_business_days,
    business_days_between,
    business_days_between_dates,
    is_business_day,
    paris_date,
    paris_midnight,
)

PARIS = ZoneInfo("Europe/Paris")


def paris(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A wall-clock time in Paris."""
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "worked"),
    [
        (date(2026, 3, 2), True),  # an ordinary Monday
        (date(2026, 3, 6), True),  # an ordinary Friday
        (date(2026, 3, 7), False),  # Saturday
        (date(2026, 3, 8), False),  # Sunday
        (date(2026, 1, 1), False),  # Jour de l'an (Thursday)
        (date(2026, 4, 3), True),  # Good Friday: a holiday only in Alsace-Moselle, not Paris
        (date(2026, 4, 6), False),  # Lundi de Pâques
        (date(2026, 5, 1), False),  # Fête du travail (Friday)
        (date(2026, 5, 8), False),  # Victoire 1945 (Friday)
        (date(2026, 5, 14), False),  # Ascension (Thursday)
        (date(2026, 7, 13), True),  # the Monday before the national day
        (date(2026, 7, 14), False),  # Fête nationale (Tuesday)
        (date(2026, 11, 11), False),  # Armistice (Wednesday)
        (date(2026, 12, 24), True),  # Christmas Eve is worked
        (date(2026, 12, 25), False),  # Noël (Friday)
        (date(2025, 12, 26), True),  # Saint-Étienne: Alsace-Moselle only, worked in Paris
    ],
)
def test_is_business_day(day: date, worked: bool) -> None:
    assert is_business_day(day) is worked


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Friday 6 March 2026, 10:00 (UTC+1). +1: Sat 7 and Sun 8 are skipped -> Mon 9.
        (paris(2026, 3, 6, 10), 1, paris(2026, 3, 9, 10)),
        # +3: Mon 9, Tue 10, Wed 11.
        (paris(2026, 3, 6, 10), 3, paris(2026, 3, 11, 10)),
        # +5: Mon 9 .. Fri 13: a whole working week.
        (paris(2026, 3, 6, 10), 5, paris(2026, 3, 13, 10)),
        # +20: weeks of 9-13 (5), 16-20 (10), 23-27 (15), then Mon 30, Tue 31 March,
        # Wed 1, Thu 2, Fri 3 April (20). Good Friday is worked in Paris.
        (paris(2026, 3, 6, 10), 20, paris(2026, 4, 3, 10)),
    ],
    ids=["friday+1", "friday+3", "friday+5", "friday+20"],
)
def test_submission_on_a_friday(start: datetime, days: int, expected: datetime) -> None:
    assert add_business_days(start, days) == expected


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Monday 13 July 2026. +1: Tue 14 is the national day -> Wed 15.
        (paris(2026, 7, 13), 1, paris(2026, 7, 15)),
        # +3 from Mon 13: Wed 15, Thu 16, Fri 17.
        (paris(2026, 7, 13), 3, paris(2026, 7, 17)),
        # +5 from Mon 13: Wed 15, Thu 16, Fri 17, Mon 20, Tue 21.
        (paris(2026, 7, 13), 5, paris(2026, 7, 21)),
        # Friday 10 July. +2: Mon 13, (Tue 14 skipped), Wed 15.
        (paris(2026, 7, 10), 2, paris(2026, 7, 15)),
        # Starting on the holiday itself (Tue 14): +1 is Wed 15.
        (paris(2026, 7, 14), 1, paris(2026, 7, 15)),
    ],
    ids=["mon13+1", "mon13+3", "mon13+5", "fri10+2", "tue14+1"],
)
def test_around_the_national_day(start: datetime, days: int, expected: datetime) -> None:
    assert add_business_days(start, days) == expected


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Thursday 2 April 2026, 14:30. +1: Fri 3 (Good Friday, worked in Paris).
        (paris(2026, 4, 2, 14, 30), 1, paris(2026, 4, 3, 14, 30)),
        # +2: Sat 4, Sun 5, Mon 6 (Easter Monday) skipped -> Tue 7.
        (paris(2026, 4, 2, 14, 30), 2, paris(2026, 4, 7, 14, 30)),
        # +3: Fri 3, Tue 7, Wed 8.
        (paris(2026, 4, 2, 14, 30), 3, paris(2026, 4, 8, 14, 30)),
        # Friday 3 April, +5: Tue 7, Wed 8, Thu 9, Fri 10, Mon 13.
        (paris(2026, 4, 3, 14, 30), 5, paris(2026, 4, 13, 14, 30)),
    ],
    ids=["thu2+1", "thu2+2", "thu2+3", "fri3+5"],
)
def test_before_easter_monday(start: datetime, days: int, expected: datetime) -> None:
    assert add_business_days(start, days) == expected


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Wednesday 23 December 2026, 16:00. +1: Thu 24 (worked).
        (paris(2026, 12, 23, 16), 1, paris(2026, 12, 24, 16)),
        # +2: Fri 25 (Christmas), Sat 26, Sun 27 skipped -> Mon 28.
        (paris(2026, 12, 23, 16), 2, paris(2026, 12, 28, 16)),
        # +3: Thu 24, Mon 28, Tue 29.
        (paris(2026, 12, 23, 16), 3, paris(2026, 12, 29, 16)),
        # +5: Thu 24, Mon 28, Tue 29, Wed 30, Thu 31.
        (paris(2026, 12, 23, 16), 5, paris(2026, 12, 31, 16)),
        # Thursday 24 December, +1: Fri 25 to Sun 27 skipped -> Mon 28.
        (paris(2026, 12, 24, 16), 1, paris(2026, 12, 28, 16)),
    ],
    ids=["wed23+1", "wed23+2", "wed23+3", "wed23+5", "thu24+1"],
)
def test_before_christmas(start: datetime, days: int, expected: datetime) -> None:
    assert add_business_days(start, days) == expected


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Wednesday 31 December 2025. +1: Thu 1 January is a holiday -> Fri 2 January 2026.
        (paris(2025, 12, 31), 1, paris(2026, 1, 2)),
        # Wednesday 23 December 2026, +6: the five of the Christmas case end on Thu 31;
        # Fri 1 January 2027 (holiday), Sat 2, Sun 3 skipped -> Mon 4 January 2027.
        (paris(2026, 12, 23, 16), 6, paris(2027, 1, 4, 16)),
        # +20 from Wed 23 December 2026: Thu 24, Mon 28 .. Thu 31 (5), Mon 4 .. Fri 8
        # January (10), 11 .. 15 (15), 18 .. 22 (20) -> Fri 22 January 2027.
        (paris(2026, 12, 23, 16), 20, paris(2027, 1, 22, 16)),
    ],
    ids=["2025-12-31+1", "2026-12-23+6", "2026-12-23+20"],
)
def test_across_new_year(start: datetime, days: int, expected: datetime) -> None:
    assert add_business_days(start, days) == expected


def test_keeps_the_paris_wall_clock_time_across_the_spring_change() -> None:
    # Friday 27 March 2026 09:00 in Paris is 08:00 UTC (winter time, UTC+1). One business
    # day later is Monday 30 March, after the change on Sunday 29: 09:00 in Paris is then
    # 07:00 UTC (summer time, UTC+2). Adding 72 hours would have given 08:00 UTC.
    result = add_business_days(utc(2026, 3, 27, 8), 1)
    assert result == utc(2026, 3, 30, 7)
    assert result.astimezone(PARIS).hour == 9
    assert result - utc(2026, 3, 27, 8) == timedelta(hours=71)


def test_keeps_the_paris_wall_clock_time_across_the_autumn_change() -> None:
    # Friday 23 October 2026 09:00 in Paris is 07:00 UTC (UTC+2); Monday 26 October, after
    # the change on Sunday 25, 09:00 in Paris is 08:00 UTC (UTC+1).
    assert add_business_days(utc(2026, 10, 23, 7), 1) == utc(2026, 10, 26, 8)


@pytest.mark.parametrize(
    "start",
    [paris(2026, 3, 6, 17, 45), utc(2026, 3, 6, 16, 45)],
    ids=["paris-input", "utc-input"],
)
def test_result_is_utc_aware(start: datetime) -> None:
    # Friday 6 March 17:45 in Paris (16:45 UTC), +3 -> Wednesday 11 March, 16:45 UTC,
    # whatever zone the start was given in.
    result = add_business_days(start, 3)
    assert result.tzinfo is not None
    assert result.utcoffset() == timedelta(0)
    assert result.tzinfo == UTC
    assert (result.year, result.month, result.day, result.hour, result.minute) == (
        2026,
        3,
        11,
        16,
        45,
    )


def test_counts_from_the_paris_date_not_the_utc_date() -> None:
    # Friday 6 March 2026 23:30 UTC is already Saturday 7 March 00:30 in Paris. One business
    # day after that Saturday is Monday 9 March, 00:30 in Paris = Sunday 8 March 23:30 UTC.
    # Counting in UTC (from Friday, at 23:30) would have given Monday 9 March 23:30 UTC.
    assert add_business_days(utc(2026, 3, 6, 23, 30), 1) == utc(2026, 3, 8, 23, 30)


def test_zero_days_is_the_start_itself() -> None:
    start = paris(2026, 3, 4, 11, 15)
    assert add_business_days(start, 0) == start


@pytest.mark.parametrize("days", [-1, -20])
def test_negative_days_are_refused(days: int) -> None:
    with pytest.raises(ValueError, match="negative"):
        add_business_days(paris(2026, 3, 2), days)


def test_business_days_between_counts_as_walking_day_by_day() -> None:
    """Counted by arithmetic, the same as walking each day, over years and holidays."""
    start = datetime(2023, 12, 20, 18, tzinfo=PARIS)
    for offset in (*range(0, 40), 364, 365, 366, 731, 1100):
        end = start + timedelta(days=offset)
        walked = sum(
            1
            for step in range(1, offset + 1)
            if is_business_day((start + timedelta(days=step)).date())
        )
        assert business_days_between(start, end) == walked, end
    assert business_days_between(start, start - timedelta(days=3)) == 0


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # 22:59:59 UTC is 23:59:59 in Paris in winter, 23:00 UTC the next day's midnight.
        (datetime(2026, 1, 5, 22, 59, 59, tzinfo=UTC), date(2026, 1, 5)),
        (datetime(2026, 1, 5, 23, 0, tzinfo=UTC), date(2026, 1, 6)),
        # In summer Paris is two hours ahead: 21:59:59 and 22:00 UTC.
        (datetime(2026, 7, 6, 21, 59, 59, tzinfo=UTC), date(2026, 7, 6)),
        (datetime(2026, 7, 6, 22, 0, tzinfo=UTC), date(2026, 7, 7)),
        # A time without an offset is UTC (as SQLite gives them back).
        (datetime(2026, 1, 5, 23, 0), date(2026, 1, 6)),
    ],
)
def test_paris_date_is_the_day_it_is_in_paris(moment: datetime, expected: date) -> None:
    assert paris_date(moment) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 1, 5), datetime(2026, 1, 4, 23, 0, tzinfo=UTC)),
        (date(2026, 7, 6), datetime(2026, 7, 5, 22, 0, tzinfo=UTC)),
        # The days of the changes: midnight is still before them (at 02:00 and 03:00).
        (date(2026, 3, 29), datetime(2026, 3, 28, 23, 0, tzinfo=UTC)),
        (date(2026, 10, 25), datetime(2026, 10, 24, 22, 0, tzinfo=UTC)),
    ],
)
def test_paris_midnight_starts_the_paris_day(day: date, expected: datetime) -> None:
    midnight = paris_midnight(day)
    assert midnight == expected and midnight.tzinfo is UTC
    assert paris_date(midnight) == day
    assert paris_date(midnight - timedelta(microseconds=1)) == day - timedelta(days=1)


@pytest.mark.parametrize("day", [date(2026, 1, 5), date(2026, 5, 1), date(2026, 12, 24)])
def test_business_days_after_counts_from_the_next_day(day: date) -> None:
    """Nothing on the day itself; the next business day counts one."""
    assert business_days_between_dates(day, day) == 0
    assert business_days_between_dates(day, day - timedelta(days=1)) == 0
    following = day + timedelta(days=1)
    while not is_business_day(following):
        assert business_days_between_dates(day, following) == 0
        following += timedelta(days=1)
    assert business_days_between_dates(day, following) == 1
