"""The access log's use cases: recording reads, the DPO's search, who consulted a case,
and the purge after 12 calendar months."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.business_days import PARIS
from core.clock import FixedClock
from core.db import transaction
from core.enums import AccessChannel, Role, Territory
from core.errors import Forbidden, NotFound
from core.models import AccessLogEntry, User
from services import access_log, referral_service
from services.access_log import Reading
from tests.factories import World, actor_of, make_user, referral_create


async def _entries(sessionmaker: async_sessionmaker[AsyncSession]) -> list[AccessLogEntry]:
    """Every entry, read in a session of its own (so: what was committed)."""
    async with sessionmaker() as reading:
        return list(
            (await reading.execute(select(AccessLogEntry).order_by(AccessLogEntry.id))).scalars()
        )


async def _referral(session: AsyncSession, world: World, now: datetime) -> tuple[int, int]:
    """A referral of the world's referrer: its id and its person's."""
    view = await referral_service.create_referral(
        session, actor_of(world.referrer), referral_create(world.offer), now
    )
    await session.commit()  # on SQLite, an open read holds the write lock
    return view.case.id, view.case.person_id


async def _dpo(session: AsyncSession, world: World, now: datetime) -> User:
    return await make_user(session, world.coordination, now, role=Role.DPO)


async def test_reading_a_case_to_show_it_logs_one_committed_entry(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    world: World,
    clock: FixedClock,
) -> None:
    now = clock.now()
    referral_id, person_id = await _referral(session, world, now)
    async with sessionmaker() as other:
        # Read without ``read`` (a check after an action): nothing is logged.
        await referral_service.get_referral(other, actor_of(world.receiver_member), referral_id)
        await referral_service.get_referral(
            other,
            actor_of(world.receiver_member),
            referral_id,
            read=Reading(AccessChannel.PAGE, now),
        )
    [entry] = await _entries(sessionmaker)
    assert (entry.user_id, entry.organisation_id, entry.role) == (
        world.receiver_member.id,
        world.receiver.id,
        Role.MEMBER,
    )
    assert (entry.person_id, entry.case_kind, entry.case_id) == (person_id, "referral", referral_id)
    assert (entry.channel, entry.health_data, entry.occurred_at) == (AccessChannel.PAGE, False, now)


async def test_an_export_writes_one_entry_per_person_and_the_dpo_has_no_organisation(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    world: World,
    clock: FixedClock,
) -> None:
    now = clock.now()
    persons = []
    for last_name in ("Aubert", "Bellec", "Carpentier"):
        view = await referral_service.create_referral(
            session,
            actor_of(world.referrer),
            referral_create(
                world.offer,
                person={"first_name": "Lou", "last_name": last_name, "birth_date": "1990-01-02"},
            ),
            now,
        )
        persons.append(view.case.person_id)
    dpo = await _dpo(session, world, now)  # committed: no read left open
    assert actor_of(dpo).organisation_id is None
    await access_log.record_accesses(
        session, actor_of(dpo), [*persons, persons[0]], channel=AccessChannel.CSV, now=now
    )
    entries = await _entries(sessionmaker)
    assert sorted(entry.person_id for entry in entries) == sorted(persons)
    assert {(e.channel, e.organisation_id, e.role, e.case_id) for e in entries} == {
        (AccessChannel.CSV, None, Role.DPO, None)
    }


async def test_an_entry_joins_an_open_transaction_and_goes_with_its_rollback(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    world: World,
    clock: FixedClock,
) -> None:
    now = clock.now()
    _, person_id = await _referral(session, world, now)
    with pytest.raises(RuntimeError):
        async with transaction(session):
            await access_log.record_access(
                session,
                actor_of(world.coordinator),
                person_id=person_id,
                channel=AccessChannel.EXPORT,
                health_data=True,
                now=now,
            )
            raise RuntimeError("the export failed")
    assert await _entries(sessionmaker) == []


async def test_only_the_dpo_searches_the_log_by_person_reader_and_period(
    session: AsyncSession, world: World, clock: FixedClock
) -> None:
    now = clock.now()
    referral_id, person_id = await _referral(session, world, now)
    reference = (
        await referral_service.get_referral(session, actor_of(world.referrer), referral_id)
    ).case.reference
    for user, moment in (
        (world.receiver_member, now),
        (world.coordinator, now + timedelta(hours=1)),
    ):
        await access_log.record_access(
            session, actor_of(user), person_id=person_id, case_kind="referral",
            case_id=referral_id, channel=AccessChannel.API, now=moment,
        )  # fmt: skip
    dpo = actor_of(await _dpo(session, world, now))
    for actor in (world.coordinator, world.admin, world.receiver_member):
        with pytest.raises(Forbidden):
            await access_log.search_access_log(session, actor_of(actor))
    everything = await access_log.search_access_log(session, dpo, person_id=person_id)
    assert [line.user_id for line in everything.lines] == [
        world.coordinator.id,
        world.receiver_member.id,
    ]
    assert everything.lines[0].case_reference == reference
    assert everything.lines[1].organisation == world.receiver.name
    by_user = await access_log.search_access_log(session, dpo, user_id=world.receiver_member.id)
    assert [line.user_id for line in by_user.lines] == [world.receiver_member.id]
    # ``until`` is excluded, ``since`` included.
    first_hour = await access_log.search_access_log(
        session, dpo, since=now, until=now + timedelta(hours=1)
    )
    assert [line.user_id for line in first_hour.lines] == [world.receiver_member.id]
    paged = await access_log.search_access_log(session, dpo, per_page=1, page=2)
    assert (len(paged.lines), paged.has_next) == (1, False)
    assert (await access_log.search_access_log(session, dpo, per_page=1)).has_next
    assert await access_log.find_person(session, dpo, reference.lower()) == person_id
    assert await access_log.find_person(session, dpo, str(person_id)) == person_id
    assert await access_log.find_person(session, dpo, "99999999999") is None
    assert (
        await access_log.find_user(session, dpo, world.coordinator.email.upper())
        == world.coordinator.id
    )


async def test_case_accesses_for_the_coordination_in_scope_and_the_dpo_only(
    session: AsyncSession, world: World, clock: FixedClock
) -> None:
    now = clock.now()
    referral_id, person_id = await _referral(session, world, now)
    await access_log.record_access(
        session, actor_of(world.receiver_member), person_id=person_id, case_kind="referral",
        case_id=referral_id, channel=AccessChannel.PAGE, now=now,
    )  # fmt: skip
    elsewhere = await make_user(
        session, world.outsider, now, role=Role.COORDINATOR, scope_territory=Territory("75020")
    )
    dpo = await _dpo(session, world, now)
    for reader in (world.coordinator, dpo):
        [line] = await access_log.case_accesses(session, actor_of(reader), "referral", referral_id)
        assert (line.user_id, line.channel) == (world.receiver_member.id, AccessChannel.PAGE)
    for refused in (elsewhere, world.receiver_member, world.admin):
        with pytest.raises(Forbidden):
            await access_log.case_accesses(session, actor_of(refused), "referral", referral_id)
    with pytest.raises(NotFound):
        await access_log.case_accesses(session, actor_of(dpo), "referral", referral_id + 1)


PURGE_NOW = datetime(2026, 3, 2, 9, tzinfo=PARIS)
TWELVE_MONTHS_BEFORE = datetime(2025, 3, 2, 9, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("occurred_at", "kept"),
    [
        (TWELVE_MONTHS_BEFORE, True),
        (TWELVE_MONTHS_BEFORE + timedelta(seconds=1), True),
        (TWELVE_MONTHS_BEFORE - timedelta(seconds=1), False),
    ],
    ids=["exactly-12-months", "just-after", "just-before"],
)
async def test_the_purge_deletes_entries_older_than_12_months(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    world: World,
    clock: FixedClock,
    occurred_at: datetime,
    kept: bool,
) -> None:
    _, person_id = await _referral(session, world, clock.now())
    await access_log.record_access(
        session, actor_of(world.referrer), person_id=person_id, channel=AccessChannel.PAGE,
        now=occurred_at,
    )  # fmt: skip
    assert await access_log.purge_access_log(session, PURGE_NOW) == (0 if kept else 1)
    assert len(await _entries(sessionmaker)) == (1 if kept else 0)


async def test_the_purge_counts_calendar_months_not_365_days(
    session: AsyncSession, world: World, clock: FixedClock
) -> None:
    """On 28 February 2025 at noon, an entry of 28 February 2024 at 13:00 is more than 365
    days old (2024 is a leap year) but not 12 calendar months: it stays."""
    _, person_id = await _referral(session, world, clock.now())
    now = datetime(2025, 2, 28, 12, tzinfo=PARIS)
    for moment in (
        datetime(2024, 2, 28, 13, tzinfo=PARIS),
        datetime(2024, 2, 28, 11, tzinfo=PARIS),
    ):
        await access_log.record_access(
            session, actor_of(world.referrer), person_id=person_id, channel=AccessChannel.API,
            now=moment,
        )  # fmt: skip
    assert now - datetime(2024, 2, 28, 13, tzinfo=PARIS) > timedelta(days=365)
    assert await access_log.purge_access_log(session, now) == 1
    left = await session.scalar(select(func.min(AccessLogEntry.occurred_at)))
    assert left == datetime(2024, 2, 28, 12, tzinfo=UTC)
