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
