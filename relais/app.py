"""The application factory: the API and the pages on one FastAPI application."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from functools import cache

from fastapi import APIRouter, FastAPI
from fastapi_users.password import PasswordHelper, PasswordHelperProtocol
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.routing import BaseRoute

from api.errors import http_error, install_error_handlers
from api.openapi import stating_what_is_accepted
from api.routers import (
    access_log,
    accompaniments,
    action_plans,
    actions,
    audit,
    auth,
    committees,
    data_inclusion,
    decisions,
    handovers,
    health,
    indicators,
    invitations,
    meetings,
    offers,
    organisations,
    passwords,
    person_rights,
    persons,
    referrals,
    supervision,
    todo,
    users,
)
from core.business_days import is_business_day, paris_date
from core.clock import Clock, SystemClock
from core.db import create_engine, create_sessionmaker
from core.french_dates import french_date
from core.settings import Settings, get_settings
from relais.headers import SecurityHeaders
from relais.limits import RequestLimits
from web.pages import add_page_routes, install_pages

API_ROUTERS = (
    health.router,
    passwords.router,
    invitations.router,
    users.me_router,
    users.router,
    organisations.router,
    offers.router,
    data_inclusion.router,
    referrals.router,
    handovers.router,
    accompaniments.router,
    accompaniments.persons,
    persons.router,
    person_rights.router,
    committees.router,
    meetings.router,
    decisions.router,
    actions.router,
    action_plans.router,
    supervision.router,
    indicators.router,
    todo.router,
    access_log.router,
    audit.router,
)
"""The API's routers after sign-in's, in the order they are matched."""


@cache
def _routes() -> tuple[BaseRoute, ...]:
    """Every route of the API and the pages, resolved once per process.

    FastAPI resolves an included router's routes (dependencies, parameter and response
    models) at the first request that reaches them, and keeps them on the inclusion: half a
    second of CPU. Every application the process builds (the tests build one each) shares
    these inclusions, hence that work. The routes hold nothing of an application: what they
    need comes from ``request.app.state``.
    """
    shared = APIRouter()
    shared.include_router(API_ROUTERS[0])
    shared.include_router(auth.auth_router(), prefix="/auth/jwt", tags=["comptes"])
    for router in API_ROUTERS[1:]:
        shared.include_router(router)
    add_page_routes(shared)
    return tuple(shared.routes)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    engine: AsyncEngine | None = None,
    password_helper: PasswordHelperProtocol | None = None,
) -> FastAPI:
    """Build the application; tests pass their own settings, clock, database engine or
    password hashing (cheaper than argon2id's default: ``tests/factories.py``)."""
    settings = settings or get_settings()
    owns_engine = engine is None
    database = engine or create_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owns_engine:
            await database.dispose()

    # The interactive documentation loads its scripts from a CDN: not on the origin that
    # holds people's data. In production only the schema is served, at /openapi.json.
    interactive_docs = settings.environment != "production"
    app = FastAPI(
        title="relais",
        summary="Orientations et passages de relais du Plan parisien de l'insertion par l'emploi",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/docs" if interactive_docs else None,
        redoc_url="/redoc" if interactive_docs else None,
    )
    app.openapi = stating_what_is_accepted(app)  # type: ignore[method-assign]
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    app.state.password_helper = password_helper or PasswordHelper()
    app.state.engine = database
    app.state.sessionmaker = create_sessionmaker(database)
    install_error_handlers(app)
    app.router.routes.extend(_routes())
    install_pages(app, other_clients=http_error)
    # The last added is the outermost: every answer, a 413 or a 401 of the limits included,
    # carries the security headers.
    app.add_middleware(RequestLimits, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders, https=settings.cookies_secure)
    return app


def served_app() -> FastAPI:
    """The application as ``relais serve`` runs it (uvicorn's factory, once per process):
    built, its calendars loaded (``load_calendars``), then what start-up made frozen out of
    the garbage collector's reach (``prepare_collector``)."""
    app = create_app()
    load_calendars(app.state.clock.now())
    prepare_collector()
    return app


def load_calendars(now: datetime) -> None:
    """Load, before the first request, what it would otherwise load in its own time: the
    French public holidays (the ``holidays`` package imports its calendar on first use,
    80-150 ms here) and Babel's French dates (14-21 ms), for the day of ``now``."""
    is_business_day(paris_date(now))
    french_date(now)


YOUNG_GENERATION = 10_000
"""How many new objects start a collection of the youngest generation while serving (Python's
default: 700)."""


def prepare_collector() -> None:
    """Ready the garbage collector for serving.

    Every object alive now (modules, the routes, the templates, the mappers: some 300,000)
    moves into the collector's permanent generation, after what is garbage is collected.
    They live as long as the process, yet each full collection would walk them all: 250 to
    430 ms on this 2-core machine, in the middle of whichever request set it off (a
    territory's CSV export, its first byte at p95). Frozen, a full collection walks only what
    requests made since: 18 to 64 ms.

    The youngest generation is then collected every ``YOUNG_GENERATION`` new objects: at
    Python's 700, the CSV export of all Paris (41,000 lines) set off 240 young collections,
    22 middle and 2 full ones, 51 ms of its 380; at 10,000, 14, 1 and none in most exports,
    17 ms. A full collection now and then, 18 ms, was the slowest of a territory's exports.
    What is not collected in between is at most that many young objects.

    Not done by ``create_app``: tests build many apps in one process, and frozen objects are
    never collected."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION, *gc.get_threshold()[1:])
