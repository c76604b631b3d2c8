"""Overdue cases a page at a time: ``GET /api/overdue`` and the dashboard's first cases.

The cases of every lifecycle are in one order, oldest first: the moment each became overdue,
then the lifecycle's name, then the case's id (``services.overdue.overdue_cases``'s order). A
page is found by its key alone: each way of being overdue of each lifecycle gives the ids of
its next cases after the cursor (a few columns, ``LIMIT``), the keys are merged, and only the
cases kept are read and described, set-based. What a page costs follows its size, not the
number of overdue cases (the CSV export reads all of them: ``services.overdue_export``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import ColumnElement, and_
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import MAX_ID
from core.errors import Forbidden, InvalidInput
from services.overdue import (
    CaseFilter,
    OverdueCase,
    describe_overdue,
    overdue_selects,
)
from states.actor import Actor
from states.lifecycle import Lifecycle
from states.policy import may_list_overdue
from states.registry import LIFECYCLES

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
CURSOR_PATTERN = r"^[0-9]{1,16}-[a-z_]{1,32}-[0-9]{1,10}$"
"""A cursor as ``OverdueKey.token`` writes it: microseconds since 1970, lifecycle, id."""
CURSOR_EXAMPLE = "1773043200000000-referral-1234"
CASE_BY_CASE = 501
"""Up to how many cases a read of keys checks the filter case by case, walking the order
(``CaseFilter``'s ``case_by_case``): a page, an export's first lines; a larger one goes
through all the cases the filter keeps."""


class OverdueKey(NamedTuple):
    """Where a case stands in the overdue order: when it became overdue, its lifecycle's
    name, its id (a named tuple: an export makes and sorts one per case)."""

    since: datetime
    lifecycle: str
    case_id: int

    def token(self) -> str:
        """The key as a cursor of the API (``CURSOR_PATTERN``)."""
        return f"{(self.since - EPOCH) // MICROSECOND}-{self.lifecycle}-{self.case_id}"

    @classmethod
    def parse(cls, token: str) -> OverdueKey:
        """The key a cursor names; ``InvalidInput`` for one ``token`` never wrote."""
        match = re.fullmatch(r"([0-9]{1,16})-([a-z_]{1,32})-([0-9]{1,10})", token)
        if match is None or match[2] not in LIFECYCLES or int(match[3]) > MAX_ID:
            raise InvalidInput(
                "Curseur inconnu : reprenez le « next_cursor » de la page précédente.",
                field="cursor",
            )
        return cls(EPOCH + int(match[1]) * MICROSECOND, match[2], int(match[3]))


@dataclass(frozen=True)
class OverduePage:
    """A page of overdue cases, oldest first; ``next_cursor`` is None on the last one."""

    cases: list[OverdueCase]
    next_cursor: str | None


def after_key(
    key: OverdueKey | None,
    lifecycle: Lifecycle,
    since: ColumnElement[datetime],
    ident: ColumnElement[int],
) -> ColumnElement[bool] | None:
    """The condition keeping the cases of ``lifecycle`` that come after ``key``."""
    if key is None:
        return None
    if lifecycle.name > key.lifecycle:
        return since >= key.since
    if lifecycle.name < key.lifecycle:
        return since > key.since
    # ``since >= ...`` on its own lets the database walk its index from there.
    return and_(since >= key.since, (since > key.since) | (ident > key.case_id))


async def _next_keys(
    session: AsyncSession,
    lifecycles: Sequence[Lifecycle],
    actor: Actor,
    now: datetime,
    where: CaseFilter | None,
    after: OverdueKey | None,
    size: int,
) -> list[OverdueKey]:
    """The keys of the ``size`` cases that follow ``after``, in order (the ``size`` next of
    each way of being overdue, merged)."""
    found: list[OverdueKey] = []
    for lifecycle in lifecycles:
        ident = lifecycle.model.id
        for statement, since in overdue_selects(
            lifecycle, actor, now, ident, where=where, case_by_case=size <= CASE_BY_CASE
        ):
            condition = after_key(after, lifecycle, since, ident)
            if condition is not None:
                statement = statement.where(condition)
            rows = await session.execute(statement.order_by(since, ident).limit(size))
            found.extend(OverdueKey(moment, lifecycle.name, case_id) for case_id, moment in rows)
    found.sort()
    return found[:size]


async def overdue_page(
    session: AsyncSession,
    lifecycles: Sequence[Lifecycle],
    actor: Actor,
    now: datetime,
    *,
    where: CaseFilter | None = None,
    after: OverdueKey | None = None,
    limit: int,
) -> tuple[list[OverdueCase], OverdueKey | None]:
    """The ``limit`` overdue cases ``actor`` follows that come after ``after`` (from the
    oldest when None), narrowed by ``where``, and the key of the last one when more follow."""
    keys = await _next_keys(session, lifecycles, actor, now, where, after, limit + 1)
    more = len(keys) > limit
    keys = keys[:limit]
    cases = await describe_overdue(
        session, now, [(LIFECYCLES[key.lifecycle], key.case_id, key.since) for key in keys]
    )
    return cases, (keys[-1] if more else None)


async def list_overdue_page(
    session: AsyncSession, actor: Actor, now: datetime, cursor: str | None, limit: int
) -> OverduePage:
    """A page of the overdue cases of every lifecycle in ``actor``'s scope
    (``GET /api/overdue``), after the ``cursor`` of the previous page.

    Forbidden to a role that follows no cases; ``InvalidInput`` for a cursor not given.
    """
    if not may_list_overdue(actor):
        raise Forbidden("Votre rôle ne suit pas de dossiers.")
    after = OverdueKey.parse(cursor) if cursor is not None else None
    lifecycles = list(LIFECYCLES.values())
    cases, last = await overdue_page(session, lifecycles, actor, now, after=after, limit=limit)
    return OverduePage(cases, last.token() if last is not None else None)
