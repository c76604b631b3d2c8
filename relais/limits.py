"""Bounded requests: a body is refused before it is read when it is too large, or when the
route it is sent to needs a login that the request lacks.

A pure ASGI middleware (no ``BaseHTTPMiddleware``, which would read the body in full first):

- a ``Content-Length`` over ``RELAIS_MAX_BODY_BYTES`` answers 413 at once, unread;
- a body sent without a length (chunked) is counted as it streams in, and refused (413) at
  the first chunk that goes past the limit, the rest never read;
- a body sent to the API (``/api/``, where every route needs a logged-in caller) is read
  only once the caller is known: FastAPI parses a body before it resolves any
  dependency, so an anonymous caller would otherwise make it decode a megabyte of JSON, and
  invalid JSON would answer 422 instead of 401. The caller is checked by the application
  itself (``GET /users/me`` with the request's ``Authorization`` only), so whatever decides
  who is logged in decides here too; its refusal (401) is the answer.

A 413 is the API's ``ErrorBody`` for API clients and a French page for browsers. The
connection stays open: uvicorn discards what the client still sends (it keeps no body once the
answer is complete), so that the client, still sending, gets to read the answer; closing
at once would make many clients, browsers too, see a reset instead of the page.
"""

from __future__ import annotations

from contextlib import suppress

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import http_error
from api.routers.users import me_router, read_me
from web.pages import API_PREFIXES
from web.routing import error_page

TOO_LARGE_TITLE = "Envoi trop volumineux"


class BodyTooLarge(Exception):
    """Raised into the application when a streamed body goes past the limit."""


def french_bytes(count: int) -> str:
    """``1048576`` as French writes it: « 1 048 576 »."""
    return f"{count:,}".replace(",", "\u202f")


def _declared_length(scope: Scope) -> int | None:
    """The request's ``Content-Length``, or ``None`` when it has none (or one unreadable)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _has_body(scope: Scope, declared: int | None) -> bool:
    if declared is not None:
        return declared > 0
    return any(
        name == b"transfer-encoding" and b"chunked" in value.lower()
        for name, value in scope["headers"]
    )


LOGIN_ONLY_PREFIX = "/api/"
"""Every route under it answers only a caller with a valid bearer token (checked by a test)."""


def _probe_path() -> str:
    """Where the application says who the caller is (``GET /users/me``)."""
    return next(
        route.path
        for route in me_router.routes
        if isinstance(route, APIRoute) and route.endpoint is read_me
    )


def _wants_page(request: Request) -> bool:
    """Whether a browser asked for a page (as ``web.pages`` decides for its own refusals)."""
    path = request.url.path
    return not path.startswith(API_PREFIXES) and "text/html" in request.headers.get("accept", "")


async def too_large_response(request: Request, limit: int) -> Response:
    """The 413 refusal: a French page for a browser, the API's ``ErrorBody`` otherwise."""
    size = french_bytes(limit)
    if _wants_page(request):
        response = error_page(
            request,
            413,
            TOO_LARGE_TITLE,
            f"Ce que vous avez envoyé dépasse la taille permise ({size} octets au plus) : "
            "rien n'a été enregistré. Raccourcissez les textes saisis, puis recommencez.",
        )
    else:
        detail = f"Corps de requête trop volumineux : {size} octets au plus."
        response = await http_error(request, StarletteHTTPException(413, detail=detail))
    return response


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


class RequestLimits:
    """The pure ASGI middleware of this module (see its docstring)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        """Wrap ``app``; bodies over ``max_body_bytes`` are refused."""
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse what is too large or anonymous before the body is read; count the rest."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await self._refuse(scope, send)
            return
        if _has_body(scope, declared) and scope["path"].startswith(LOGIN_ONLY_PREFIX):
            refusal = await self._anonymous_refusal(scope)
            if refusal:
                for message in refusal:
                    await send(message)
                return
        await self._counted(scope, receive, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        response = await too_large_response(Request(scope), self.max_body_bytes)
        await response(scope, _no_body, send)

    async def _anonymous_refusal(self, scope: Scope) -> list[Message]:
        """The application's answer to « who is calling? » when it is a refusal, else ``[]``.

        Asked with the request's ``Authorization`` header only, and no body.
        """
        path = _probe_path()
        headers = [(name, value) for name, value in scope["headers"] if name == b"authorization"]
        probe: Scope = {
            **scope,
            "method": "GET",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": [*headers, (b"accept", b"application/json")],
        }
        answer: list[Message] = []

        async def keep(message: Message) -> None:
            answer.append(message)

        await self.app(probe, _no_body, keep)
        started = next(message for message in answer if message["type"] == "http.response.start")
        return [] if 200 <= started["status"] < 300 else answer

    async def _counted(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the application on a ``receive`` that stops at the limit."""
        received = 0
        refused = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            if refused:
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    refused = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused and not started:
                return  # what the application answers to the refusal: ours goes instead
            started = started or message["type"] == "http.response.start"
            await send(message)

        # The application may let the refusal through, or answer it itself (FastAPI makes it
        # a 400 « error parsing the body »): either way the 413 is the answer.
        with suppress(BodyTooLarge):
            await self.app(scope, counting_receive, guarded_send)
        if refused and not started:
            await self._refuse(scope, send)
