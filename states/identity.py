"""How a person is recognised: their strong identifiers and the normalised key of their name.

A France Travail identifier and a CAF allocataire number are typed by hand: spaces and lower
case are accepted, and they are stored without spaces, in upper case. The name key is what
two spellings of one name have in common (accents, case, hyphens, apostrophes, spaces).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

FRANCE_TRAVAIL_ID = re.compile(r"^(?:[0-9]{7}[0-9A-Z]|[0-9]{11})$")
"""Seven digits then a digit or a letter (8 characters), or the newer 11 digits."""
CAF_NUMBER = re.compile(r"^[0-9]{7}$")
"""The CAF de Paris's allocataire numbers: seven digits."""

FRANCE_TRAVAIL_HELP = (
    "L'identifiant France Travail compte 8 caractères : 7 chiffres suivis d'un chiffre ou "
    "d'une lettre (par exemple 1234567A), ou 11 chiffres pour les identifiants récents."
)
CAF_HELP = "Le numéro allocataire CAF compte 7 chiffres (par exemple 1234567)."

_ANY_SPACE = r"\s*"
FRANCE_TRAVAIL_ID_AS_TYPED = (
    rf"^{_ANY_SPACE}(?:(?:[0-9]{_ANY_SPACE}){{7}}[0-9A-Za-z]|(?:[0-9]{_ANY_SPACE}){{11}})?"
    rf"{_ANY_SPACE}$"
)
"""``FRANCE_TRAVAIL_ID`` as the schema states it: spaces anywhere, either case, or blank."""
CAF_NUMBER_AS_TYPED = rf"^{_ANY_SPACE}(?:(?:[0-9]{_ANY_SPACE}){{7}})?$"
"""``CAF_NUMBER`` as the schema states it: spaces anywhere, or blank."""

_SEPARATORS = re.compile(r"[\s\-‐‑‒–—'’‘`´]+")
KEY_SEPARATOR = "|"
"""Between the last and the first name in a name key (no normalised name contains it)."""


def compact_identifier(value: str) -> str:
    """``value`` without spaces (any kind), in upper case: how an identifier is stored."""
    return "".join(value.split()).upper()


def _identifier(pattern: re.Pattern[str], kind: str, help_text: str) -> Any:
    """The validator of an identifier typed by hand: compacted, then matched."""

    def check(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):
            raise PydanticCustomError("string_type", "texte attendu")
        compact = compact_identifier(value)
        if not compact:
            return None
        if not pattern.fullmatch(compact):
            raise PydanticCustomError(kind, help_text)
        return compact

    return BeforeValidator(check)


FranceTravailId = Annotated[
    str | None,
    _identifier(FRANCE_TRAVAIL_ID, "france_travail_id_format", FRANCE_TRAVAIL_HELP),
    Field(json_schema_extra={"pattern": FRANCE_TRAVAIL_ID_AS_TYPED, "examples": ["1234567A"]}),
]
"""A France Travail identifier, as typed (blank: none); stored compact, in upper case."""
CafNumber = Annotated[
    str | None,
    _identifier(CAF_NUMBER, "caf_number_format", CAF_HELP),
    Field(json_schema_extra={"pattern": CAF_NUMBER_AS_TYPED, "examples": ["1234567"]}),
]
"""A CAF allocataire number, as typed (blank: none); stored without spaces."""


def normalise_name(name: str) -> str:
    """A name as matching compares it: Unicode NFKD without accents, case-folded, hyphens,
    apostrophes and runs of spaces made one space, trimmed."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    folded = bare.casefold().replace(KEY_SEPARATOR, " ")
    return _SEPARATORS.sub(" ", folded).strip()


def name_key(last_name: str, first_name: str) -> str:
    """The indexed key of a person's name: normalised last name, then first name."""
    return f"{normalise_name(last_name)}{KEY_SEPARATOR}{normalise_name(first_name)}"
