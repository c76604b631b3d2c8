"""Bodies of the access log endpoints: who read a person's data, when, through what."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from core.enums import AccessChannel, Role


class AccessLineRead(BaseModel):
    """One read of a person's data."""

    model_config = ConfigDict(from_attributes=True)

    occurred_at: datetime
    user_id: int
    user_name: str
    organisation: str | None = Field(description="The reader's organisation (none for the DPO).")
    role: Role
    person_id: int
    person_name: str
    case_kind: str | None
    case_id: int | None
    case_reference: str | None
    channel: AccessChannel
    health_data: bool = Field(description="Whether the read showed health (article 9) data.")


class AccessPageRead(BaseModel):
    """One page of the access log, newest first."""

    items: list[AccessLineRead]
    page: int
    has_next: bool
