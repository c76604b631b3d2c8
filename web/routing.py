"""The pages' route class: refusals become French pages, never JSON and never a 500."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from core.errors import DomainError, http_status
from web.csrf import CsrfRefused, require_csrf
from web.rendering import render
from web.session import LoginRequired, send_renewed_session, session_expired


def error_page(request: Request, status_code: int, title: str, message: str) -> Response:
    """A page that says what went wrong and where to go from here."""
    return render(
        request, "error.html", {"title": title, "message": message}, status_code=status_code
    )


def not_found_page(request: Request) -> Response:
    """The 404 page: the same for what does not exist and for what is not the caller's."""
    return error_page(
        request,
        404,
        "Page introuvable",
        "Cette page n'existe pas, ou elle concerne une structure à laquelle vous n'appartenez pas.",
    )


def login_redirect(request: Request) -> Response:
    """Send the browser to the login page, then back to where it was going; the login page
    says why: the session expired, or the page needs one."""
    target = request.url.path
    if request.method == "GET" and request.url.query:
        target += "?" + request.url.query
    notice = "expired" if session_expired(request) else "required"
    location = f"/login?next={quote(target, safe='')}&notice={notice}"
    return RedirectResponse(location, status_code=303)


class PageRoute(APIRoute):
    """An ``APIRoute`` whose refusals are pages in French."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler so that every refusal renders a page."""
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            response = await refusal_or_page(request)
            send_renewed_session(request, response)
            return response

        async def refusal_or_page(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                return login_redirect(request)
            except CsrfRefused:
                return error_page(
                    request,
                    403,
                    "Formulaire expiré",
                    "Ce formulaire n'a pas pu être vérifié et rien n'a été enregistré. "
                    "Rechargez la page, puis recommencez.",
                )
            except RequestValidationError as error:
                if any(item.get("loc", ("",))[0] == "path" for item in error.errors()):
                    return not_found_page(request)
                return error_page(
                    request, 422, "Demande incomplète", "Un paramètre de la page est invalide."
                )
            except DomainError as error:
                status = http_status(error)
                if status == 404:
                    return not_found_page(request)
                title = "Action impossible" if status == 409 else "Action refusée"
                return error_page(request, status, title, error.message)

        return page_handler


def page_router() -> APIRouter:
    """A router of pages: French refusals, CSRF on every form, absent from the API schema."""
    return APIRouter(
        route_class=PageRoute, dependencies=[Depends(require_csrf)], include_in_schema=False
    )
