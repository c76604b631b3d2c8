"""Project groups: the lead reminded at the end date, coordinators told 10 business days on."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.enums import Role
from core.models import Committee, OutboxMessage
from notifications.render import render
from tests.factories import World, make_committee, make_decision, make_user
from workflows.project_groups import check_project_groups

PARIS = ZoneInfo("Europe/Paris")
DAYS = 10


def paris(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A moment of 2026 in Paris."""
    return datetime(2026, month, day, hour, minute, tzinfo=PARIS)


async def sent(session: AsyncSession) -> list[tuple[str, str]]:
    """(message, recipient) of every reminder and escalation queued so far, in order."""
    rows = await session.execute(
        select(OutboxMessage.message, OutboxMessage.recipient_email).order_by(OutboxMessage.id)
    )
    await session.commit()
    return list(rows.tuples())


async def test_reminder_at_the_end_date_and_escalation_ten_business_days_later(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], world: World
) -> None:
    admin = await make_user(session, world.receiver, paris(1, 5), role=Role.ORG_ADMIN)
    group = await make_committee(
        session, paris(1, 5), kind="projet", name="Groupe projet numérique",
        lead=world.receiver, mandate="Cartographier les lieux d'inclusion numérique",
        ends_on=date(2026, 6, 30),
    )  # fmt: skip
    # The lead's members: its admin gets no copy of their emails.
    lead_staff = [world.receiver_member.email]
    assert admin.email not in lead_staff

    # The day before the end date (last minute in Paris): nothing.
    assert (await check_project_groups(sessionmaker, paris(6, 29, 23, 59), DAYS)).reminded == []
    # The end date at midnight in Paris: the lead's members, once.
    at_end = await check_project_groups(sessionmaker, paris(6, 30), DAYS)
    assert (at_end.reminded, at_end.escalated) == (["Groupe projet numérique"], [])
    assert sorted(email for _, email in await sent(session)) == lead_staff
    again = await check_project_groups(sessionmaker, paris(7, 1, 8, 30), DAYS)
    assert (again.reminded, len(await sent(session))) == ([], 1)

    # Ten business days: 1-3, 6-10, 13 and 15 July (the 14th is a holiday).
    quiet = await check_project_groups(sessionmaker, paris(7, 14, 23, 59), DAYS)
    assert quiet.escalated == []
    late = await check_project_groups(sessionmaker, paris(7, 15), DAYS)
    assert late.escalated == ["Groupe projet numérique"]
    assert (await sent(session))[1:] == [("escalation", world.coordinator.email)]
    assert (await check_project_groups(sessionmaker, paris(7, 16), DAYS)).escalated == []

    # What the lead reads: the group, its lead, what to do, and when coordinators hear of it.
    first = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
    email = render("reminder", next(iter(first)).context, "https://relais.example")
    assert "Groupe projet numérique" in email.subject
    assert "Clôture du groupe projet" in email.text
    assert "15 juillet 2026" in email.text
    assert f"https://relais.example/committees/{group.id}" in email.text
    escalation = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
    late_email = render("escalation", list(escalation)[-1].context, "https://relais.example")
    assert world.receiver.name in late_email.text


async def test_a_new_end_date_moves_the_deadlines(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], world: World
) -> None:
    group = await make_committee(
        session, paris(1, 5), kind="projet", name="GP", lead=world.receiver,
        mandate="Un mandat", ends_on=date(2026, 6, 30),
    )  # fmt: skip
    await check_project_groups(sessionmaker, paris(6, 30, 9), DAYS)
    assert await sent(session) == [("reminder", world.receiver_member.email)]
    moved = await session.get(Committee, group.id)
    assert moved is not None
    moved.ends_on = date(2026, 9, 30)
    await session.commit()
    # The old escalation date passes: the group now ends in September, nothing to say.
    assert (await check_project_groups(sessionmaker, paris(7, 15, 9), DAYS)).escalated == []
    assert (await check_project_groups(sessionmaker, paris(9, 29, 23, 59), DAYS)).reminded == []
    september = await check_project_groups(sessionmaker, paris(9, 30), DAYS)
    assert september.reminded == ["GP"]
    assert [message for message, _ in await sent(session)] == ["reminder", "reminder"]


async def test_an_adopted_closing_decision_stops_both(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], world: World
) -> None:
    group = await make_committee(
        session, paris(1, 5), kind="projet", name="GP clos", lead=world.receiver,
        mandate="Un mandat", ends_on=date(2026, 6, 30),
    )  # fmt: skip
    # A closure only proposed, or an adopted decision of another kind, does not close it.
    await make_decision(session, group, world.coordinator, paris(6, 1), kind="closure")
    await make_decision(session, group, world.coordinator, paris(6, 1), state="approved")
    assert (await check_project_groups(sessionmaker, paris(6, 30), DAYS)).reminded == ["GP clos"]
    await make_decision(
        session, group, world.coordinator, paris(7, 2), kind="closure", state="published"
    )
    late = await check_project_groups(sessionmaker, paris(7, 20), DAYS)
    assert (late.reminded, late.escalated) == ([], [])
    assert len(await sent(session)) == 1
