"""Reading the indicators as an actor: the scope they may see, the comparison with last year,
and the CSV (always masked: it leaves relais).

The contract the pages, the API and the report share (issue 16); the « indicators » branch
owns it, this is the page's stand-in until it lands.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import Role
from core.errors import Forbidden
from core.models import Organisation
from services.indicators.catalogue import INDICATORS, compute_indicators
from services.indicators.model import IndicatorQuery, IndicatorResult
from services.indicators.presentation import exported
from states.actor import Actor
from states.policy import may_read_indicators, sees_small_counts


@dataclass(frozen=True)
class IndicatorView:
    """The figures an actor asked for, in their scope, with what to show beside them."""

    result: IndicatorResult
    comparison: IndicatorResult | None
    paris: IndicatorResult | None
    exact: bool
    scope_label: str


async def read_indicators(
    session: AsyncSession, actor: Actor, query: IndicatorQuery, *, compare: bool = True
) -> IndicatorView:
    """The figures of ``query`` in ``actor``'s scope (Forbidden for a role that may not read
    indicators): a coordinator's territory, an organisation admin's organisation (with the
    Paris-wide figures beside), all Paris otherwise."""
    if not may_read_indicators(actor):
        raise Forbidden("Votre rôle ne permet pas de consulter les indicateurs.")
    paris: IndicatorResult | None = None
    label = "Tout Paris"
    if actor.role is Role.COORDINATOR and actor.scope_territory is not None:
        query = replace(query, territory=actor.scope_territory)
        label = actor.scope_territory.label
    elif actor.role is Role.ORG_ADMIN and actor.organisation_id is not None:
        paris = await compute_indicators(session, query)
        query = replace(query, party_organisation_id=actor.organisation_id)
        organisation = await session.get(Organisation, actor.organisation_id)
        label = organisation.name if organisation is not None else label
    result = await compute_indicators(session, query)
    comparison = None
    if compare:
        comparison = await compute_indicators(
            session, query.for_period(query.period.previous_year())
        )
    return IndicatorView(result, comparison, paris, sees_small_counts(actor), label)


CSV_HEADER = ("indicateur", "période", "regroupement", "groupe", "détail", "valeur", "définition")


def indicator_csv(view: IndicatorView, keys: Sequence[str] | None = None) -> str:
    """The figures of ``keys`` (all if None) as a French spreadsheet: semicolons, BOM, French
    header, small counts always « < 5 »."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    query = view.result.query
    grouping = query.group_by.label if query.group_by is not None else ""
    for figure in view.result.figures:
        if keys is not None and figure.indicator not in keys:
            continue
        indicator = INDICATORS[figure.indicator]
        writer.writerow(
            (
                indicator.name,
                query.period.label,
                grouping,
                figure.group_label or figure.group or "",
                figure.detail_label or figure.detail or "",
                exported(indicator, figure, exact=False),
                indicator.definition,
            )
        )
    return "\ufeff" + buffer.getvalue()
