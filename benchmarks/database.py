"""The benchmarks' throw-away PostgreSQL database, the demo in it, and bulk-made cases.

Cases the benchmarks only need to exist (due timers, overdue referrals) are written by SQL in
bulk: making 100,000 of them through the engine would measure the engine, not the sweep.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.db import create_engine, create_sessionmaker
from core.migrate import upgrade_engine
from core.settings import Settings
from relais.demo import seed_demo
from states.identity import name_key

SECRET = "benchmark-secret-key-of-at-least-32-characters"


class NeedsPostgres(Exception):
    """The benchmarks measure PostgreSQL: ``RELAIS_DATABASE_URL`` must name one."""


@dataclass(frozen=True)
class Bench:
    """A migrated database holding the demo, and how to reach it."""

    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    settings: Settings

    def dsn(self) -> str:
        """The URL asyncpg itself takes."""
        return self.url.replace("postgresql+asyncpg://", "postgresql://")


def server_url() -> str:
    """``RELAIS_DATABASE_URL``, if it names a PostgreSQL database."""
    url = os.environ.get("RELAIS_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        raise NeedsPostgres(
            "Les mesures portent sur PostgreSQL : définissez RELAIS_DATABASE_URL, par exemple "
            "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres (une base jetable est créée "
            "à côté puis supprimée)."
        )
    return url


@asynccontextmanager
async def throwaway(name: str, now: datetime) -> AsyncIterator[Bench]:
    """A fresh database ``<name>`` beside ``RELAIS_DATABASE_URL``'s, migrated, with the demo."""
    parsed = make_url(server_url())
    admin = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
        url = parsed.set(database=name).render_as_string(hide_password=False)
        engine = create_engine(url)
        try:
            await upgrade_engine(engine)
            settings = Settings(environment="test", secret_key=SECRET, database_url=url)
            sessions = create_sessionmaker(engine)
            async with sessions() as session:
                await seed_demo(session, settings, FixedClock(now))
            yield Bench(url, engine, sessions, settings)
        finally:
            await engine.dispose()
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def make_submitted(
    bench: Bench, count: int, *, submitted_at: datetime, territories: int = 1
) -> None:
    """``count`` referrals submitted at ``submitted_at`` to the demo's first EPI offer, with
    their people, events and open timers (reminder, escalation, expiry as the offer says),
    spread over ``territories`` sectors (Paris Centre, then the 5th, the 6th...)."""
    async with bench.engine.begin() as connection:
        await connection.execute(
            text(
                """
                WITH offer AS (
                    SELECT o.id, o.organisation_id FROM offers o
                    WHERE o.is_accompaniment ORDER BY o.id LIMIT 1
                ), sender AS (
                    SELECT u.id, u.organisation_id FROM users u
                    WHERE u.role = 'member' ORDER BY u.id LIMIT 1
                ), people AS (
                    INSERT INTO persons (first_name, last_name, name_key, created_at)
                    SELECT 'Prénom', 'Nom', :name_key, :at FROM generate_series(1, :count)
                    RETURNING id
                ), numbered AS (
                    SELECT id, row_number() OVER (ORDER BY id) AS n FROM people
                )
                INSERT INTO referrals (
                    reference, state, version, offer_id, sender_organisation_id,
                    receiver_organisation_id, territory, created_by_id, person_id, motive,
                    barriers, consent_attested_at, created_at, state_entered_at)
                SELECT 'OR-B-' || lpad(numbered.id::text, 8, '0'), 'submitted', 1, offer.id,
                    sender.organisation_id, offer.organisation_id,
                    CASE numbered.n % :territories WHEN 0 THEN 'paris_centre'
                        ELSE '750' || lpad(((numbered.n % :territories) + 4)::text, 2, '0') END,
                    sender.id, numbered.id, 'Orientation de mesure.', '[]', :at, :at, :at
                FROM numbered, offer, sender
                """
            ),
            {
                "at": submitted_at,
                "count": count,
                "territories": territories,
                "name_key": name_key("Nom", "Prénom"),
            },
        )
        await connection.execute(
            text(
                """
                INSERT INTO timers (case_kind, case_id, state, kind, target, due_at, status,
                    created_at)
                SELECT 'referral', r.id, 'submitted', t.kind, t.target,
                    r.state_entered_at + t.after, 'pending', r.state_entered_at
                FROM referrals r
                CROSS JOIN (VALUES
                    ('reminder', 'receiver', interval '3 days'),
                    ('escalation', 'coordinators', interval '5 days'),
                    ('trigger', 'expire', interval '28 days')) AS t(kind, target, after)
                WHERE r.reference LIKE 'OR-B-%'
                  AND NOT EXISTS (SELECT 1 FROM timers x WHERE x.case_kind = 'referral'
                                  AND x.case_id = r.id)
                """
            )
        )
        await connection.execute(text("ANALYZE"))


async def make_idle_timers(bench: Bench, count: int, due_at: datetime) -> None:
    """``count`` pending timers of cases that are not due before ``due_at``."""
    async with bench.engine.begin() as connection:
        await connection.execute(
            text(
                """
                INSERT INTO timers (case_kind, case_id, state, kind, target, due_at, status,
                    created_at)
                SELECT 'referral', 100000000 + n, 'submitted', 'reminder', 'receiver',
                    CAST(:due AS timestamptz) + (n % 1000) * interval '1 minute', 'pending',
                    CAST(:due AS timestamptz) - interval '3 days'
                FROM generate_series(1, :count) AS n
                """
            ),
            {"due": due_at, "count": count},
        )
        await connection.execute(text("ANALYZE timers"))


async def connect(bench: Bench) -> asyncpg.Connection:
    """A plain asyncpg connection to the benchmark database."""
    return await asyncpg.connect(bench.dsn())
