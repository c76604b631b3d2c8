"""Mount the pages on the application: routers, static assets, HTML refusals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from web.routers import (
    accompaniments,
    account,
    accounts,
    action_plan,
    auth,
    committees,
    dashboard,
    decisions,
    handovers,
    invitations,
    offers,
    organisations,
    password,
    persons,
    privacy,
    referral_form,
    referrals,
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
    accompaniments.router,
    committees.router,
    decisions.router,
    action_plan.router,
    dashboard.router,
    offers.router,
    organisations.router,
    accounts.router,
    privacy.router,
)
"""Every router of pages, in the order they are matched."""
API_PREFIXES = ("/api/", "/auth/", "/users", "/healthz", "/docs", "/openapi", "/redoc")


def _wants_page(request: Request) -> bool:
    path = request.url.path
    return not path.startswith(API_PREFIXES) and "text/html" in request.headers.get("accept", "")


ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]


def install_pages(app: FastAPI, *, other_clients: ErrorHandler) -> None:
    """Add the web pages to ``app``.

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

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in PAGE_ROUTERS:
        app.include_router(router)
    app.add_exception_handler(StarletteHTTPException, http_error)
