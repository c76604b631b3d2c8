"""The OpenAPI document as FastAPI writes it, with the integers' bounds kept integers."""

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


def with_integral_bounds(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """``app.openapi``, its document's integer bounds written as integers (built once)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            integral_bounds(build())
        assert app.openapi_schema is not None
        return app.openapi_schema

    return openapi


def state_schema(lifecycle: Lifecycle) -> dict[str, Any]:
    """The ``json_schema_extra`` of a listing's optional ``state`` filter: one of the
    lifecycle's states, as ``services.cases`` checks (422 otherwise)."""
    states = {"type": "string", "enum": list(lifecycle.states)}
    return {"anyOf": [states, {"type": "null"}]}
