"""The plan's structure as reference data: its axes and sub-axes, and the sub-axes of offers."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base


class PlanAxisRow(Base):
    """One of the plan's four axes (``core.enums.PlanMainAxis``), loaded by migration."""

    __tablename__ = "plan_axes"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))


class PlanSubAxisRow(Base):
    """One of the plan's sub-axes (``core.enums.PlanAxis``, 1.1 to 4.2), loaded by migration."""

    __tablename__ = "plan_sub_axes"

    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    axis_code: Mapped[str] = mapped_column(ForeignKey("plan_axes.code"))
    title: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer)


class OfferSubAxis(Base):
    """An offer serves a sub-axis of the plan; a referral counts under its offer's sub-axes."""

    __tablename__ = "offer_sub_axes"

    offer_id: Mapped[int] = mapped_column(
        ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True
    )
    sub_axis: Mapped[str] = mapped_column(
        ForeignKey("plan_sub_axes.code"), primary_key=True, index=True
    )


REFERENCE_TABLES = frozenset({PlanAxisRow.__tablename__, PlanSubAxisRow.__tablename__})
"""Tables that migrations fill and nothing else writes: emptying the data keeps them."""
