"""What the bad-input tests (``test_bad_input*.py``) share: the world they run in, the
snapshot of the database taken before and after each request, a valid referral body and the
check of a 422 answer. Their ``case`` fixture is in ``tests/api/conftest.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import Base
from core.errors import InvalidInput
from core.models import Offer, Referral
from tests.factories import World

Body = dict[str, Any]


@dataclass
class Case:
    """The world of a bad-input test: a submitted referral and a closed offer."""

    world: World
    referral_id: int
    inactive_offer: Offer


async def snapshot(
    sessionmaker: async_sessionmaker[AsyncSession], referral_id: int
) -> dict[str, Any]:
    """Row counts of every table, and the referral's state and version."""
    async with sessionmaker() as session:
        counts: dict[str, Any] = {
            table.name: (
                await session.execute(select(func.count()).select_from(table))
            ).scalar_one()
            for table in Base.metadata.sorted_tables
        }
        row = (
            await session.execute(
                select(Referral.state, Referral.version).where(Referral.id == referral_id)
            )
        ).one()
    counts["referral"] = (row.state, row.version)
    return counts


def valid_referral(offer_id: int) -> Body:
    """A referral body the API accepts."""
    return {
        "offer_id": offer_id,
        "person": {
            "first_name": "Zoé",
            "last_name": "Quatremer",
            "birth_date": "1998-04-12",
            "email": "zoe.quatremer@example.org",
            "phone": "+33 6 12 34 56 78",
        },
        "motive": "Recherche d'un premier emploi dans le numérique",
        "situation": "jeune",
        "barriers": ["mobilite"],
        "consent": True,
    }


REFUSAL_CODES = {refusal.code for refusal in InvalidInput.__subclasses__()}
"""The codes of the refusals that answer with their own code instead of ``invalid_input``."""


def assert_invalid(answer: httpx.Response, field: str, error_type: str) -> None:
    """A 422 answer that blames ``field`` with ``error_type``: its code is ``invalid_input``,
    or ``error_type`` itself for a refusal of its own (``unknown_reference``...)."""
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["code"] == (error_type if error_type in REFUSAL_CODES else "invalid_input")
    assert isinstance(body["detail"], str) and body["detail"]
    assert {"field": field, "type": error_type} in [
        {"field": error["field"], "type": error["type"]} for error in body["errors"]
    ], body
    assert all(error["message"] for error in body["errors"])
