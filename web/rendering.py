"""Rendering pages: one Jinja environment (autoescaped, strict) and the page skeleton."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from core.enums import Barrier, OfferCategory, Role, Territory
from core.settings import Settings
from notifications.render import french_date, french_datetime
from web.csrf import CSRF_FIELD, csrf_token, remember_csrf_secret
from web.session import WebUser


@dataclass(frozen=True)
class NavLink:
    """One entry of the main menu."""

    path: str
    label: str


CASE_WORKERS = frozenset({Role.MEMBER, Role.ORG_ADMIN})

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


def navigation(user: WebUser | None) -> list[NavLink]:
    """The main menu for ``user``'s role: what their day is made of, in that order."""
    if user is None:
        return []
    role = user.user.role
    links: list[NavLink] = []
    if role in CASE_WORKERS:
        links += [
            NavLink("/inbox", "À traiter"),
            NavLink("/referrals?box=sent", "Mes orientations"),
            NavLink("/referrals/new", "Orienter une personne"),
        ]
    if role in {Role.COORDINATOR, Role.ADMIN, Role.ORG_ADMIN}:
        links.append(NavLink("/dashboard", "Tableau de bord"))
    if role is Role.COORDINATOR:
        links.append(NavLink("/referrals", "Orientations"))
    if role in CASE_WORKERS or role is Role.COORDINATOR:
        links.append(NavLink("/handovers", "Passages de relais"))
    links += [
        NavLink("/committees", "Comités"),
        NavLink("/decisions", "Décisions"),
        NavLink("/action-plan", "Plan d'action"),
    ]
    if role in {Role.ORG_ADMIN, Role.ADMIN}:
        links.append(NavLink("/offers", "Offres"))
    return links


def home_path(user: WebUser) -> str:
    """Where a user lands after signing in."""
    role = user.user.role
    if role in CASE_WORKERS:
        return "/inbox"
    if role is Role.SECRETARY:
        return "/committees"
    return "/dashboard"


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
    # The vocabularies a page lists in full (filters, choices); a single value shows .label.
    env.globals.update(Barrier=Barrier, OfferCategory=OfferCategory, Territory=Territory)
    env.globals["csrf_field"] = CSRF_FIELD
    return env


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
        "nav": navigation(user),
        "current_path": request.url.path,
        "csrf_token": csrf_token(request, settings),
        **(context or {}),
    }
    html = environment().get_template(template).render(page)
    response = HTMLResponse(html, status_code=status_code)
    remember_csrf_secret(request, response, settings)
    response.headers.update(PAGE_HEADERS)
    return response
