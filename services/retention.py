"""The retention run: anonymise the persons whose cases all ended long ago, purge old mail.

A person is kept while any of their referrals, handovers or accompaniments is not final, and
for ``retention_months`` after the last thing that happened to them (an event of one of their
cases, an event of their record, the end of an accompaniment); then ``anonymise_person``
erases them, each in its own short transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.business_days import months_before
from core.db import transaction
from core.enums import AnonymisationReason, OutboxStatus
from core.models import Accompaniment, Event, OutboxMessage, Person, PersonEvent
from services.access_log import count_expired_access_log, purge_access_log
from services.anonymisation import ANONYMISED, PERSON_LIFECYCLES, anonymise_person

SENT_MAIL_MONTHS = 3
"""How long a sent email stays in the outbox (to answer « did they get it? »)."""
BATCH = 100


@dataclass(frozen=True)
class RetentionReport:
    """What a retention run did, or would do (``dry_run``)."""

    anonymised: int
    emails_purged: int
    accesses_purged: int = 0
    dry_run: bool = False

    def lines(self) -> list[str]:
        """The run in French, one line per kind of change."""
        verb = "seraient" if self.dry_run else "ont été"
        prefix = "(simulation) " if self.dry_run else ""
        return [
            f"{prefix}{self.anonymised} personne(s) {verb} anonymisée(s).",
            f"{prefix}{self.emails_purged} email(s) envoyé(s) {verb} purgé(s).",
            f"{prefix}{self.accesses_purged} entrée(s) du journal des accès {verb} purgée(s).",
        ]


def _expired_clause(cutoff: datetime) -> ColumnElement[bool]:
    """Persons not anonymised, every case final, nothing about them since ``cutoff``."""
    conditions: list[ColumnElement[bool]] = [
        Person.anonymised_at.is_(None),
        Person.created_at < cutoff,
        ~exists().where(
            PersonEvent.person_id == Person.id,
            PersonEvent.occurred_at >= cutoff,
            PersonEvent.kind != ANONYMISED,
        ),
        ~exists().where(Accompaniment.person_id == Person.id, Accompaniment.ended_at >= cutoff),
    ]
    for lifecycle in PERSON_LIFECYCLES:
        assert lifecycle.person is not None
        model = lifecycle.model
        mine = lifecycle.person == Person.id
        conditions.append(~exists().where(mine, model.state.not_in(lifecycle.final_states)))
        conditions.append(
            ~exists().where(
                mine,
                Event.case_kind == lifecycle.name,
                Event.case_id == model.id,
                Event.occurred_at >= cutoff,
            )
        )
    return and_(*conditions)


async def _expired_batch(
    session: AsyncSession, cutoff: datetime, after: int, limit: int
) -> list[int]:
    found = await session.scalars(
        select(Person.id)
        .where(Person.id > after, _expired_clause(cutoff))
        .order_by(Person.id)
        .limit(limit)
    )
    return list(found)


async def _anonymise_expired(
    sessions: async_sessionmaker[AsyncSession], cutoff: datetime, now: datetime, dry_run: bool
) -> int:
    """Anonymise the expired persons, each in its own transaction; their count."""
    count, after = 0, 0
    while True:
        async with sessions() as session:
            batch = await _expired_batch(session, cutoff, after, BATCH)
        if not batch:
            return count
        after = batch[-1]
        if dry_run:
            count += len(batch)
            continue
        for person_id in batch:
            async with sessions() as session, transaction(session):
                # Checked again under the person's lock: a case may have reopened since.
                still = await session.scalar(
                    select(Person.id)
                    .where(Person.id == person_id, _expired_clause(cutoff))
                    .with_for_update()
                )
                if still is not None and await anonymise_person(
                    session, person_id, now, reason=AnonymisationReason.RETENTION
                ):
                    count += 1


async def _purge_sent_mail(
    sessions: async_sessionmaker[AsyncSession], now: datetime, dry_run: bool
) -> int:
    """The outbox's emails sent more than ``SENT_MAIL_MONTHS`` ago: deleted; their count."""
    old = and_(
        OutboxMessage.status == OutboxStatus.SENT,
        OutboxMessage.sent_at < months_before(now, SENT_MAIL_MONTHS),
    )
    async with sessions() as session:
        if dry_run:
            return await session.scalar(select(func.count()).where(old)) or 0
        async with transaction(session):
            result = await session.execute(delete(OutboxMessage).where(old))
    purged: int = result.rowcount  # type: ignore[attr-defined]
    return purged


async def _checkpoint_sqlite(engine: AsyncEngine) -> None:
    """On SQLite, write the WAL back and empty it: erased strings must not linger there.

    (``PRAGMA secure_delete``, set on every connection, zeroes the freed space itself.)
    """
    if engine.dialect.name != "sqlite":
        return
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def run_retention(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    months: int,
    *,
    dry_run: bool = False,
) -> RetentionReport:
    """Anonymise every person whose cases are all final and whose last activity is more than
    ``months`` calendar months before ``now`` (exactly ``months`` is kept); purge the sent
    emails older than three months and the access log's entries older than twelve.
    ``dry_run`` counts without changing anything."""
    cutoff = months_before(now, months)
    anonymised = await _anonymise_expired(sessions, cutoff, now, dry_run)
    purged = await _purge_sent_mail(sessions, now, dry_run)
    async with sessions() as session:
        if dry_run:
            accesses = await count_expired_access_log(session, now)
        else:
            accesses = await purge_access_log(session, now)
    if not dry_run:
        engine = sessions.kw["bind"]
        await _checkpoint_sqlite(engine)
    return RetentionReport(
        anonymised=anonymised, emails_purged=purged, accesses_purged=accesses, dry_run=dry_run
    )
