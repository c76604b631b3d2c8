"""Bodies of the person endpoints: a coordinator's view of a record, and a merge."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class PersonRef(BaseModel):
    """Another record that may be the same human."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    first_name: str
    last_name: str
    birth_date: date | None


class PersonCardRead(PersonRef):
    """A person's record as a coordinator sees it before a merge: identity, identifiers,
    current référent, how many cases name it, and the records that may be the same human."""

    email: str | None
    phone: str | None
    france_travail_id: str | None
    caf_number: str | None
    referent: str | None = Field(description="The current référent organisation, if any.")
    cases: int = Field(description="Referrals, accompaniments and handovers of this record.")
    merge_candidates: list[PersonRef]
