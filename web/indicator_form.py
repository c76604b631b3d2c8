"""The indicators page's form: its GET parameters read into an ``IndicatorQuery``, each bad
value refused with a French message naming its field (the page answers 422, never 500)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from core.enums import PlanAxis, Public, Territory
from services.indicators.model import Dimension, IndicatorQuery, Period
from states.health import HEALTH_PUBLICS

AGGREGATE_EXCLUDED_PUBLICS = frozenset(
    {*HEALTH_PUBLICS, Public("personnes-en-situation-de-handicap")}
)
"""Publics that are (or derive from) health data: never a filter or a group of figures."""

T = TypeVar("T")

PUBLIC_CHOICES = [public for public in Public if public not in AGGREGATE_EXCLUDED_PUBLICS]
GROUP_CHOICES = [dimension for dimension in Dimension if dimension is not Dimension.MONTH]
DEFAULT_GROUP = Dimension.SUB_AXIS
FILTER_FIELDS = (
    "start",
    "end",
    "sub_axis",
    "sending",
    "receiving",
    "offer",
    "offer_territory",
    "person_territory",
    "public",
    "group_by",
)


@dataclass
class IndicatorForm:
    """The form as typed (to show it again) and what was wrong with it, field by field."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    query: IndicatorQuery | None = None


def _date(values: Mapping[str, str], name: str, label: str, errors: dict[str, str]) -> date:
    try:
        return date.fromisoformat(values[name])
    except ValueError:
        errors[name] = f"{label} : saisissez une date valide (jj/mm/aaaa)."
        return date.min


def _identifier(text: str, name: str, label: str, errors: dict[str, str]) -> int | None:
    if not text:
        return None
    if not text.isdigit() or not 0 < int(text) < 2**31:
        errors[name] = f"{label} : choisissez une valeur de la liste."
        return None
    return int(text)


def _choice(
    text: str, choices: Mapping[str, T], name: str, label: str, errors: dict[str, str]
) -> T | None:
    if not text:
        return None
    if text not in choices:
        errors[name] = f"{label} : choisissez une valeur de la liste."
        return None
    return choices[text]


def read_form(params: Mapping[str, str], today: date) -> IndicatorForm:
    """The query of the form's ``params``; the period defaults to the year so far."""
    values = {name: params.get(name, "").strip() for name in FILTER_FIELDS}
    values["start"] = values["start"] or date(today.year, 1, 1).isoformat()
    values["end"] = values["end"] or today.isoformat()
    values["group_by"] = values["group_by"] or DEFAULT_GROUP.value
    errors: dict[str, str] = {}
    start = _date(values, "start", "Période du", errors)
    end = _date(values, "end", "Période au", errors)
    if not errors and end < start:
        errors["end"] = "Période au : la fin de la période doit suivre son début."
    elif not errors and (end - start).days > 3 * 366:
        errors["end"] = "Période au : choisissez une période de trois ans au plus."
    territories = {territory.value: territory for territory in Territory}
    query = IndicatorQuery(
        period=Period(start, end),
        sub_axis=_choice(
            values["sub_axis"], {a.value: a for a in PlanAxis}, "sub_axis", "Sous-axe", errors
        ),
        sending_organisation_id=_identifier(
            values["sending"], "sending", "Structure qui oriente", errors
        ),
        receiving_organisation_id=_identifier(
            values["receiving"], "receiving", "Structure qui reçoit", errors
        ),
        offer_id=_identifier(values["offer"], "offer", "Offre", errors),
        offer_territory=_choice(
            values["offer_territory"],
            territories,
            "offer_territory",
            "Territoire de l'offre",
            errors,
        ),
        person_territory=_choice(
            values["person_territory"],
            territories,
            "person_territory",
            "Arrondissement de la personne",
            errors,
        ),
        public=_choice(
            values["public"], {p.value: p for p in PUBLIC_CHOICES}, "public", "Public", errors
        ),
        group_by=_choice(
            values["group_by"],
            {d.value: d for d in GROUP_CHOICES},
            "group_by",
            "Regrouper par",
            errors,
        ),
    )
    return IndicatorForm(values, errors, None if errors else query)
