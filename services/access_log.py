"""The access log: recording every read of a person's data, and reading the log.

Every page, API read or export that shows a person's data calls ``record_access`` (or
``record_accesses`` for many persons at once); the DPO searches the log
(``search_access_log``), a coordinator sees who consulted a case they supervise
(``case_accesses``), and entries are purged after 12 months (``purge_access_log``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.business_days import months_before
from core.db import MAX_ID, in_transaction, transaction
from core.enums import AccessChannel, Role
from core.errors import Forbidden, NotFound
from core.models import AccessLogEntry, Organisation, Person, User
from states.actor import Actor
from states.lifecycle import Lifecycle
from states.policy import (
    case_sides,
    may_ask_case_accesses,
    may_read_access_log,
    may_see_case_accesses,
)
from states.registry import LIFECYCLES

USER_EMAIL = User.__table__.c.email
"""The reader's address as a column (fastapi-users types the attribute as a plain str)."""
RETENTION_MONTHS = 12
"""How long an entry of the access log is kept, in calendar months."""
PER_PAGE = 50
CASE_LINES = 500
"""The most recent consultations a case shows (its page, its API)."""
INSERTED_AT_ONCE = 500
"""Rows of one multi-row INSERT: far below SQLite's limit of bound parameters."""


@dataclass(frozen=True)
class Reading:
    """A read about to show a person's data: through which channel, and when."""

    channel: AccessChannel
    now: datetime


@dataclass(frozen=True)
class AccessLine:
    """One entry of the log as the DPO and the coordination read it."""

    occurred_at: datetime
    user_id: int
    user_name: str
    organisation: str | None
    role: Role
    person_id: int
    person_name: str
    case_kind: str | None
    case_id: int | None
    case_reference: str | None
    case_path: str | None
    channel: AccessChannel
    health_data: bool


@dataclass(frozen=True)
class AccessPage:
    """One page of the log, newest first."""

    lines: list[AccessLine]
    page: int
    has_next: bool


async def record_access(
    session: AsyncSession,
    actor: Actor,
    *,
    person_id: int,
    case_kind: str | None = None,
    case_id: int | None = None,
    channel: AccessChannel,
    health_data: bool = False,
    now: datetime,
) -> None:
    """Log that ``actor`` read ``person_id``'s data (through a case, when given): one INSERT.

    Inside an open ``transaction()`` the entry joins it; otherwise it is committed at once,
    in a transaction of its own (a GET's reads end with it). relais itself is not logged.
    """
    await record_accesses(
        session,
        actor,
        [person_id],
        case_kind=case_kind,
        case_id=case_id,
        channel=channel,
        health_data=health_data,
        now=now,
    )


async def record_accesses(
    session: AsyncSession,
    actor: Actor,
    person_ids: Iterable[int],
    *,
    case_kind: str | None = None,
    case_id: int | None = None,
    channel: AccessChannel,
    health_data: bool = False,
    now: datetime,
) -> None:
    """``record_access`` for many persons at once (an export): one entry per person, written
    by one multi-row INSERT (per 500 persons)."""
    await _write(
        session,
        actor,
        [(person_id, case_kind, case_id) for person_id in dict.fromkeys(person_ids)],
        channel=channel,
        health_data=health_data,
        now=now,
    )


async def record_case_reads(
    session: AsyncSession,
    actor: Actor,
    lifecycle: Lifecycle,
    cases: Iterable[Any],
    *,
    channel: AccessChannel,
    now: datetime,
) -> None:
    """``record_access`` for each of ``cases`` of ``lifecycle`` a listing showed with its
    person's data: one entry per case, written by one multi-row INSERT."""
    if lifecycle.person is None:
        return
    key = lifecycle.person.key
    reads = [(getattr(case, key), lifecycle.name, case.id) for case in cases]
    await _write(session, actor, reads, channel=channel, health_data=False, now=now)


async def _write(
    session: AsyncSession,
    actor: Actor,
    reads: Sequence[tuple[int, str | None, int | None]],
    *,
    channel: AccessChannel,
    health_data: bool,
    now: datetime,
) -> None:
    """Insert one entry per (person, case kind, case id) of ``reads``: in the open
    ``transaction()``, or in one of its own, committed here. relais itself is not logged."""
    if actor.user_id is None or actor.role is None or not reads:
        return
    rows = [
        {
            "occurred_at": now,
            "user_id": actor.user_id,
            "organisation_id": actor.organisation_id,
            "role": actor.role,
            "person_id": person_id,
            "case_kind": case_kind,
            "case_id": case_id,
            "channel": channel,
            "health_data": health_data,
        }
        for person_id, case_kind, case_id in reads
    ]
    if in_transaction(session):
        await _insert(session, rows)
        return
    async with transaction(session):
        await _insert(session, rows)


async def _insert(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), INSERTED_AT_ONCE):
        await session.execute(insert(AccessLogEntry).values(rows[start : start + INSERTED_AT_ONCE]))


def _lines_query() -> Select[Any]:
    return (
        select(AccessLogEntry, USER_EMAIL, User.full_name, Organisation.name, Person)
        .join(User, User.id == AccessLogEntry.user_id)
        .outerjoin(Organisation, Organisation.id == AccessLogEntry.organisation_id)
        .join(Person, Person.id == AccessLogEntry.person_id)
    )


async def _lines(session: AsyncSession, statement: Select[Any]) -> list[AccessLine]:
    """The entries ``statement`` selects, with the names and case references they show."""
    rows = list((await session.execute(statement)).all())
    wanted: dict[str, set[int]] = {}
    for row in rows:
        entry: AccessLogEntry = row[0]
        if entry.case_kind in LIFECYCLES and entry.case_id is not None:
            wanted.setdefault(entry.case_kind, set()).add(entry.case_id)
    references: dict[tuple[str, int], str] = {}
    for kind, ids in wanted.items():
        model = LIFECYCLES[kind].model
        found = await session.execute(select(model.id, model.reference).where(model.id.in_(ids)))
        references.update({(kind, case_id): reference for case_id, reference in found.all()})
    lines = []
    for entry, email, full_name, organisation, person in rows:
        key = (entry.case_kind or "", entry.case_id or 0)
        known = key in references
        lines.append(
            AccessLine(
                occurred_at=entry.occurred_at,
                user_id=entry.user_id,
                user_name=full_name or email,
                organisation=organisation,
                role=entry.role,
                person_id=entry.person_id,
                person_name=f"{person.first_name} {person.last_name}".strip(),
                case_kind=entry.case_kind,
                case_id=entry.case_id,
                case_reference=references.get(key),
                case_path=LIFECYCLES[key[0]].case_path(key[1]) if known else None,
                channel=entry.channel,
                health_data=entry.health_data,
            )
        )
    return lines


async def search_access_log(
    session: AsyncSession,
    actor: Actor,
    *,
    person_id: int | None = None,
    user_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> AccessPage:
    """The log, newest first, filtered by person, reader and period (``until`` excluded),
    one page at a time (``page`` from 1): the DPO only, Forbidden to anyone else."""
    if not may_read_access_log(actor):
        raise Forbidden("Seul·e le ou la délégué·e à la protection des données lit ce journal.")
    statement = _lines_query()
    if person_id is not None:
        statement = statement.where(AccessLogEntry.person_id == person_id)
    if user_id is not None:
        statement = statement.where(AccessLogEntry.user_id == user_id)
    if since is not None:
        statement = statement.where(AccessLogEntry.occurred_at >= since)
    if until is not None:
        statement = statement.where(AccessLogEntry.occurred_at < until)
    statement = (
        statement.order_by(AccessLogEntry.occurred_at.desc(), AccessLogEntry.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    )
    lines = await _lines(session, statement)
    return AccessPage(lines[:per_page], page, len(lines) > per_page)


async def case_accesses(
    session: AsyncSession, actor: Actor, case_kind: str, case_id: int
) -> list[AccessLine]:
    """Who consulted a case, newest first: for the DPO, and for a coordinator who supervises
    it; Forbidden to anyone else, NotFound for a case that does not exist."""
    if not may_ask_case_accesses(actor):
        raise Forbidden("Seuls la coordination et le ou la DPO voient qui a consulté un dossier.")
    lifecycle = LIFECYCLES.get(case_kind)
    case = None if lifecycle is None else await session.get(lifecycle.model, case_id)
    if lifecycle is None or case is None:
        raise NotFound(f"Dossier {case_id} introuvable.")
    sides = await case_sides(session, actor, lifecycle, case)
    if not may_see_case_accesses(actor, sides):
        raise Forbidden("Ce dossier n'est pas dans votre territoire de coordination.")
    return await _lines(session, _case_lines(case_kind, case_id))


async def shown_case_accesses(
    session: AsyncSession, actor: Actor, lifecycle: Lifecycle, case: Any
) -> list[AccessLine] | None:
    """Who consulted ``case``, as its page shows it to the DPO and to a coordinator who
    supervises it; None for anyone else, and for a case that names no person."""
    if lifecycle.person is None or not may_ask_case_accesses(actor):
        return None
    if not may_see_case_accesses(actor, await case_sides(session, actor, lifecycle, case)):
        return None
    return await _lines(session, _case_lines(lifecycle.name, case.id))


def _case_lines(case_kind: str, case_id: int) -> Select[Any]:
    return (
        _lines_query()
        .where(AccessLogEntry.case_kind == case_kind, AccessLogEntry.case_id == case_id)
        .order_by(AccessLogEntry.occurred_at.desc(), AccessLogEntry.id.desc())
        .limit(CASE_LINES)
    )


def _expired(now: datetime) -> ColumnElement[bool]:
    """The entries older than 12 calendar months before ``now`` (one made exactly 12 months
    ago stays)."""
    return AccessLogEntry.occurred_at < months_before(now, RETENTION_MONTHS)


async def count_expired_access_log(session: AsyncSession, now: datetime) -> int:
    """How many entries ``purge_access_log`` would delete at ``now``."""
    return await session.scalar(select(func.count()).where(_expired(now))) or 0


async def purge_access_log(session: AsyncSession, now: datetime) -> int:
    """Delete the entries older than 12 calendar months before ``now`` (one made exactly 12
    months ago stays); how many were deleted. One transaction, committed here."""
    async with transaction(session):
        result = await session.execute(delete(AccessLogEntry).where(_expired(now)))
    deleted: int = result.rowcount  # type: ignore[attr-defined]
    return deleted


async def find_person(session: AsyncSession, actor: Actor, text: str) -> int | None:
    """The person a search names: an id, or the reference of one of their cases
    (``OR-2026-00012``); None when nothing matches. The DPO only."""
    if not may_read_access_log(actor):
        raise Forbidden("Seul·e le ou la délégué·e à la protection des données lit ce journal.")
    text = text.strip()
    if text.isascii() and text.isdigit():
        ident = int(text)
        found_id = ident <= MAX_ID and await session.get(Person, ident) is not None
        return ident if found_id else None
    for lifecycle in LIFECYCLES.values():
        if lifecycle.person is None:
            continue
        found = await session.scalar(
            select(lifecycle.person).where(lifecycle.model.reference == text.upper())
        )
        if found is not None:
            return int(found)
    return None


async def find_user(session: AsyncSession, actor: Actor, text: str) -> int | None:
    """The reader a search names: an account id or address; None when nothing matches."""
    if not may_read_access_log(actor):
        raise Forbidden("Seul·e le ou la délégué·e à la protection des données lit ce journal.")
    text = text.strip()
    if text.isascii() and text.isdigit():
        ident = int(text)
        found_id = ident <= MAX_ID and await session.get(User, ident) is not None
        return ident if found_id else None
    found = await session.scalar(select(User.id).where(func.lower(User.email) == text.lower()))
    return None if found is None else int(found)
