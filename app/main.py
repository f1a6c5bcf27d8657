"""The ASGI application factory."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.api import include_routers
from app.core.config import Settings, ensure_secrets, get_settings
from app.core.context import AppContext
from app.core.db import make_engine, make_sessionmaker
from app.core.errors import install_error_handlers
from app.core.logging import configure_logging
from app.core.middleware import BodySizeLimitMiddleware


def _mount_web(app: FastAPI) -> None:
    """Mount the HTML pages of ``app.web`` (another part of the project) when present."""
    try:
        module = importlib.import_module("app.web")
    except ModuleNotFoundError as exc:
        if exc.name != "app.web":
            raise
        return
    mount = getattr(module, "mount", None)
    if callable(mount):
        mount(app)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application: settings, database, routers, error handlers, body limit."""
    if settings is None:
        settings = get_settings()
    settings, _ = ensure_secrets(settings)
    configure_logging(settings.log_level)
    context = AppContext.from_settings(settings)
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="Open Badges 3.0 service",
        version="0.1.0",
        description="Issue and verify signed Open Badges 3.0 / W3C Verifiable Credentials.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.context = context
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine, context)
    install_error_handlers(app)
    include_routers(app, pages=_mount_web)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    return app
