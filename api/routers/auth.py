"""Login and logout with bearer tokens (fastapi-users), logins throttled."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from api.errors import ErrorBody, error_responses
from core.errors import InvalidInput
from services.auth import auth_backend, fastapi_users
from services.login_throttle import LoginThrottled

TOO_MANY_ATTEMPTS = "too_many_attempts"

Endpoint = Callable[..., Coroutine[Any, Any, Any]]


def throttled_answer(refusal: LoginThrottled) -> JSONResponse:
    """A refused login: 429, the French reason and when to try again (``Retry-After``)."""
    body = ErrorBody(code=TOO_MANY_ATTEMPTS, detail=refusal.message)
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status.HTTP_429_TOO_MANY_REQUESTS,
        headers={"Retry-After": str(refusal.retry_after)},
    )


def _answering_throttled(endpoint: Endpoint) -> Endpoint:
    """fastapi-users' login endpoint, a throttled login answered 429 (same parameters)."""

    @wraps(endpoint)
    async def login(*args: Any, **kwargs: Any) -> Any:
        try:
            return await endpoint(*args, **kwargs)
        except LoginThrottled as refusal:
            return throttled_answer(refusal)

    return login


async def _grant_type_is_password(request: Request) -> None:
    """OAuth2's ``grant_type``, when sent, is ``password``, as the schema says.

    FastAPI reads an empty form field as absent, so ``grant_type=`` would slip through.
    """
    grant_type = (await request.form()).get("grant_type")
    if grant_type is not None and grant_type != "password":
        raise InvalidInput(
            "Le champ « grant_type » vaut « password » ou ne figure pas.", field="grant_type"
        )


def auth_router() -> APIRouter:
    """fastapi-users' ``/login`` and ``/logout``, documented as they really answer.

    Set before the router is included (inclusion rebuilds each route from these attributes):
    an invalid login form answers our ``ErrorBody``, not FastAPI's default 422 shape; a
    throttled login answers 429 with ``Retry-After`` (``services/login_throttle.py``); and
    logout ends every session of the account (``services.auth.end_sessions``: this token and
    the account's other tokens and page sessions are refused from then on) and answers
    204 No Content, not the 200 its route declares.
    """
    router = fastapi_users.get_auth_router(auth_backend)
    for route in router.routes:
        if isinstance(route, APIRoute) and route.path == "/login":
            route.endpoint = _answering_throttled(route.endpoint)
            route.dependencies = [*route.dependencies, Depends(_grant_type_is_password)]
            route.responses = {
                **route.responses,
                **error_responses(422),
                status.HTTP_429_TOO_MANY_REQUESTS: {
                    "model": ErrorBody,
                    "description": "Trop de tentatives : réessayer après `Retry-After` secondes.",
                    "headers": {
                        "Retry-After": {
                            "description": "Secondes à attendre avant de réessayer.",
                            "schema": {"type": "integer"},
                        }
                    },
                },
            }
        if isinstance(route, APIRoute) and route.path == "/logout":
            route.status_code = status.HTTP_204_NO_CONTENT
            route.response_description = (
                "Session terminée : ce jeton et toutes les autres sessions du compte "
                "sont désormais refusés."
            )
    return router
