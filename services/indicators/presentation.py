"""How a figure is written for a person: French number formats and the « < 5 » mask."""

from __future__ import annotations

from services.indicators.model import MASK, SMALL_COUNT, Figure, Indicator, Unit


def is_masked(indicator: Indicator, figure: Figure) -> bool:
    """Whether ``figure`` rests on fewer than five people, so that it could point at one.

    A count of people is masked below five (zero included: the literal rule); a delay or a
    share is masked when fewer than five cases make it. Meetings, decisions and action items
    are not about people and are never masked.
    """
    return indicator.may_point_at_people and figure.basis < SMALL_COUNT


def _french_number(value: float, decimals: int) -> str:
    text = f"{value:,.{decimals}f}".replace(",", "\u202f").replace(".", ",")
    return text


def shown(indicator: Indicator, figure: Figure, *, exact: bool) -> str:
    """``figure`` as a person reads it: « 1 234 », « 4,5 j ouvrés », « 83 % », « — » when
    there is nothing to measure, and « < 5 » unless ``exact`` (coordinators and the DPO on
    relais's own pages and API)."""
    if not exact and is_masked(indicator, figure):
        return MASK
    if figure.value is None:
        return "—"
    if indicator.unit is Unit.SHARE:
        return f"{_french_number(figure.value * 100, 0)} %"
    if indicator.unit is Unit.DAYS:
        return f"{_french_number(figure.value, 1)} j ouvrés"
    return _french_number(figure.value, 0)


def exported(indicator: Indicator, figure: Figure, *, exact: bool) -> str:
    """``figure`` for a CSV cell: a plain number (dot decimal) or « < 5 »."""
    if not exact and is_masked(indicator, figure):
        return MASK
    if figure.value is None:
        return ""
    if indicator.unit in (Unit.PEOPLE, Unit.COUNT):
        return str(round(figure.value))
    return f"{figure.value:.3f}".rstrip("0").rstrip(".")
