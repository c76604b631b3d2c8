"""``relais report``: the comité de pilotage's annual report, written as a PDF file."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from core.business_days import assume_paris
from core.clock import SystemClock, as_utc
from core.settings import Settings

YearOption = Annotated[int, typer.Option(help="Année civile du rapport.", min=2000, max=2999)]
OutputOption = Annotated[
    Path | None,
    typer.Option(help="Fichier PDF à écrire (par défaut : rapport-annuel-ANNÉE.pdf ici)."),
]
NowOption = Annotated[
    str | None,
    typer.Option(
        help="Établir le rapport comme s'il était cette heure (ISO 8601 ; sans fuseau : Paris)."
    ),
]


def report_moment(now: str | None) -> datetime:
    """``--now`` as a UTC instant (Paris when it has no offset), or the present."""
    if now is None:
        return SystemClock().now()
    try:
        return as_utc(assume_paris(datetime.fromisoformat(now)))
    except ValueError:
        typer.secho(
            f"--now : « {now} » n'est pas une date ISO 8601 (ex. 2027-01-15T09:00).",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2) from None


async def report_bytes(settings: Settings, year: int, now: datetime) -> bytes:
    """The PDF of ``year``'s report read from the configured database."""
    # Imported when a report is written: the other commands start without the PDF library.
    from core.db import create_engine, create_sessionmaker
    from services.annual_report import build_annual_report
    from services.annual_report_pdf import annual_report_pdf

    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            report = await build_annual_report(session, year, now=now)
    finally:
        await engine.dispose()
    return annual_report_pdf(report)


def write_report(settings: Settings, year: int, output: Path | None, now: str | None) -> Path:
    """Write the report of ``year`` to ``output`` and say where and how large it is."""
    target = output or Path(f"rapport-annuel-{year}.pdf")
    content = asyncio.run(report_bytes(settings, year, report_moment(now)))
    try:
        target.write_bytes(content)
    except OSError as error:
        typer.secho(
            f"--output : impossible d'écrire « {target} » ({error.strerror}).",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(1) from None
    size = f"{len(content) / 1024:,.0f}".replace(",", "\u202f")
    typer.echo(f"Rapport annuel {year} écrit dans {target} ({size} Kio).")
    return target
