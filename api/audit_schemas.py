"""Response bodies of the trail of administrative changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class AuditEntryRead(BaseModel):
    """One administrative change: who, when, what, and each field from and to."""

    id: int
    occurred_at: datetime
    actor_id: int | None = Field(description="Le compte qui a agi ; null : l'exploitant.")
    actor_email: str | None
    actor_organisation_id: int | None
    actor_organisation: str | None
    entity_kind: str
    entity_id: int
    action: str
    changes: dict[str, dict[str, Any]] = Field(
        description='Chaque champ modifié : {"from": ancienne valeur, "to": nouvelle valeur}.'
    )


class AuditPageRead(BaseModel):
    """A page of the trail, newest first; ``next_page`` is null on the last one."""

    items: list[AuditEntryRead]
    page: int
    next_page: int | None
