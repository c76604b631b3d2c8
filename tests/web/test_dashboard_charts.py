"""The dashboard's charts on a phone: which weeks the trend draws, and organisation names
written in full so that two of them never read the same."""

from __future__ import annotations

from datetime import date, timedelta

from services.dashboard import WeekCount, weeks_to_draw
from web.charts import CHARACTER_WIDTH, NARROW_WIDTH
from web.dashboard_charts import PHONE_WEEKS, labelled_bars, phone_columns, wrap_label

FIRST_MONDAY = date(2026, 9, 14)


def trend(*counts: int) -> list[WeekCount]:
    """Twelve weeks or fewer of counts, oldest first, one Monday apart."""
    return [
        WeekCount(FIRST_MONDAY + timedelta(weeks=index), count)
        for index, count in enumerate(counts)
    ]


def test_the_chart_starts_at_the_week_of_the_first_late_case() -> None:
    weeks = trend(0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1)
    drawn = weeks_to_draw(weeks)
    assert drawn[0] == weeks[9]  # the week of the first case is drawn...
    assert weeks[8] not in drawn  # ...the empty week just before it is not
    assert drawn[-1] == weeks[-1]  # the latest week always ends the chart
    assert [week.count for week in drawn] == [2, 0, 1]  # an empty week after it stays


def test_a_first_case_in_the_oldest_or_the_latest_week() -> None:
    oldest = trend(1, 0, 0)
    assert weeks_to_draw(oldest) == oldest
    latest = trend(0, 0, 3)
    assert weeks_to_draw(latest) == [latest[-1]]


def test_no_late_case_in_the_whole_trend_draws_no_chart() -> None:
    assert weeks_to_draw(trend(0, 0, 0)) == []
    assert weeks_to_draw([]) == []


def test_the_phone_draws_the_latest_weeks_whole_in_a_narrow_drawing() -> None:
    items = [(f"{day:02d}/11", day) for day in range(1, 13)]
    chart = phone_columns(items)
    assert [bar.label for bar in chart.bars] == [label for label, _v in items[-PHONE_WEEKS:]]
    assert chart.width == NARROW_WIDTH
    assert all(bar.x >= 0 and bar.x + bar.width <= chart.width for bar in chart.bars)
    assert len(phone_columns(items[:2]).bars) == 2  # fewer weeks than a phone holds: all


def test_two_long_names_sharing_thirty_characters_stay_distinct_and_whole() -> None:
    centre = "Espace parisien d'insertion Paris Centre"
    east = "Espace parisien d'insertion Paris Est"
    assert centre[:30] == east[:30]
    chart = labelled_bars([(centre, 4), (east, 2)])
    first, second = chart.bars
    assert " ".join(first.lines) == centre and " ".join(second.lines) == east
    assert first.lines != second.lines
    assert not any("…" in line for bar in chart.bars for line in bar.lines)


def test_labels_wrap_between_words_inside_the_drawing() -> None:
    name = "Association pour l'accompagnement vers l'emploi des jeunes du nord-est parisien"
    chart = labelled_bars([(name, 5), ("EPI", 10)])
    long_bar, short_bar = chart.bars
    limit = int((chart.width - 8) / CHARACTER_WIDTH)
    assert len(long_bar.lines) == 2 and " ".join(long_bar.lines) == name
    assert all(len(line) <= limit for line in long_bar.lines)
    assert long_bar.y > long_bar.label_y + long_bar.line_height  # the bar under its lines
    assert short_bar.label_y > long_bar.y + long_bar.height  # the next label under the bar
    assert short_bar.value_x + 4 * CHARACTER_WIDTH <= chart.width  # its value inside
    assert long_bar.width == short_bar.width / 2
    assert chart.height >= short_bar.y + short_bar.height


def test_wrap_label_at_its_limit() -> None:
    assert wrap_label("abcd efgh", 9) == ["abcd efgh"]  # exactly the limit: one line
    assert wrap_label("abcd efghi", 9) == ["abcd", "efghi"]  # one more: two lines
    assert wrap_label("abcdefghijkl", 9) == ["abcdefghijkl"]  # a long word is never cut
    assert wrap_label("", 9) == [""]
