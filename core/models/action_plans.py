"""The year's action plan validated by the comité de pilotage, and its items."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, enum_column
from core.enums import Territory
from core.models.committees import Decision
from core.models.directory import Organisation

THE_PLAN_OF_THE_YEAR = "state IN ('validated', 'under_revision')"
"""The states of « le plan de l'année »: validated, or validated and being revised."""
IN_PREPARATION = "state IN ('draft', 'submitted')"
"""The states of a plan being prepared: one at a time per year."""


class ActionPlan(Base):
    """A year's action plan: drafted, submitted, validated by the comité de pilotage."""

    __tablename__ = "action_plans"
    __table_args__ = (
        # Only one plan of the year: a revision's draft replaces it only once validated.
        Index(
            "uq_action_plans_plan_of_the_year",
            "year",
            unique=True,
            postgresql_where=text(THE_PLAN_OF_THE_YEAR),
            sqlite_where=text(THE_PLAN_OF_THE_YEAR),
        ),
        Index(
            "uq_action_plans_in_preparation",
            "year",
            unique=True,
            postgresql_where=text(IN_PREPARATION),
            sqlite_where=text(IN_PREPARATION),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer, index=True)
    territory: Mapped[Territory] = mapped_column(enum_column(Territory))
    # The validated plan this draft revises, if any.
    revises_id: Mapped[int | None] = mapped_column(ForeignKey("action_plans.id"))
    return_reason: Mapped[str | None] = mapped_column(Text)
    validated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    validation_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state_entered_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads it as is


class ActionPlanItem(Base):
    """One item of a plan: a sub-axis, a lead partner, a due date, maybe a target."""

    __tablename__ = "action_plan_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("action_plans.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    sub_axis: Mapped[str] = mapped_column(ForeignKey("plan_sub_axes.code"))
    lead_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    due_on: Mapped[date] = mapped_column(Date)
    # The approved decision of a comité technique or project group it comes from.
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    # A key of services.indicators.catalogue.INDICATORS, and the value aimed at.
    target_indicator: Mapped[str | None] = mapped_column(String(64))
    target_value: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    lead_organisation: Mapped[Organisation] = relationship(lazy="raise")
    decision: Mapped[Decision] = relationship(lazy="raise")
