"""The coordinators' dashboard: overdue cases, their charts, the CSV export, dead letters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated

from fastapi import Depends, Query, Request, Response
from fastapi.responses import RedirectResponse, StreamingResponse
from jinja2 import TemplateError

from core.business_days import PARIS
from core.db import end_reads
from core.enums import OutboxStatus, Territory
from core.errors import Conflict
from core.models import OutboxMessage
from notifications.catalog import MESSAGES
from notifications.render import render_subject
from services import outbox_service
from services.dashboard import (
    DashboardFilters,
    dashboard_export,
    dashboard_reads,
    dashboard_unreachable_offers,
    expected_action,
    weeks_to_draw,
)
from services.overdue import group_by_organisation
from services.overdue_csv import HEADER_LINE
from states.policy import follows_territory, may_supervise_delivery, oversight_actor
from states.registry import LIFECYCLES
from web.charts import columns
from web.dashboard_charts import labelled_bars, phone_columns
from web.deps import Cursor, FileUserDep, NowDep, PathId, SessionDep, SessionsDep, WebUserDep
from web.rendering import render
from web.routing import page_router
from web.session import WebUser

router = page_router()


SHOWN_CASES = 100
"""How many overdue cases the page lists, the oldest: the export holds them all."""


TerritoryQuery = Annotated[str, Query(max_length=16)]
LifecycleQuery = Annotated[str, Query(alias="type", max_length=32)]


def dashboard_filters(
    territory: TerritoryQuery = "", lifecycle: LifecycleQuery = ""
) -> DashboardFilters:
    """The filters of the page's form (``?territory=&type=``); an unknown value filters
    nothing."""
    return DashboardFilters(
        territory=Territory(territory) if territory in set(Territory) else None,
        lifecycle=lifecycle if lifecycle in LIFECYCLES else None,
    )


FiltersDep = Annotated[DashboardFilters, Depends(dashboard_filters)]


def _week_label(monday: date) -> str:
    return f"{monday.day:02d}/{monday.month:02d}"


def _scope_text(user: WebUser) -> str:
    """Whose delays the page shows (``policy.oversight_actor``), in one sentence."""
    watcher = oversight_actor(user.actor)
    if not follows_territory(watcher):
        return f"Dossiers en retard de votre structure, {user.organisation.name}."
    if watcher.scope_territory is not None:
        return f"Dossiers en retard du territoire : {watcher.scope_territory.label}."
    return "Dossiers en retard de tout Paris."


@router.get("/dashboard")
async def dashboard(
    request: Request,
    user: WebUserDep,
    session: SessionDep,
    sessions: SessionsDep,
    now: NowDep,
    filters: FiltersDep,
) -> Response:
    """Overdue cases in the user's scope: figures, a chart per organisation, the weekly
    trend and the oldest cases grouped by the organisation expected to act (all of them in
    the CSV export); for the coordination, the offers nobody can receive."""
    read = await dashboard_reads(session, sessions, user.actor, now, filters, limit=SHOWN_CASES)
    counts, cases, trend = read.counts, read.cases, read.trend
    groups = group_by_organisation(cases)
    drawn = weeks_to_draw(trend)
    week_columns = [(_week_label(week.week_start), week.count) for week in drawn]
    dead_letters: int | None = None
    if may_supervise_delivery(user.actor):
        dead, more = await outbox_service.list_messages(
            session, user.actor, status=OutboxStatus.DEAD, limit=99
        )
        dead_letters = len(dead) + (1 if more else 0)
    unreachable = await dashboard_unreachable_offers(session, user.actor, filters)
    query = request.url.query
    return render(
        request,
        "dashboard.html",
        {
            "title": "Tableau de bord",
            "total": counts.total,
            "shown": len(cases),
            "by_lifecycle": counts.by_lifecycle,
            "by_organisation": counts.by_organisation,
            "organisation_counts": dict(counts.by_organisation),
            "lifecycle_titles": {
                name: lifecycle.overview_label for name, lifecycle in LIFECYCLES.items()
            },
            "groups": groups,
            "organisation_chart": labelled_bars(counts.by_organisation),
            "trend": trend,
            "drawn_weeks": drawn,
            "trend_chart": columns(week_columns),
            "phone_trend_chart": phone_columns(week_columns),
            "territory": filters.territory or "",
            "lifecycle": filters.lifecycle or "",
            "csv_link": "/dashboard.csv" + (f"?{query}" if query else ""),
            "dead_letters": dead_letters,
            "scope": _scope_text(user),
            "expected_action": expected_action,
            "unreachable_offers": unreachable,
        },
    )


async def csv_lines(batches: AsyncIterator[str]) -> AsyncIterator[bytes]:
    """The export's bytes as its batches come: the BOM and the header with the first."""
    first = "\ufeff" + HEADER_LINE
    async for lines in batches:
        yield (first + lines).encode("utf-8")
        first = ""
    if first:
        yield first.encode("utf-8")


@router.get("/dashboard.csv")
async def dashboard_csv(
    user: FileUserDep, session: SessionDep, sessions: SessionsDep, now: NowDep, filters: FiltersDep
) -> Response:
    """The dashboard's overdue cases, with the same filters, as a spreadsheet file, streamed
    as they are read: the first lines come at once, memory follows one batch."""
    batches = dashboard_export(sessions, user.actor, now, filters)
    # The request's own read ends here: on SQLite it would hold the write lock all along.
    await end_reads(session)
    day = now.astimezone(PARIS).date().isoformat()
    return StreamingResponse(
        csv_lines(batches),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="relais-retards-{day}.csv"',
            "Cache-Control": "no-store",
        },
    )


def message_subject(message: OutboxMessage) -> str:
    """The email's subject as its recipient would read it (its key if it cannot be made)."""
    if message.message not in MESSAGES:
        return message.message
    try:
        return render_subject(message.message, message.context)
    except (TemplateError, TypeError, ValueError):
        return message.message


@router.get("/dashboard/outbox")
async def dead_letters(
    request: Request,
    user: WebUserDep,
    session: SessionDep,
    cursor: Cursor = None,
    renvoye: Annotated[int | None, Query(ge=1)] = None,
    deja: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """Emails relais gave up sending, newest first, each with a button to send it again."""
    messages, next_cursor = await outbox_service.list_messages(
        session, user.actor, status=OutboxStatus.DEAD, cursor=cursor
    )
    return render(
        request,
        "dead_letters.html",
        {
            "title": "Messages non distribués",
            "messages": messages,
            "subjects": {message.id: message_subject(message) for message in messages},
            "next_cursor": next_cursor,
            "retried": renvoye,
            "not_dead": deja,
        },
    )


@router.post("/dashboard/outbox/{message_id}/retry")
async def retry_dead_letter(
    message_id: PathId, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Put a dead email back in line, then come back to the list with a confirmation.

    A message already back in line (a second click, another coordinator) is said so on the
    list rather than refused on a page of its own.
    """
    try:
        await outbox_service.retry_message(session, user.actor, message_id, now)
    except Conflict:
        return RedirectResponse(f"/dashboard/outbox?deja={message_id}", status_code=303)
    return RedirectResponse(f"/dashboard/outbox?renvoye={message_id}", status_code=303)
