"""Mount the pages on the application: routers, static assets, HTML refusals."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.errors import http_error
from web.routers import (
    action_plan,
    auth,
    committees,
    dashboard,
    decisions,
    handovers,
    offers,
    referrals,
)
from web.routing import error_page, not_found_page

STATIC = Path(__file__).parent / "static"
PAGE_ROUTERS = (
    auth.router,
    referrals.router,
    handovers.router,
    committees.router,
    decisions.router,
    action_plan.router,
    dashboard.router,
    offers.router,
)
"""Every router of pages, in the order they are matched."""
API_PREFIXES = ("/api/", "/auth/", "/users", "/healthz", "/docs", "/openapi", "/redoc")


def _wants_page(request: Request) -> bool:
    path = request.url.path
    return not path.startswith(API_PREFIXES) and "text/html" in request.headers.get("accept", "")


async def _http_error(request: Request, error: Exception) -> Response:
    """A browser asking for an unknown page gets a page; API clients keep their JSON."""
    assert isinstance(error, StarletteHTTPException)
    if _wants_page(request):
        if error.status_code == 404:
            return not_found_page(request)
        return error_page(
            request, error.status_code, "Demande refusée", "Cette demande est refusée."
        )
    return await http_error(request, error)


def install_pages(app: FastAPI) -> None:
    """Add the web pages to ``app`` (after the API's error handlers)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in PAGE_ROUTERS:
        app.include_router(router)
    app.add_exception_handler(StarletteHTTPException, _http_error)
