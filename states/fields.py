"""Field types shared by the payloads of every lifecycle: bounded, storable, aware."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from core.db import EARLIEST_MOMENT, FILLED_TEXT, LATEST_MOMENT, MAX_ID
from core.enums import EXIT_REASONS, REFERRAL_OUTCOMES, Outcome

ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=FILLED_TEXT),
]
LongText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=5000, pattern=FILLED_TEXT),
]
Comment = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000, pattern=FILLED_TEXT),
]


@dataclass(frozen=True)
class PersonalText:
    """Marks a payload field as free text about the person (``Annotated[str, PERSONAL]``).

    The engine stores such a text in the erasable text store (``states.texts``), and the
    event's payload keeps only a reference to it: anonymising the person erases the text
    without rewriting the event.
    """


PERSONAL = PersonalText()
PersonalComment = Annotated[Comment, PERSONAL]
"""A comment typed about the person's case (a reason, a progress note): erasable."""
PersonalLongText = Annotated[LongText, PERSONAL]
"""A long text typed about the person's case (the motive): erasable."""


def _whole_number(value: Any) -> Any:
    # JSON Schema counts 12.0 as the integer 12 (generators send it, some encoders write it):
    # it reads as 12. A fraction, a boolean or a string stays refused by the strict type.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WHOLE_NUMBER = BeforeValidator(_whole_number)
"""Reads ``12.0`` as ``12`` in a strict integer field (``Annotated[int, Field(strict=True),
WHOLE_NUMBER]``): the schema's ``integer`` allows it."""
Id = Annotated[int, Field(gt=0, le=MAX_ID, strict=True), WHOLE_NUMBER]
"""The id of an existing row, a JSON integer: beyond ``MAX_ID`` none can exist."""
OfferId = Id


def _not_a_number(value: Any) -> Any:
    # pydantic reads a bare number as a Unix timestamp; the schema promises ISO 8601 text.
    if isinstance(value, int | float):
        raise ValueError("date et heure attendues (ISO 8601), pas un nombre")
    return value


YEARS_1900_TO_2999 = r"^(19[0-9]{2}|2[0-9]{3})-"
"""The schema's statement of the bounds of moments and days (JSON Schema compares no dates)."""
Moment = Annotated[
    AwareDatetime,
    BeforeValidator(_not_a_number),
    Field(ge=EARLIEST_MOMENT, lt=LATEST_MOMENT, json_schema_extra={"pattern": YEARS_1900_TO_2999}),
]
"""An aware instant between 1900 and 3000, written as ISO 8601 text."""
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 .()-]{6,20}$")]

PHONE_SEPARATORS = re.compile(r"[\s.\-/]|\(0\)")
"""What a French number is written with besides its digits: spaces, dots, dashes, slashes,
and the ``(0)`` of ``+33 (0)1 …``."""
FRENCH_NUMBER = re.compile(r"0[1-9][0-9]{8}")


def _french_phone(value: str) -> str:
    """A French phone number as ``01 23 45 67 89``, from any usual way of writing it
    (``0123456789``, ``01.23.45.67.89``, ``+33 1 23 45 67 89``, ``0033 1 …``)."""
    digits = PHONE_SEPARATORS.sub("", value)
    for prefix in ("+33", "0033"):
        if digits.startswith(prefix):
            digits = "0" + digits.removeprefix(prefix)
    if not FRENCH_NUMBER.fullmatch(digits):
        raise PydanticCustomError(
            "french_phone",
            "numéro de téléphone français attendu (10 chiffres, par exemple 01 23 45 67 89)",
        )
    return " ".join(digits[start : start + 2] for start in range(0, 10, 2))


FRENCH_PHONE_WRITTEN = r"^ *(0|\+33 ?(\(0\) ?)?|0033 ?)[1-9]([ .\-/]?[0-9]){8} *$"
"""The usual ways of writing a French number, as the schema states them (a subset of what
``_french_phone`` reads: JSON Schema has no "remove the separators first")."""
FrenchPhone = Annotated[
    str,
    # No max_length: it would count the spaces the pattern allows around the number.
    StringConstraints(strip_whitespace=True),
    AfterValidator(_french_phone),
    Field(json_schema_extra={"pattern": FRENCH_PHONE_WRITTEN, "examples": ["01 23 45 67 89"]}),
]
"""A French phone number (a professional's line), stored as ``01 23 45 67 89``."""


@dataclass(frozen=True)
class Offered:
    """Marks a vocabulary field that offers only some of its members (``Annotated[E, Offered(…)]``).

    The others still read (they were stored before), but are refused on input with the list
    of those offered; forms show only those, and the API's schema lists only them.
    """

    members: Sequence[StrEnum]

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """The vocabulary's own validation, then refuse a member not offered here."""
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Only the offered values, not the whole vocabulary."""
        return {"type": "string", "enum": [member.value for member in self.members]}

    def _check(self, value: StrEnum) -> StrEnum:
        if value not in self.members:
            raise PydanticCustomError(
                "not_offered",
                "« {value} » n'est pas proposé ici : choisissez parmi {offered}",
                {"value": value.value, "offered": ", ".join(m.value for m in self.members)},
            )
        return value


ReferralOutcome = Annotated[Outcome, Offered(REFERRAL_OUTCOMES)]
"""An outcome a receiving partner may give when completing a referral."""
ExitReason = Annotated[Outcome, Offered(EXIT_REASONS)]
"""An exit reason a référent may give when ending an accompaniment."""


TICKED: dict[str, Any] = {"const": True}
"""The schema of an attestation box that must be ticked (``json_schema_extra``): false is
refused by the use case, with its own message (422), so the type stays ``bool``."""


def never_null(schema: dict[str, Any]) -> None:
    """``json_schema_extra`` of an optional field whose absence the use case refuses with a
    message of its own: the schema states only the non-null type."""
    branches = schema.pop("anyOf")
    schema.update(next(branch for branch in branches if branch.get("type") != "null"))


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
