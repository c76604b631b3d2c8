"""The plan's indicators: figures in the reader's scope, as JSON or as a CSV file."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import ActorDep, IndicatorQueryDep, SessionDep, SessionsDep
from api.errors import error_responses
from api.indicator_schemas import IndicatorsRead, indicators_read
from services.indicators.service import indicator_csv, read_indicators

router = APIRouter(tags=["indicateurs"])


@router.get(
    "/api/indicators",
    response_model=IndicatorsRead,
    responses=error_responses(401, 403, 422),
)
async def get_indicators(
    actor: ActorDep, session: SessionDep, sessions: SessionsDep, query: IndicatorQueryDep
) -> IndicatorsRead:
    """Every indicator over the period, filtered and grouped as asked, in the reader's scope
    (a coordinator's territory, an organisation's own figures with all Paris beside), with
    the same period a year earlier. Counts of fewer than five people read « < 5 » except for
    the coordination and the DPO."""
    return indicators_read(await read_indicators(session, actor, query, sessions=sessions))


@router.get(
    "/api/indicators.csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **error_responses(401, 403, 422),
    },
)
async def get_indicators_csv(
    actor: ActorDep, session: SessionDep, sessions: SessionsDep, query: IndicatorQueryDep
) -> Response:
    """The same figures as a spreadsheet (``;``-separated, UTF-8): always « < 5 » below five
    people, whoever asks, since a file leaves relais."""
    view = await read_indicators(session, actor, query, sessions=sessions)
    period = query.period
    return Response(
        ("\ufeff" + indicator_csv(view)).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": (
                f'attachment; filename="indicateurs-{period.start}-{period.end}.csv"'
            )
        },
    )
