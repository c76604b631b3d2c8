"""The application factory: the API and the pages on one FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from api.errors import http_error, install_error_handlers
from api.routers import (
    accompaniments,
    actions,
    audit,
    auth,
    committees,
    data_inclusion,
    decisions,
    handovers,
    health,
    invitations,
    meetings,
    offers,
    organisations,
    passwords,
    persons,
    referrals,
    supervision,
    todo,
    users,
)
from core.clock import Clock, SystemClock
from core.db import create_engine, create_sessionmaker
from core.settings import Settings, get_settings
from relais.headers import SecurityHeaders
from relais.limits import RequestLimits
from web.pages import install_pages


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    engine: AsyncEngine | None = None,
) -> FastAPI:
    """Build the application; tests pass their own settings, clock or database engine."""
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
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    app.state.engine = database
    app.state.sessionmaker = create_sessionmaker(database)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(auth.auth_router(), prefix="/auth/jwt", tags=["comptes"])
    app.include_router(passwords.router)
    app.include_router(invitations.router)
    app.include_router(users.me_router)
    app.include_router(users.router)
    app.include_router(organisations.router)
    app.include_router(offers.router)
    app.include_router(data_inclusion.router)
    app.include_router(referrals.router)
    app.include_router(handovers.router)
    app.include_router(accompaniments.router)
    app.include_router(accompaniments.persons)
    app.include_router(persons.router)
    app.include_router(committees.router)
    app.include_router(meetings.router)
    app.include_router(decisions.router)
    app.include_router(actions.router)
    app.include_router(supervision.router)
    app.include_router(todo.router)
    app.include_router(audit.router)
    install_pages(app, other_clients=http_error)
    # The last added is the outermost: every answer, a 413 or a 401 of the limits included,
    # carries the security headers.
    app.add_middleware(RequestLimits, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders, https=settings.cookies_secure)
    return app
