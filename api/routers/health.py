"""Liveness probe."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from api.deps import SessionDep
from api.schemas import Health

router = APIRouter(tags=["santé"])


@router.get("/healthz", response_model=Health)
async def healthz(session: SessionDep) -> Health:
    """Answers when the process is up and its database reachable."""
    await session.execute(text("SELECT 1"))
    return Health(status="ok", database="ok")
