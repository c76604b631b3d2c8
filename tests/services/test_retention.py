"""Retention: a person whose cases all ended more than 24 months ago is anonymised, and then
nothing of what identified them, nor any text typed about them, is left in the database file;
the case still reads with its codes, dates and organisations."""

from __future__ import annotations

import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.business_days import months_before
from core.clock import FixedClock
from core.enums import AnonymisationReason, OutboxStatus, ReturnReason
from core.models import CaseText, Event, OutboxMessage, Person, PersonEvent, Referral, User
from core.settings import Settings
from services.anonymisation import anonymise_person
from services.referral_service import create_referral
from services.retention import run_retention
from states import engine
from states.referral import REFERRAL
from states.referral_fields import PersonFields
from states.texts import ERASED
from tests.factories import World, actor_of, auth_headers, referral_create
from workflows.runs import run_retention_once

FIRST, LAST = "Zephyrinax", "Quenouillardo"
EMAIL = "zephyrinax.quenouillardo@exemple-unique.org"
PHONE = "06 98 71 54 32"
MOTIVE = "Motif-unique-Xylophone"
RETURN_COMMENT = "Retour-unique-Kumquat"
NOTE = "Note-unique-Mandragore"
REPLY = "Reponse-unique-Bergamote"
RETENTION = AnonymisationReason.RETENTION
BORN = date(1987, 11, 23)
SECRETS = (FIRST, LAST, BORN.isoformat(), EMAIL, PHONE, MOTIVE, RETURN_COMMENT, NOTE, REPLY)


def in_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus ``months`` calendar months (its inverse: ``months_before``)."""
    later = moment + timedelta(days=31 * months)
    while months_before(later, months) > moment:
        later -= timedelta(hours=1)
    while months_before(later, months) < moment:
        later += timedelta(seconds=1)
    return later


async def completed_referral(session: AsyncSession, world: World, clock: FixedClock) -> int:
    """A referral returned, resubmitted, accepted, started, noted and completed; its id.

    Completed at ``clock.now()`` (the clock moves one hour per step)."""
    person = PersonFields(
        first_name=FIRST, last_name=LAST, birth_date=BORN, email=EMAIL, phone=PHONE
    )
    view = await create_referral(
        session,
        actor_of(world.referrer),
        referral_create(world.offer, person=person, motive=MOTIVE),
        clock.now(),
    )
    referral_id: int = view.case.id
    returned = {"reason": ReturnReason.MISSING_INFORMATION, "comment": RETURN_COMMENT}
    steps: tuple[tuple[str, User, dict[str, Any]], ...] = (
        ("return", world.receiver_member, returned),
        ("resubmit", world.referrer, {"reply": REPLY}),
        ("accept", world.receiver_member, {}),
        ("start", world.receiver_member, {}),
        ("note", world.receiver_member, {"note": NOTE}),
        ("complete", world.receiver_member, {"outcome": "lasting_employment"}),
    )  # fmt: skip
    for trigger, user, payload in steps:
        clock.advance(timedelta(hours=1))
        await engine.fire(
            session, REFERRAL, referral_id, trigger, actor_of(user), payload, clock.now()
        )
    return referral_id


def _dump(database_url: str) -> bytes:
    """Every byte the database holds: ``pg_dump``, or the SQLite file and its WAL."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
        return subprocess.run(
            ["pg_dump", "--data-only", libpq], check=True, capture_output=True
        ).stdout
    assert url.database is not None
    files = [Path(url.database), Path(f"{url.database}-wal")]
    return b"".join(path.read_bytes() for path in files if path.exists())


def _left(database_url: str) -> list[str]:
    dump = _dump(database_url)
    return [secret for secret in SECRETS if secret.encode() in dump]


async def test_a_completed_referral_is_anonymised_after_24_months_and_leaves_no_trace(
    session: AsyncSession,
    world: World,
    clock: FixedClock,
    settings: Settings,
    client: httpx.AsyncClient,
    database_url: str,
) -> None:
    referral_id = await completed_referral(session, world, clock)
    completed_at = clock.now()
    headers, sender = await auth_headers(world.referrer), world.sender.name
    events_before = [
        (row.id, row.trigger, row.payload, row.occurred_at)
        for row in await session.scalars(select(Event).order_by(Event.id))
    ]
    await session.commit()

    report = await run_retention_once(settings, in_months(completed_at, 23))
    assert (report.anonymised, report.emails_purged) == (0, 0)
    # Nothing touched: every string is still there, so the search below does find them.
    assert _left(database_url) == list(SECRETS)

    report = await run_retention_once(settings, in_months(completed_at, 25))
    assert report.anonymised == 1
    assert _left(database_url) == []

    session.expire_all()
    person = await session.scalar(select(Person).join(Referral).where(Referral.id == referral_id))
    assert person is not None and person.anonymised_at == in_months(completed_at, 25)
    assert (person.first_name, person.email, person.phone, person.name_key) == (
        "",
        None,
        None,
        f"#{person.id}",
    )
    [recorded] = await session.scalars(
        select(PersonEvent).where(PersonEvent.person_id == person.id)
    )
    assert (recorded.kind, recorded.payload, recorded.actor_id) == (
        "anonymised",
        {"reason": "retention"},
        None,
    )
    # The events are exactly as they were written: their texts were references all along.
    assert [
        (row.id, row.trigger, row.payload, row.occurred_at)
        for row in await session.scalars(select(Event).order_by(Event.id))
    ] == events_before
    await session.commit()

    clock.set(in_months(completed_at, 25))
    read = await client.get(f"/api/referrals/{referral_id}", headers=headers)
    assert read.status_code == 200, read.text
    body = read.json()
    assert (body["state"], body["outcome"], body["return_reason"]) == (
        "completed",
        "lasting_employment",
        "missing_information",
    )
    assert body["sender_organisation"]["name"] == sender
    assert (body["motive"], body["return_comment"]) == ("", None)
    payloads = {event["trigger"]: event["payload"] for event in body["events"]}
    assert payloads["return"] == {"reason": "missing_information", "comment": ERASED}
    assert payloads["note"] == {"note": ERASED}

    # Idempotent: a second run, or a second anonymisation, changes nothing.
    assert (await run_retention_once(settings, in_months(completed_at, 26))).anonymised == 0
    assert not await anonymise_person(session, person.id, clock.now(), reason=RETENTION)


@pytest.mark.parametrize(
    ("offset", "anonymised"),
    [(timedelta(seconds=-1), 0), (timedelta(0), 0), (timedelta(seconds=1), 1)],
    ids=["one-second-before", "exactly-24-months", "one-second-after"],
)
async def test_the_retention_period_boundary(
    session: AsyncSession,
    world: World,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
    offset: timedelta,
    anonymised: int,
) -> None:
    await completed_referral(session, world, clock)
    await session.commit()
    now = in_months(clock.now(), 24) + offset

    dry = await run_retention(sessionmaker, now, 24, dry_run=True)
    assert (dry.anonymised, dry.dry_run) == (anonymised, True)
    assert (await run_retention(sessionmaker, now, 24)).anonymised == anonymised
    assert await session.scalar(select(Person.first_name)) == ("" if anonymised else FIRST)


async def test_a_person_with_a_case_under_way_is_kept(
    session: AsyncSession,
    world: World,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await completed_referral(session, world, clock)
    # Another referral of the same person, still waiting for an answer: nothing is erased.
    person = PersonFields(
        first_name=FIRST, last_name=LAST, birth_date=BORN, email=EMAIL, phone=PHONE
    )
    data = referral_create(world.offer, person=person, motive="Deuxième demande")
    await create_referral(session, actor_of(world.referrer), data, clock.now())
    await session.commit()

    report = await run_retention(sessionmaker, in_months(clock.now(), 30), 24)

    assert report.anonymised == 0
    assert await session.scalar(select(Person.last_name)) == LAST
    assert await session.scalar(select(CaseText.body).where(CaseText.field == "note")) == NOTE


async def test_sent_emails_older_than_three_months_are_purged(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    now = clock.now()
    limit = months_before(now, 3)
    for key, status, sent_at in (
        ("old", OutboxStatus.SENT, limit - timedelta(seconds=1)),
        ("at-limit", OutboxStatus.SENT, limit),
        ("recent", OutboxStatus.SENT, now),
        ("dead", OutboxStatus.DEAD, None),
    ):
        session.add(
            OutboxMessage(
                idempotency_key=key, message="digest", recipient_email="a@example.org",
                context={}, status=status, attempts=1, next_attempt_at=now,
                created_at=limit - timedelta(days=1), sent_at=sent_at,
            )
        )  # fmt: skip
    await session.commit()

    assert (await run_retention(sessionmaker, now, 24, dry_run=True)).emails_purged == 1
    assert (await run_retention(sessionmaker, now, 24)).emails_purged == 1

    keys = await session.scalars(select(OutboxMessage.idempotency_key).order_by(OutboxMessage.id))
    assert list(keys) == ["at-limit", "recent", "dead"]


@pytest.mark.postgres
async def test_postgresql_refuses_to_rewrite_or_delete_an_event(
    session: AsyncSession, world: World, clock: FixedClock
) -> None:
    referral_id = await completed_referral(session, world, clock)
    person_id = await session.scalar(select(Referral.person_id).where(Referral.id == referral_id))
    assert person_id is not None
    # Anonymisation only inserts: it writes a person event, rewrites none.
    assert await anonymise_person(session, person_id, clock.now(), reason=RETENTION)
    await session.commit()
    for statement in (
        "UPDATE events SET payload = '{}'",
        "DELETE FROM events",
        "UPDATE person_events SET kind = 'x'",
        "DELETE FROM person_events",
    ):
        with pytest.raises(Exception, match="append-only"):
            await session.execute(text(statement))
        await session.rollback()
    assert await session.scalar(select(Event.id).limit(1)) is not None
