"""The OpenAPI document as FastAPI writes it, made to say what the API really accepts:
integers' bounds kept integers, the refusals of a body documented, form fields as a form
can send them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from states.lifecycle import Lifecycle

BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")


def integral_bounds(node: Any) -> None:
    """Write back as integers the bounds of integer schemas, in place.

    FastAPI's OpenAPI models hold every bound as a float, so ``le=MAX_ID`` reads
    ``2147483647.0``; a generator then draws ``12.0`` for an id, which JSON Schema calls an
    integer but the API's strict ids refuse. The schema says what the models say instead.
    """
    if isinstance(node, dict):
        if node.get("type") == "integer":
            for key in BOUNDS:
                value = node.get(key)
                if isinstance(value, float) and value.is_integer():
                    node[key] = int(value)
        for child in node.values():
            integral_bounds(child)
    elif isinstance(node, list):
        for child in node:
            integral_bounds(child)


BODY_REFUSALS = {
    "400": "Corps de requête illisible (JSON qui n'est pas en UTF-8)",
    "413": "Corps de requête trop volumineux (RELAIS_MAX_BODY_BYTES)",
}
"""What any operation that reads a body may answer before reading it as its own
(``api.errors``, ``relais.limits``)."""


def body_refusals_documented(document: dict[str, Any]) -> None:
    """Document ``BODY_REFUSALS`` on every operation that reads a body, in place."""
    error_body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    for operation in _operations(document):
        if "requestBody" in operation:
            for status, description in BODY_REFUSALS.items():
                operation["responses"].setdefault(
                    status, {"description": description, "content": error_body}
                )


def form_fields_as_sent(document: dict[str, Any]) -> None:
    """State form bodies as a form can send them, in place.

    FastAPI reads an empty form field as absent: a required text needs one character at
    least. And a form has no null: an optional field is left out instead.
    """
    schemas = document.get("components", {}).get("schemas", {})
    for operation in _operations(document):
        content = operation.get("requestBody", {}).get("content", {})
        form = content.get("application/x-www-form-urlencoded", {}).get("schema", {})
        body = schemas.get(str(form.get("$ref", "")).rsplit("/", 1)[-1])
        if body is None:
            continue
        required = set(body.get("required", []))
        for name, field in body.get("properties", {}).items():
            choices = [choice for choice in field.pop("anyOf", []) if choice != {"type": "null"}]
            if len(choices) == 1:
                field.update(choices[0])
            if name in required and field.get("type") == "string":
                field.setdefault("minLength", 1)


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        operation
        for path in document.get("paths", {}).values()
        for operation in path.values()
        if isinstance(operation, dict) and "responses" in operation
    ]


def stating_what_is_accepted(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """``app.openapi``, its document adjusted by this module's functions (built once)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            integral_bounds(document)
            body_refusals_documented(document)
            form_fields_as_sent(document)
        assert app.openapi_schema is not None
        return app.openapi_schema

    return openapi


def state_schema(lifecycle: Lifecycle) -> dict[str, Any]:
    """The ``json_schema_extra`` of a listing's optional ``state`` filter: one of the
    lifecycle's states, as ``services.cases`` checks (422 otherwise)."""
    states = {"type": "string", "enum": list(lifecycle.states)}
    return {"anyOf": [states, {"type": "null"}]}
