"""Domain errors and invalid requests translated to HTTP, with bodies that say what is wrong."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from core.errors import Conflict, DomainError, InvalidInput, http_status
from states.fields import FRENCH_VALIDATION


class FieldError(BaseModel):
    """One invalid field of a request."""

    field: str
    message: str
    type: str


class ErrorBody(BaseModel):
    """Every error relais answers: a stable ``code`` and a French ``detail``."""

    code: str
    detail: str
    allowed_actions: list[str] | None = None
    errors: list[FieldError] | None = None


HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
}

HTTP_MESSAGES = {
    "Unauthorized": "Authentification requise : connectez-vous.",
    "Not Found": "Page ou ressource introuvable.",
    "Method Not Allowed": "Méthode non permise sur cette adresse.",
    "Forbidden": "Action non autorisée.",
    # FastAPI's answer to a body it cannot even decode (JSON that is not UTF-8).
    "There was an error parsing the body": "Corps de requête illisible : JSON en UTF-8 attendu.",
}


REFUSALS = "x-refusals"
"""The extension of a 422 response listing the codes of the rules no JSON schema can state
(a name that must exist, delays that must follow one another), each described beside it."""


def error_responses(
    *statuses: int, refusals: Sequence[type[InvalidInput]] = ()
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error statuses a route may answer.

    ``refusals`` are the rules beyond the request's schema that refuse a well-formed request
    with a 422 of their own code: its description states them, and ``x-refusals`` lists
    their codes.
    """
    responses: dict[int | str, dict[str, Any]] = {
        status: {"model": ErrorBody} for status in statuses
    }
    if refusals:
        rules = "; ".join(f"`{refusal.code}` : {refusal.rule}" for refusal in refusals)
        responses[422] = {
            "model": ErrorBody,
            "description": f"Données refusées. Au-delà du schéma : {rules}.",
            REFUSALS: [refusal.code for refusal in refusals],
        }
    return responses


def _body(code: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "detail": detail, **{k: v for k, v in extra.items() if v is not None}}


async def _domain_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    status = http_status(error)
    allowed = error.details.get("allowed_actions")
    if isinstance(error, Conflict):
        allowed = error.allowed_actions
    errors = None
    if isinstance(error, InvalidInput) and error.field:
        errors = [{"field": error.field, "message": error.message, "type": error.code}]
    return JSONResponse(
        _body(error.code, error.message, allowed_actions=allowed, errors=errors),
        status_code=status,
    )


def _field_name(location: tuple[Any, ...]) -> str:
    parts = [str(part) for part in location]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:] or parts
    return ".".join(parts)


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {
            # Invalid JSON is located by a character offset: the culprit is the body.
            "field": "body"
            if item.get("type") == "json_invalid"
            else _field_name(tuple(item.get("loc", ()))),
            "message": FRENCH_VALIDATION.get(item.get("type", ""), str(item.get("msg", ""))),
            "type": str(item.get("type", "")),
        }
        for item in error.errors()
    ]
    summary = "; ".join(f"{item['field']} : {item['message']}" for item in errors[:5])
    return JSONResponse(
        jsonable_encoder(_body("invalid_input", f"Données invalides — {summary}", errors=errors)),
        status_code=422,
    )


def _allowed_methods(request: Request) -> str:
    """Every method some route of the application answers on the request's path.

    Starlette's own ``Allow`` names only the methods of the first route that matched the
    path, though each method of a resource is a route of its own.
    """
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _scope = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return ", ".join(sorted(methods))


async def http_error(request: Request, error: Exception) -> JSONResponse:
    """An HTTP refusal (unknown path, wrong method, fastapi-users' codes) as an ``ErrorBody``."""
    assert isinstance(error, StarletteHTTPException)
    headers = dict(error.headers or {})
    if error.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    detail = error.detail if isinstance(error.detail, str) else "Requête refusée."
    code = HTTP_CODES.get(error.status_code, "http_error")
    if detail.isupper() and "_" in detail:  # fastapi-users' codes, e.g. LOGIN_BAD_CREDENTIALS
        code = detail.lower()
        detail = {
            "login_bad_credentials": "Email ou mot de passe incorrect.",
            "login_user_not_verified": "Compte non vérifié.",
        }.get(code, detail)
    return JSONResponse(
        _body(code, HTTP_MESSAGES.get(detail, detail)),
        status_code=error.status_code,
        headers=headers,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Make every refusal a JSON ``ErrorBody`` with the right status."""
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
