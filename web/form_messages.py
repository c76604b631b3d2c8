"""What a form tells a person who typed something it refuses: one sentence per kind of error.

pydantic names the kind of each error (``missing``, ``string_too_long``, ``date_parsing``…);
this catalogue turns it into a French sentence that says what to type, with an example,
adapted to the kind of field the form draws (a list is chosen from, a box is ticked). Every
page's form reads its messages here, so the same mistake reads the same everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, get_args

from core.db import FILLED_TEXT, STORABLE_TEXT
from notifications.render import french_date
from states.fields import FRENCH_VALIDATION, Phone

PHONE_PATTERN = get_args(Phone)[1].pattern

EMAIL = "Saisissez une adresse électronique valide, par exemple nom@domaine.fr."
PHONE = "Saisissez un numéro de téléphone de 10 chiffres, par exemple 01 23 45 67 89."
DATE = "Saisissez une date valide (jour, mois et année), par exemple 15/03/1990."
MOMENT = "Saisissez une date et une heure valides, par exemple le 15/03/2026 à 14:30."
WHOLE_NUMBER = "Saisissez un nombre entier en chiffres, par exemple 12."
CHOICE = "Choisissez une des options proposées dans la liste."
NO_NUL = "Retirez le caractère invisible (caractère nul) copié dans ce texte."

REPR_DAY = re.compile(r"datetime\.(?:datetime|date)\((\d+), (\d+), (\d+)")

MISSING = {
    "select": "Choisissez une option dans la liste : ce champ est obligatoire.",
    "checkboxes": "Cochez au moins une case : ce champ est obligatoire.",
    "checkbox": "Cochez cette case pour continuer.",
    "radio": "Choisissez une option : ce champ est obligatoire.",
    "date": "Saisissez une date : ce champ est obligatoire (par exemple 15/03/1990).",
    "datetime": "Saisissez une date et une heure : ce champ est obligatoire.",
    "number": "Saisissez un nombre : ce champ est obligatoire.",
}
"""A missing value, by the kind of field the form draws (``web.forms.FormField.kind``)."""
MISSING_TEXT = "Renseignez ce champ : il est obligatoire."
CHOSEN = frozenset({"select", "checkboxes", "radio"})
"""The kinds of field whose value is chosen, not typed."""

BY_TYPE = {
    "string_type": "Saisissez un texte.",
    "int_parsing": WHOLE_NUMBER,
    "int_type": WHOLE_NUMBER,
    "int_from_float": WHOLE_NUMBER,
    "bool_parsing": "Cochez la case, ou laissez-la vide.",
    "bool_type": "Cochez la case, ou laissez-la vide.",
    "enum": CHOICE,
    "literal_error": CHOICE,
    "not_offered": CHOICE,
    "date_parsing": DATE,
    "date_from_datetime_parsing": DATE,
    "date_from_datetime_inexact": DATE,
    "date_type": DATE,
    "datetime_parsing": MOMENT,
    "datetime_from_date_parsing": MOMENT,
    "datetime_type": MOMENT,
    "timezone_aware": MOMENT,
    "french_phone": PHONE,
    "extra_forbidden": "Ce champ n'est pas attendu dans ce formulaire : rechargez la page.",
}
"""The kinds of error whose sentence depends on nothing else."""


def _day(value: Any) -> str | None:
    """A date bound in French (pydantic gives its ``repr``: ``datetime.datetime(1900, …``)."""
    if isinstance(value, datetime | date):
        return french_date(value)
    found = REPR_DAY.match(str(value))
    if found is None:
        return None
    year, month, day = (int(part) for part in found.groups())
    return french_date(date(year, month, day))


DATE_BOUNDS = {
    "greater_than": "postérieure au",
    "greater_than_equal": "à partir du",
    "less_than": "antérieure au",
    "less_than_equal": "jusqu'au",
}


def _bound(kind: str, limit: Any, field_kind: str | None) -> str:
    """A number or a date out of its bounds; an id out of bounds is a choice not offered."""
    if field_kind in CHOSEN:
        return CHOICE
    day = _day(limit)
    if day is not None:
        return f"Saisissez une date {DATE_BOUNDS[kind]} {day}."
    words = {
        "greater_than": "supérieur à",
        "greater_than_equal": "supérieur ou égal à",
        "less_than": "inférieur à",
        "less_than_equal": "inférieur ou égal à",
    }
    return f"Saisissez un nombre {words[kind]} {limit}."


def _length(kind: str, ctx: Mapping[str, Any], field_kind: str | None) -> str:
    if kind == "string_too_long":
        return f"Saisissez au plus {ctx.get('max_length')} caractères."
    if kind == "string_too_short":
        least = ctx.get("min_length", 1)
        if least == 1:
            return MISSING_TEXT
        return f"Saisissez au moins {least} caractères."
    if kind == "too_long":
        return f"Choisissez au plus {ctx.get('max_length')} éléments."
    least = ctx.get("min_length", 1)
    return f"Choisissez au moins {least} élément{'s' if least != 1 else ''}."


def _sentence(text: str) -> str:
    """A message written by a validator (already in French), as a sentence."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?", ")")) else text + "."


def french_message(item: Mapping[str, Any], field_kind: str | None = None) -> str:
    """The sentence for one of pydantic's errors (``ValidationError.errors()``), in French.

    ``field_kind`` is how the form draws the field (select, checkbox, date…), for the
    sentences that say what to do with it.
    """
    kind = str(item.get("type", ""))
    ctx: Mapping[str, Any] = item.get("ctx") or {}
    raw = str(item.get("msg", ""))
    if kind == "missing":
        return MISSING.get(field_kind or "", MISSING_TEXT)
    if field_kind in CHOSEN and kind in {"int_parsing", "int_type", "int_from_float"}:
        return CHOICE  # an id typed by hand in a list's stead
    if kind in BY_TYPE:
        return BY_TYPE[kind]
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        limit = next(iter(ctx.values()), "")
        return _bound(kind, limit, field_kind)
    if kind in {"string_too_long", "string_too_short", "too_long", "too_short"}:
        return _length(kind, ctx, field_kind)
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        if pattern in (STORABLE_TEXT, FILLED_TEXT):
            return NO_NUL
        if pattern == PHONE_PATTERN:
            return PHONE
        return "Vérifiez la saisie : ce format n'est pas reconnu."
    if kind == "value_error":
        if "valid email address" in raw:
            return EMAIL
        # A validator of relais says what is expected, in French, after pydantic's prefix.
        return _sentence(raw.removeprefix("Value error, ")) or FRENCH_VALIDATION[kind]
    # relais's own kinds (PydanticCustomError) carry their French message.
    return _sentence(raw) or _sentence(FRENCH_VALIDATION.get(kind, "valeur refusée"))
