"""Login and logout with bearer tokens (fastapi-users)."""

from __future__ import annotations

from fastapi import APIRouter, status
from fastapi.routing import APIRoute

from api.errors import error_responses
from services.auth import auth_backend, fastapi_users


def auth_router() -> APIRouter:
    """fastapi-users' ``/login`` and ``/logout``, documented as they really answer.

    Set before the router is included (inclusion rebuilds each route from these attributes):
    an invalid login form answers our ``ErrorBody``, not FastAPI's default 422 shape; and
    logout ends every session of the account (``services.auth.end_sessions``: this token and
    the account's other tokens and page sessions are refused from then on) and answers
    204 No Content, not the 200 its route declares.
    """
    router = fastapi_users.get_auth_router(auth_backend)
    for route in router.routes:
        if isinstance(route, APIRoute) and route.path == "/login":
            route.responses = {**route.responses, **error_responses(422)}
        if isinstance(route, APIRoute) and route.path == "/logout":
            route.status_code = status.HTTP_204_NO_CONTENT
            route.response_description = (
                "Session terminée : ce jeton et toutes les autres sessions du compte "
                "sont désormais refusés."
            )
    return router
