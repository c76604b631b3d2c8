"""The sub-axes of the plan each offer serves (``offer_sub_axes``): chosen by the offer's
organisation admin, empty for an offer imported from data·inclusion until then."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import PlanAxis
from core.models import OfferSubAxis


async def sub_axes_of(session: AsyncSession, offer_ids: Iterable[int]) -> dict[int, list[PlanAxis]]:
    """The sub-axes of each offer of ``offer_ids``, in the plan's order (one query)."""
    ids = list(offer_ids)
    found: dict[int, list[PlanAxis]] = {offer_id: [] for offer_id in ids}
    if not ids:
        return found
    rows = await session.execute(
        select(OfferSubAxis.offer_id, OfferSubAxis.sub_axis).where(OfferSubAxis.offer_id.in_(ids))
    )
    order = {axis: index for index, axis in enumerate(PlanAxis)}
    for offer_id, code in rows:
        found[offer_id].append(PlanAxis(code))
    for axes in found.values():
        axes.sort(key=order.__getitem__)
    return found


async def replace_sub_axes(
    session: AsyncSession, offer_id: int, sub_axes: Iterable[PlanAxis]
) -> list[PlanAxis]:
    """Make ``sub_axes`` the offer's sub-axes, in the caller's transaction; the new list."""
    wanted = sorted(set(sub_axes), key=list(PlanAxis).index)
    await session.execute(delete(OfferSubAxis).where(OfferSubAxis.offer_id == offer_id))
    session.add_all(OfferSubAxis(offer_id=offer_id, sub_axis=axis.value) for axis in wanted)
    await session.flush()
    return wanted
