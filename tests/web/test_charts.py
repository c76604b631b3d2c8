"""The geometry of the indicators page's charts: bars proportional and inside the drawing,
a masked value drawing nothing but keeping its words, lines broken where a value is hidden."""

from __future__ import annotations

from web.charts import (
    CHARACTER_WIDTH,
    LEAST_BAR_ROOM,
    NARROW_WIDTH,
    VALUE_ROOM,
    BarGroup,
    Measure,
    grouped_bars,
    line_chart,
    nice_step,
)


def test_grouped_bars_are_proportional_and_leave_room_for_their_words() -> None:
    chart = grouped_bars(
        [
            BarGroup("3.3 — Articuler les accompagnements", [Measure("Envoyées", 30, "30")]),
            BarGroup("2.1", [Measure("Envoyées", 15, "15"), Measure("Acceptées", None, "< 5")]),
        ]
    )
    first, second = chart.groups
    longest = first.bars[0]
    assert longest.width == NARROW_WIDTH - 4 - VALUE_ROOM
    assert longest.text_x + VALUE_ROOM - 5 == NARROW_WIDTH
    assert second.bars[0].width == longest.width / 2
    masked = second.bars[1]
    assert (masked.width, masked.text, masked.text_x) == (0, "Acceptées : < 5", 9)
    assert longest.text == "30"  # a group of one bar: its value alone
    assert second.label_y > longest.y + longest.height  # the label sits above its bars
    assert chart.height >= masked.y + masked.height
    assert all(bar.y > group.label_y for group in chart.groups for bar in group.bars)


def test_long_series_names_shorten_the_bars_so_that_their_words_fit() -> None:
    measures = [
        Measure("Orientations retournées", 1234, "1\u202f234"),
        Measure("Orientations acceptées", 20, "20"),
    ]
    chart = grouped_bars([BarGroup("3.3", measures)])
    longest = chart.groups[0].bars[0]
    assert longest.text == "Orientations retournées : 1\u202f234"
    assert longest.text_x + len(longest.text) * CHARACTER_WIDTH <= NARROW_WIDTH
    assert longest.width >= LEAST_BAR_ROOM


def test_a_long_label_is_cut_and_kept_whole_for_its_tooltip() -> None:
    label = "Structure d'insertion par l'activité économique du dix-huitième arrondissement"
    chart = grouped_bars([BarGroup(label, [Measure("Envoyées", 1, "< 5")])])
    assert len(chart.groups[0].label) == 48 and chart.groups[0].label.endswith("…")
    assert chart.groups[0].full_label == label


def test_bars_of_nothing_draw_nothing() -> None:
    chart = grouped_bars([BarGroup("Vide", [Measure("Envoyées", 0, "0")])])
    assert chart.groups[0].bars[0].width == 0


def test_graduations_are_round_numbers_at_most_five_intervals() -> None:
    assert [nice_step(v) for v in (0, 3, 5, 6, 12, 25, 40, 180, 2400)] == [
        1,
        1,
        1,
        2,
        5,
        5,
        10,
        50,
        500,
    ]


def test_line_chart_places_points_on_the_scale_and_breaks_at_hidden_values() -> None:
    chart = line_chart(
        ["janv.", "févr.", "mars", "avr."],
        [("Période choisie", [10, None, 20, 5]), ("Un an plus tôt", [0, 4, 8, 16])],
    )
    current, before = chart.lines
    assert [tick.text for tick in chart.y_ticks] == ["0", "5", "10", "15", "20"]
    assert chart.y_ticks[-1].position == chart.top and chart.y_ticks[0].position == chart.bottom
    assert [p.x for p in current.points] == [chart.left, 264.0, chart.right]
    assert current.points[1].y == chart.top  # 20 is the top of the scale
    assert len(current.segments) == 2  # broken where February is hidden
    assert len(before.segments) == 1 and before.points[0].y == chart.bottom
    assert before.legend_y > current.legend_y > chart.bottom
    assert chart.height > before.legend_y
    assert (current.style, before.style) == (0, 1)


def test_line_chart_writes_at_most_six_month_labels() -> None:
    months = [f"m{index}" for index in range(12)]
    chart = line_chart(months, [("Période choisie", [1.0] * 12)])
    assert [tick.text for tick in chart.x_ticks] == ["m0", "m2", "m4", "m6", "m8", "m10"]
    single = line_chart(["janv."], [("Période choisie", [3.0])])
    assert single.lines[0].points[0].x == (single.left + single.right) / 2
