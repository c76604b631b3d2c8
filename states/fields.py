"""Field types shared by the payloads of every lifecycle: bounded, storable, aware."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from core.db import EARLIEST_MOMENT, LATEST_MOMENT, MAX_ID, STORABLE_TEXT

ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=STORABLE_TEXT),
]
LongText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=5000, pattern=STORABLE_TEXT),
]
Comment = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000, pattern=STORABLE_TEXT),
]
Id = Annotated[int, Field(gt=0, le=MAX_ID, strict=True)]
"""The id of an existing row: beyond ``MAX_ID`` none can exist."""
OfferId = Id


def _not_a_number(value: Any) -> Any:
    # pydantic reads a bare number as a Unix timestamp; the schema promises ISO 8601 text.
    if isinstance(value, int | float):
        raise ValueError("date et heure attendues (ISO 8601), pas un nombre")
    return value


Moment = Annotated[
    AwareDatetime, BeforeValidator(_not_a_number), Field(ge=EARLIEST_MOMENT, lt=LATEST_MOMENT)
]
"""An aware instant between 1900 and 3000, written as ISO 8601 text."""
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 .()-]{6,20}$")]


class Payload(BaseModel):
    """Fields of a trigger; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


FRENCH_VALIDATION = {
    "missing": "champ obligatoire",
    "extra_forbidden": "champ inconnu",
    "string_too_short": "texte trop court",
    "string_too_long": "texte trop long",
    "string_pattern_mismatch": "format invalide",
    "string_type": "texte attendu",
    "int_parsing": "nombre entier attendu",
    "int_type": "nombre entier attendu",
    "bool_parsing": "booléen attendu (true ou false)",
    "bool_type": "booléen attendu (true ou false)",
    "enum": "valeur inconnue",
    "literal_error": "valeur inconnue",
    "date_from_datetime_parsing": "date attendue (AAAA-MM-JJ)",
    "date_parsing": "date attendue (AAAA-MM-JJ)",
    "date_type": "date attendue (AAAA-MM-JJ)",
    "datetime_parsing": "date et heure attendues (ISO 8601)",
    "datetime_type": "date et heure attendues (ISO 8601)",
    "timezone_aware": "fuseau horaire obligatoire (ISO 8601 avec décalage)",
    "greater_than": "valeur trop petite",
    "greater_than_equal": "valeur trop petite",
    "less_than": "valeur trop grande",
    "less_than_equal": "valeur trop grande",
    "too_long": "trop d'éléments",
    "too_short": "pas assez d'éléments",
    "value_error": "valeur invalide",
    "json_invalid": "JSON invalide",
    "model_attributes_type": "objet JSON attendu",
    "dict_type": "objet JSON attendu",
    "list_type": "liste attendue",
}
"""What a person reads for each kind of pydantic validation error."""
