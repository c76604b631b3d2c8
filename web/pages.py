"""Mount the pages on the application: routers, static assets, HTML refusals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from web.routers import (
    access_log,
    accompaniments,
    account,
    accounts,
    action_plan,
    annual_report,
    auth,
    committees,
    dashboard,
    decisions,
    handovers,
    indicators,
    invitations,
    offers,
    organisations,
    password,
    person_rights,
    persons,
    privacy,
    project_groups,
    public_info,
    referral_form,
    referrals,
    secretariat,
)
from web.routing import error_page, not_found_page

STATIC = Path(__file__).parent / "static"
PAGE_ROUTERS = (
    auth.router,
    password.router,
    invitations.router,
    account.router,
    referral_form.router,
    referrals.router,
    handovers.router,
    persons.router,
    person_rights.router,
    accompaniments.router,
    project_groups.router,
    committees.router,
    secretariat.router,
    decisions.router,
    action_plan.router,
    annual_report.router,
    dashboard.router,
    indicators.router,
    offers.router,
    organisations.router,
    accounts.router,
    access_log.router,
    privacy.router,
    public_info.router,
)
"""Every router of pages, in the order they are matched."""
API_PREFIXES = ("/api/", "/auth/", "/users", "/healthz", "/docs", "/openapi", "/redoc")


def _wants_page(request: Request) -> bool:
    path = request.url.path
    return not path.startswith(API_PREFIXES) and "text/html" in request.headers.get("accept", "")


ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]


def install_pages(app: FastAPI, *, other_clients: ErrorHandler) -> None:
    """Answer HTTP errors as pages to browsers (the pages themselves are added to the routes
    by ``add_page_routes``).

    A browser asking for an unknown page gets a page; any other client's HTTP error is
    answered by ``other_clients`` (the API's JSON).
    """

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        if not _wants_page(request):
            return await other_clients(request, error)
        if error.status_code == 404:
            return not_found_page(request)
        return error_page(
            request, error.status_code, "Demande refusée", "Cette demande est refusée."
        )

    app.add_exception_handler(StarletteHTTPException, http_error)


def add_page_routes(router: APIRouter) -> None:
    """Add the static assets and every page to ``router``, in the order they are matched."""
    router.mount("/static", StaticFiles(directory=STATIC), name="static")
    for pages in PAGE_ROUTERS:
        router.include_router(pages)
