"""Rendering pages: one Jinja environment (autoescaped, strict) and the page skeleton."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from core.business_days import paris_date
from core.enums import Barrier, Frais, ModeAccueil, OfferCategory, Public, Territory
from core.settings import Settings
from notifications.render import french_date, french_datetime
from services.inbox import TODO_COUNT_CAP
from states.accompaniment import ACCOMPANIMENT
from states.action import ACTION
from states.handover import HANDOVER
from states.policy import (
    follows_territory,
    may_create_case,
    may_list_cases,
    may_manage_accounts,
    may_manage_meetings,
    may_manage_offers,
    may_manage_organisations,
    may_read_access_log,
    may_read_annual_report,
    may_read_audit,
    may_read_governance,
    may_view_dashboard,
    may_work_cases,
)
from states.policy.indicators import may_read_indicators
from states.publics import HasPublics, effective_publics
from states.referral import REFERRAL
from web.csrf import CSRF_FIELD, csrf_token, remember_csrf_secret
from web.error_summary import error_entries, error_heading
from web.session import WebUser
from web.summaries import person_name
from web.tables import labelled_tables


@dataclass(frozen=True)
class NavLink:
    """One entry of the main menu."""

    path: str
    label: str
    # How many cases wait in it (« À traiter »), shown as a badge; None: no badge.
    count: int | None = None


ACCESSIBILITY_STATUS = "partiellement conforme"
"""The RGAA conformity status of the accessibility statement, shown by every page's footer."""

PAGE_HEADERS = {
    # Pages hold personal data: never kept in a shared cache, never framed by another site,
    # and only relais's own scripts, styles and form targets.
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
        "form-action 'self'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


SECRETARIAT_TODO_PATH = "/secretariat"
"""The secretariat's « À faire » page; the menu shows its count (``MENU_COUNTS``)."""

INBOX_PATH = "/inbox"
"""« À traiter »: the cases awaiting the user's organisation; the menu shows their count."""

MENU_COUNTS = "menu_counts"
"""Where a request keeps the counts its menu shows beside some entries, by path."""


def navigation(user: WebUser | None, counts: Mapping[str, int] | None = None) -> list[NavLink]:
    """The main menu for ``user``: what their day is made of, in that order; ``counts``, by
    path, the number an entry shows (« À traiter », the secretariat's things to do).

    Each entry is shown exactly when the policy lets ``user`` use the page behind it, by
    the rule that page's service applies (``states.policy``); no role is named here.
    """
    if user is None:
        return []
    actor = user.actor
    links: list[NavLink] = []
    if may_manage_meetings(actor):
        count = (counts or {}).get(SECRETARIAT_TODO_PATH)
        links.append(NavLink(SECRETARIAT_TODO_PATH, "À faire", count))
    if may_work_cases(actor):
        links.append(NavLink(INBOX_PATH, "À traiter", (counts or {}).get(INBOX_PATH)))
    if may_list_cases(actor, REFERRAL):
        links.append(
            NavLink("/referrals", "Orientations")
            if follows_territory(actor)
            else NavLink("/referrals?box=sent", "Mes orientations")
        )
    if may_create_case(actor):
        links.append(NavLink("/referrals/new", "Orienter une personne"))
    if may_view_dashboard(actor):
        links.append(NavLink("/dashboard", "Tableau de bord"))
    if may_read_indicators(actor):
        links.append(NavLink("/indicators", "Indicateurs"))
    if may_list_cases(actor, HANDOVER):
        links.append(NavLink("/handovers", "Passages de relais"))
    if may_list_cases(actor, ACCOMPANIMENT):
        links.append(NavLink("/accompaniments", "Accompagnements"))
    if may_read_governance(actor):
        links += [
            NavLink("/committees", "Comités"),
            NavLink("/decisions", "Décisions"),
        ]
        if may_list_cases(actor, ACTION):
            links.append(NavLink("/actions", "Actions"))
        links.append(NavLink("/action-plan", "Plan d'action"))
    if may_read_annual_report(actor):
        links.append(NavLink("/report", "Rapport annuel"))
    if may_manage_offers(actor):
        links.append(NavLink("/offers", "Offres"))
    if may_manage_accounts(actor):
        links.append(NavLink("/accounts", "Comptes"))
    if may_manage_organisations(actor):
        links.append(NavLink("/organisations", "Organisations"))
    if may_read_access_log(actor):
        links.append(NavLink("/access-log", "Journal des accès"))
    if may_read_audit(actor):
        links.append(NavLink("/audit", "Journal des modifications"))
    return links


def home_path(user: WebUser) -> str:
    """Where a user lands after signing in: the access log for the DPO, what awaits their
    organisation, the dashboard for those who watch delays across organisations, the
    secretariat's to-do for the secretariat, the committees otherwise."""
    actor = user.actor
    if may_read_access_log(actor):
        return "/access-log"
    if may_manage_meetings(actor):
        return SECRETARIAT_TODO_PATH
    if may_work_cases(actor) and not follows_territory(actor):
        return "/inbox"
    if may_view_dashboard(actor):
        return "/dashboard"
    return "/committees"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The pages' Jinja environment: autoescaped, and any missing variable is an error."""
    env = Environment(
        loader=PackageLoader("web", "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date_fr"] = french_date
    env.filters["datetime_fr"] = french_datetime
    env.filters["labelled_tables"] = labelled_tables
    # The vocabularies a page lists in full (filters, choices); a single value shows .label.
    env.globals.update(Barrier=Barrier, OfferCategory=OfferCategory, Territory=Territory)
    env.globals.update(Frais=Frais, ModeAccueil=ModeAccueil)
    env.globals["csrf_field"] = CSRF_FIELD
    env.globals["accessibility_status"] = ACCESSIBILITY_STATUS
    env.globals["todo_count_cap"] = TODO_COUNT_CAP
    env.globals["publics_of"] = publics_of
    env.globals["person_name"] = person_name
    env.globals.update(error_entries=error_entries, error_heading=error_heading)
    return env


def publics_of(person: HasPublics, moment: datetime) -> list[str]:
    """The French labels of ``person``'s effective publics on the day of ``moment`` in Paris
    (typed, derived and implied: ``states.publics``)."""
    publics = effective_publics(person, paris_date(moment))
    return [public.label for public in Public if public in publics]


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """The page ``template`` with the skeleton's context (user, menu, CSRF token)."""
    settings: Settings = request.app.state.settings
    user: WebUser | None = getattr(request.state, "web_user", None)
    page = {
        "user": user,
        "nav": navigation(user, getattr(request.state, MENU_COUNTS, None)),
        "current_path": request.url.path,
        "csrf_token": csrf_token(request, settings),
        # A refused form's page says so first in its title (« Erreur : … »).
        "refused": 400 <= status_code < 500 and template != "error.html",
        **(context or {}),
    }
    html = environment().get_template(template).render(page)
    response = HTMLResponse(html, status_code=status_code)
    remember_csrf_secret(request, response, settings)
    response.headers.update(PAGE_HEADERS)
    return response
