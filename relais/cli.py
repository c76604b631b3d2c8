"""The ``relais`` command: run, migrate, seed the demo and manage accounts."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from pydantic import ValidationError

from core.business_days import assume_paris
from core.clock import SystemClock, as_utc
from core.enums import Role, Territory
from core.errors import DomainError
from core.settings import Settings, get_settings, refusal_lines
from relais.report_cli import NowOption as ReportNowOption
from relais.report_cli import OutputOption, YearOption

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

# Each command imports the rest of relais when it runs, not when the command line starts:
# "relais sweep" needs neither the web stack (fastapi-users, 0.75 s to import) nor the PDF
# library, the demo, Alembic or uvicorn. Every command, and every operator's cron line,
# starts about a second sooner.

app = typer.Typer(
    name="relais",
    help="relais : orientations et passages de relais entre partenaires du PPIE.",
    no_args_is_help=True,
    add_completion=False,
    # A crash must never print the settings or the environment (passwords, the secret key).
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Base de données.", no_args_is_help=True)
user_app = typer.Typer(help="Comptes utilisateurs.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
offers_app = typer.Typer(help="Catalogue des offres.", no_args_is_help=True)
app.add_typer(offers_app, name="offers")

T = TypeVar("T")

HostOption = Annotated[str, typer.Option(help="Adresse d'écoute.")]
PortOption = Annotated[int, typer.Option(help="Port d'écoute.", min=1, max=65535)]
NowOption = Annotated[
    str | None,
    typer.Option(help="Agir comme s'il était cette heure (ISO 8601 ; sans fuseau : Paris)."),
]
PASSWORD_HELP = (
    "Mot de passe : 12 caractères au moins, ni courant ni facile à deviner, sans l'adresse."
)
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Montrer ce qui serait fait, sans rien changer.")
]


def _settings() -> Settings:
    """The settings from the environment; a refused configuration says which variables are
    at fault (never their values) and stops the command."""
    try:
        return get_settings()
    except ValidationError as error:
        typer.secho("Configuration refusée :", fg=typer.colors.RED, err=True)
        for line in refusal_lines(error):
            typer.secho(f"  - {line}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None


def _development_only(settings: Settings, what: str) -> None:
    """Stop unless in development: the demo's accounts share a published password."""
    if settings.environment != "development":
        typer.secho(
            f"{what} est refusé hors développement (RELAIS_ENVIRONMENT={settings.environment}) : "
            "la démo crée des comptes dont le mot de passe est public. Rien n'a été chargé.",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2)


def _run(work: Callable[[AsyncSession, Settings], Awaitable[T]]) -> T:
    """Run one async task in a session on the configured database, reporting refusals."""
    from core.db import create_engine, create_sessionmaker

    settings = _settings()

    async def _with_session() -> T:
        engine = create_engine(settings.database_url)
        try:
            async with create_sessionmaker(engine)() as session:
                return await work(session, settings)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(_with_session())
    except DomainError as error:
        typer.secho(error.message, fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    except ValidationError as error:
        for problem in error.errors():
            field = ".".join(str(part) for part in problem["loc"])
            typer.secho(f"{field} : {problem['msg']}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None


def _upgrade(settings: Settings) -> None:
    from core.migrate import upgrade

    upgrade(settings.database_url)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to the latest schema (creates it if needed)."""
    settings = _settings()
    _upgrade(settings)
    typer.echo("Base de données à jour.")


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Option(help="Adresse email, identifiant de connexion.")],
    password: Annotated[str, typer.Option(help=PASSWORD_HELP)],
    role: Annotated[Role, typer.Option(help="Rôle du compte.")],
    organisation: Annotated[
        str, typer.Option(help="Organisation, créée si elle n'existe pas.")
    ] = "Plateforme relais",
    territory: Annotated[
        Territory | None, typer.Option(help="Territoire d'un coordinateur (sinon : tout Paris).")
    ] = None,
) -> None:
    """Create an account; a missing organisation is created, so the first admin can be made."""
    from relais.accounts import add_user

    _upgrade(_settings())
    user = _run(
        lambda session, settings: add_user(
            session, settings, email, password, role, organisation, territory
        )
    )
    typer.echo(f"Compte créé : {user.email} ({user.role.value}), organisation « {organisation} ».")


@user_app.command("list")
def user_list() -> None:
    """List every account: email, role, organisation, and whether it is active."""
    from relais.accounts import account_rows

    _upgrade(_settings())
    rows = _run(lambda session, _settings: account_rows(session))
    table = [("Adresse", "Rôle", "Organisation", "Actif")] + [
        (email, role, organisation, "oui" if active else "non")
        for email, role, organisation, active in rows
    ]
    widths = [max(len(row[column]) for row in table) for column in range(3)]
    for row in table:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        typer.echo("  ".join([*cells, row[3]]))
    typer.echo(f"{len(rows)} compte{'s' if len(rows) > 1 else ''}.")


@user_app.command("deactivate")
def user_deactivate(
    email: Annotated[str, typer.Option(help="Adresse email du compte à désactiver.")],
) -> None:
    """Deactivate an account: it can no longer sign in; its cases stay with its organisation."""
    from relais.accounts import deactivate_by_email

    _upgrade(_settings())
    user = _run(lambda session, _settings: deactivate_by_email(session, email))
    typer.echo(f"Compte désactivé : {user.email}.")


@user_app.command("set-password")
def user_set_password(
    email: Annotated[str, typer.Option(help="Adresse email du compte.")],
    password: Annotated[str, typer.Option(help=PASSWORD_HELP)],
) -> None:
    """Set the password of an account (the same rule as everywhere)."""
    from relais.accounts import set_password_by_email

    _upgrade(_settings())
    user = _run(lambda session, settings: set_password_by_email(session, settings, email, password))
    typer.echo(f"Mot de passe changé : {user.email}.")


@offers_app.command("import")
def offers_import(
    file: Annotated[Path, typer.Argument(help="Fichier JSON de services data·inclusion (v1).")],
    organisation: Annotated[
        str | None, typer.Option(help="Organisation de toutes les offres (sinon : la structure).")
    ] = None,
    dry_run: DryRunOption = False,
) -> None:
    """Import data·inclusion v1 services as offers: all of them, or nothing if one is refused;
    a service imported again updates its offer."""
    from services.offer_import import import_offers

    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        typer.secho(f"Fichier illisible : {file} ({error}).", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    _upgrade(_settings())
    report = _run(
        lambda session, _settings: import_offers(
            session, data, organisation_name=organisation, dry_run=dry_run,
            now=SystemClock().now(),
        )
    )  # fmt: skip
    for line in report.done:
        typer.echo(f"  {line}")
    for line in report.refused:
        typer.secho(f"  {line}", fg=typer.colors.RED, err=True)
    prefix = "(simulation) " if dry_run else ""
    if report.refused:
        typer.secho(
            f"{prefix}Aucune offre importée : {len(report.refused)} service(s) refusé(s). "
            "Corrigez le fichier, puis relancez.",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(1)
    verb = "seraient" if dry_run else "sont"
    typer.echo(
        f"{prefix}{report.created} offre(s) {verb} créée(s), {report.updated} mise(s) à jour."
    )


@app.command()
def demo() -> None:
    """Load the demo: the plan's partners, their offers, one account per role, a few cases.

    Development only: its accounts share a published password."""
    from relais.demo import print_logins, seed_demo

    settings = _settings()
    _development_only(settings, "Le chargement de la démo")
    _upgrade(settings)
    created = _run(lambda session, settings: seed_demo(session, settings, SystemClock()))
    typer.echo("Démo chargée." if created else "La démo était déjà chargée.")
    print_logins()


@app.command()
def serve(host: HostOption = "127.0.0.1", port: PortOption = 8000) -> None:
    """Serve the API (documentation at /docs)."""
    import uvicorn

    settings = _settings()
    if settings.secret_key_file is not None:
        typer.echo(
            f"Clé secrète de développement : {settings.secret_key_file} (tirée au hasard au "
            "premier lancement, reprise ensuite ; hors développement, RELAIS_SECRET_KEY est "
            "obligatoire)."
        )
    documentation = "/openapi.json" if settings.environment == "production" else "/docs"
    typer.echo(f"relais écoute sur http://{host}:{port} (documentation : {documentation})")
    uvicorn.run(
        "relais.app:served_app",
        factory=True,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=settings.environment == "production",
        server_header=False,
    )


@app.command()
def up(
    with_demo: Annotated[bool, typer.Option("--demo", help="Charger la démo d'abord.")] = False,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    prefect_port: Annotated[
        int, typer.Option(help="Port du serveur Prefect local.", min=1, max=65535)
    ] = 4200,
) -> None:
    """Migrate, load the demo if asked, then run the Prefect server, the worker and the API."""
    from relais.stack import run_stack

    settings = _settings()
    if with_demo:
        _development_only(settings, "« relais up --demo »")
    _upgrade(settings)
    if with_demo:
        demo()
    raise typer.Exit(run_stack(Path(settings.var_dir), host, port, prefect_port))


@app.command()
def worker() -> None:
    """Serve the flows on their schedules against ``PREFECT_API_URL``."""
    _settings()
    if not os.environ.get("PREFECT_API_URL"):
        typer.secho(
            "PREFECT_API_URL n'est pas défini : les flux planifiés ont besoin d'un serveur "
            "Prefect (lancez « relais up », ou « prefect server start » puis exportez "
            "PREFECT_API_URL=http://127.0.0.1:4200/api).",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2)
    from workflows.flows import serve_flows  # Prefect: a second to import

    serve_flows()


def _moment(now: str | None) -> datetime:
    if now is None:
        return SystemClock().now()
    try:
        moment = datetime.fromisoformat(now)
    except ValueError:
        typer.secho(
            f"--now : « {now} » n'est pas une date ISO 8601 (ex. 2026-03-02T09:00:00+01:00).",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2) from None
    return as_utc(assume_paris(moment))


def _echo_lines(title: str, lines: list[str]) -> None:
    for line in lines:
        typer.echo(f"  {title} {line}")


@app.command()
def sweep(now: NowOption = None, dry_run: DryRunOption = False) -> None:
    """Act once on every due timer: reminders, escalations, automatic transitions."""
    from workflows.runs import run_sweep

    settings = _settings()
    report = asyncio.run(run_sweep(settings, _moment(now), dry_run=dry_run))
    _echo_lines("rappel", report.reminders)
    _echo_lines("alerte", report.escalations)
    _echo_lines("automatique", report.triggers)
    _echo_lines("reporté", report.skipped)
    typer.echo(("(simulation) " if dry_run else "") + report.summary())


@app.command()
def deliver(now: NowOption = None) -> None:
    """Send the due emails once (SMTP relay, or ./var/mail without one)."""
    from workflows.runs import run_delivery

    settings = _settings()
    report = asyncio.run(run_delivery(settings, _moment(now)))
    _echo_lines("envoyé", report.sent)
    _echo_lines("à réessayer", report.retried)
    _echo_lines("abandonné", report.dead)
    typer.echo(report.summary())


@app.command()
def digest(now: NowOption = None, dry_run: DryRunOption = False) -> None:
    """Queue today's digests of overdue cases for coordinators and organisation admins."""
    from workflows.runs import run_digest

    settings = _settings()
    report = asyncio.run(run_digest(settings, _moment(now), dry_run=dry_run))
    _echo_lines("digest", report.sent)
    typer.echo(("(simulation) " if dry_run else "") + report.summary())


@app.command()
def retention(now: NowOption = None, dry_run: DryRunOption = False) -> None:
    """Anonymise the persons whose cases all ended more than RELAIS_RETENTION_MONTHS ago,
    and purge the sent emails older than three months."""
    from workflows.runs import run_retention_once

    settings = _settings()
    report = asyncio.run(run_retention_once(settings, _moment(now), dry_run=dry_run))
    for line in report.lines():
        typer.echo(line)


@app.command()
def simulate(
    referrals: Annotated[int, typer.Option(help="Orientations créées.", min=0)] = 2000,
    days: Annotated[int, typer.Option(help="Jours simulés.", min=1)] = 60,
    seed: Annotated[int, typer.Option(help="Graine du hasard.")] = 1,
    smtp_failure_rate: Annotated[
        float, typer.Option(help="Part des emails refusés (451) par le relais.", min=0, max=1)
    ] = 0.0,
    crash_rate: Annotated[
        float,
        typer.Option(help="Part des lots de balayage et d'envoi interrompus.", min=0, max=0.5),
    ] = 0.0,
) -> None:
    """Simulate referral traffic on a virtual clock and count stalled cases and lost emails.

    On a throw-away SQLite file, or on ``RELAIS_DATABASE_URL`` when set (it must be empty).
    Exits with 1 when a case stalled or was left unchased, a reminder or alert reached
    nobody, or an email was lost or sent twice.
    """
    from relais.simulation.run import SimulationConfig, simulate_in

    config = SimulationConfig(referrals, days, seed, smtp_failure_rate, crash_rate)
    report = simulate_in(_settings(), os.environ.get("RELAIS_DATABASE_URL"), config, typer.echo)
    for line in report.lines():
        typer.echo(line)
    if report.failed:
        raise typer.Exit(1)


@app.command()
def report(year: YearOption, output: OutputOption = None, now: ReportNowOption = None) -> None:
    """Write the comité de pilotage's annual report as a PDF (figures masked below five)."""
    from relais.report_cli import write_report

    write_report(_settings(), year, output, now)


def main() -> None:
    """Entry point of the ``relais`` console script."""
    app(prog_name="relais")


if __name__ == "__main__":  # pragma: no cover
    main()
