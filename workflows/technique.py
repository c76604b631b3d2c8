"""The plan's governance rule: the comité technique meets at least N times a year.

At one meeting a month at most, the year's target is out of reach once the meetings held or
planned in the year plus the whole months left after the current one fall short of N. Every
coordinator is then alerted once per shortfall: the key names the year, the count and the last
comité technique meeting recorded, so that a meeting planned then moved out of the year (the
count falls back, but a meeting was recorded since) alerts again.

Only the comités techniques of all Paris count (territory « Paris »): a comité technique of
one arrondissement is not the plan's, and territorial committees are another kind of body.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.business_days import PARIS
from core.db import transaction
from core.enums import CommitteeKind, MessageKey, Role, Territory
from core.models import Committee, Meeting
from states.recipients import role_recipients
from workflows.governance import alert_once

MESSAGE = MessageKey.GOVERNANCE_TECHNIQUE


@dataclass
class TechniqueReport:
    """What one check of the comité technique's meetings found and did."""

    year: int
    required: int
    counted: int = 0
    months_left: int = 0
    alerted: list[str] = field(default_factory=list)
    already_alerted: list[str] = field(default_factory=list)

    @property
    def out_of_reach(self) -> bool:
        """Whether the year's minimum can no longer be met at one meeting a month."""
        return self.counted + self.months_left < self.required

    def summary(self) -> str:
        """One line in French."""
        if not self.out_of_reach:
            return (
                f"Comité technique : {self.counted} réunion(s) en {self.year}, "
                f"minimum de {self.required} encore atteignable."
            )
        return (
            f"Comité technique : {self.counted} réunion(s) en {self.year}, minimum de "
            f"{self.required} hors d'atteinte : {len(self.alerted)} coordinateur(s) alerté(s), "
            f"{len(self.already_alerted)} déjà prévenu(s)."
        )


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """1 January of ``year`` and of the next one, at midnight in Paris, in UTC."""
    return (
        datetime(year, 1, 1, tzinfo=PARIS).astimezone(UTC),
        datetime(year + 1, 1, 1, tzinfo=PARIS).astimezone(UTC),
    )


PLAN_TECHNIQUE = (Committee.kind == CommitteeKind.TECHNIQUE, Committee.territory == Territory.PARIS)


async def technique_meetings_in(session: AsyncSession, year: int) -> tuple[int, int]:
    """The meetings of the comités techniques of all Paris held or planned in ``year``, and
    the id of the last one recorded, whatever its date (0 if none)."""
    start, end = year_bounds(year)
    in_year = Meeting.starts_at >= start, Meeting.starts_at < end
    row = (
        await session.execute(
            select(
                func.count(Meeting.id).filter(*in_year),
                func.coalesce(func.max(Meeting.id), 0),
            )
            .join(Committee, Committee.id == Meeting.committee_id)
            .where(*PLAN_TECHNIQUE)
        )
    ).one()
    return int(row[0]), int(row[1])


async def check_technique(
    sessionmaker: async_sessionmaker[AsyncSession],
    now: datetime,
    required: int,
    *,
    dry_run: bool = False,
) -> TechniqueReport:
    """Alert coordinators once the year's ``required`` technique meetings are out of reach."""
    local = now.astimezone(PARIS)
    report = TechniqueReport(year=local.year, required=required, months_left=12 - local.month)
    async with sessionmaker() as session:
        report.counted, last_recorded = await technique_meetings_in(session, local.year)
        if not report.out_of_reach:
            return report
        context: dict[str, object] = {
            "year": local.year,
            "required": required,
            "counted": report.counted,
            "months_left": report.months_left,
        }
        key_prefix = f"governance:technique:{local.year}:{report.counted}:{last_recorded}"
        async with transaction(session, dry_run=dry_run):
            recipients = await role_recipients(session, Role.COORDINATOR)
            report.alerted, report.already_alerted = await alert_once(
                session, MESSAGE, key_prefix, recipients, context, now
            )
    return report
