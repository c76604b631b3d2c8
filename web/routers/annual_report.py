"""The comité de pilotage's annual report: a printable page and its PDF."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request, Response

from core.business_days import PARIS
from services.annual_report import read_annual_report
from services.annual_report_pdf import annual_report_pdf
from web.charts import horizontal_bars
from web.deps import FileUserDep, NowDep, SessionDep, WebUserDep
from web.downloads import attachment
from web.rendering import render
from web.routing import page_router

router = page_router()

Year = Annotated[int, Path(ge=2000, le=2999)]


@router.get("/report")
async def current_report(
    request: Request, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """The report of the current year (Paris): the menu's « Rapport annuel »."""
    return await report_page(request, user, session, now, now.astimezone(PARIS).year)


@router.get("/report/{year}.pdf")
async def report_pdf(user: FileUserDep, session: SessionDep, now: NowDep, year: Year) -> Response:
    """The year's report as a PDF to print or circulate."""
    report = await read_annual_report(session, user.actor, year, now=now)
    return attachment(annual_report_pdf(report), "application/pdf", f"rapport-annuel-{year}.pdf")


@router.get("/report/{year}")
async def report_page(
    request: Request, user: WebUserDep, session: SessionDep, now: NowDep, year: Year
) -> Response:
    """The year's report as a page to read and print, each chart followed by its table."""
    report = await read_annual_report(session, user.actor, year, now=now)
    charts = {
        f"{section_index}-{table_index}": horizontal_bars(
            [(bar.label, round(bar.value)) for bar in table.chart]
        )
        for section_index, section in enumerate(report.sections)
        for table_index, table in enumerate(section.tables)
        if table.chart
    }
    return render(
        request,
        "annual_report.html",
        {"title": f"Rapport annuel {year}", "report": report, "charts": charts},
    )
