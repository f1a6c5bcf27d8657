"""The ASGI application factory."""

from __future__ import annotations

import gc
import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI

from app.api import include_routers
from app.core.config import Settings, ensure_secrets, get_settings
from app.core.context import AppContext
from app.core.db import make_autocommit_engine, make_engine, make_sessionmaker
from app.core.docs import install_docs
from app.core.errors import install_error_handlers
from app.core.key_reader import make_key_reader
from app.core.logging import configure_logging
from app.core.methods import StandardMethods
from app.core.middleware import BodySizeLimitMiddleware
from app.core.problem_docs import install_problem_docs
from app.credentials.shortcut import PublicReadShortcut
from app.jobs.delivery import WAKE, DeliveryRunner
from app.jobs.dispatch import DISPATCH
from app.jobs.embedded import EmbeddedRunner
from app.reports.counters import UsageFlusher
from app.serving.lanes import Lane
from app.serving.workers import ConnectionRebalance
from app.verification import admission
from app.wiring import subscribe_all

if TYPE_CHECKING:
    from app.jobs.queue import Deferrer


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
        from app.certificates import router as certificates  # PDF certificates (issue 15)

        app.include_router(certificates.router)
        certificates.warm_up()
        from app.console import router as console  # the staff console (/console, issue 14)

        console.mount(app)  # after the pages' error handlers: its own fall back to theirs


_heap_frozen = False


def _freeze_startup_heap() -> None:
    """Exempt what start-up built from the garbage collector's full passes (once a process).

    Modules, routes, contexts and the like live as long as the process; a full collection
    scans them again each time: ~90–180 ms for the ~180,000–200,000 objects of a started
    worker, against well under a millisecond once they are frozen (``bench/bench_gc_freeze.py``
    prints both pauses). Once per process, so test runs that start many apps do not freeze
    garbage.
    """
    global _heap_frozen
    if not _heap_frozen:
        _heap_frozen = True
        gc.collect()
        gc.freeze()


def _deferrer(settings: Settings) -> Deferrer:
    """The procrastinate deferral, imported only where workers process batches (PostgreSQL)."""
    from app.jobs.queue import Deferrer

    return Deferrer(settings.database_url)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application: settings, database, routers, error handlers, body limit."""
    if settings is None:
        settings = get_settings()
    settings, _ = ensure_secrets(settings)
    configure_logging(settings.log_level)
    subscribe_all()
    context = AppContext.from_settings(settings)
    engine = make_engine(settings.database_url)
    autocommit_engine = make_autocommit_engine(
        settings.database_url, pool_size=settings.signing_threads + 2
    )
    key_reader = make_key_reader(settings.database_url)  # API-key checks on the loop (PostgreSQL)

    sessions = make_sessionmaker(engine, context, autocommit_engine)
    runner = None if settings.uses_workers else EmbeddedRunner(sessions, context)
    if runner is not None:
        DISPATCH.attach(runner.wake)  # batches queued by this process start at once
    deferrer = _deferrer(settings) if settings.uses_workers else None
    if deferrer is not None:
        DISPATCH.attach(deferrer.defer_batch)  # `badges worker` processes take them
    # The outbox relay runs here on the embedded default; on PostgreSQL in `badges worker`.
    relay = (
        DeliveryRunner(sessions, context, poll_s=settings.outbox_poll_s)
        if settings.outbox_relay and not settings.uses_workers
        else None
    )
    if relay is not None:
        WAKE.attach(relay.wake)
    # Page views, verifications and LinkedIn clicks are counted in this worker's memory and
    # written in batches by this thread, on every database (the counts are this process's).
    usage = UsageFlusher(sessions)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if key_reader is not None:
            key_reader.bind()  # the server's event loop
        _freeze_startup_heap()  # once per worker process, after everything start-up built
        if runner is not None:
            runner.start()  # and work queued earlier, or left by a stopped process
        if relay is not None:
            relay.start()
        usage.start()
        yield
        usage.stop()  # writes what this worker counted since its last flush
        if relay is not None:
            WAKE.detach(relay.wake)
            relay.stop()
        if runner is not None:
            DISPATCH.detach(runner.wake)
            runner.stop()
        if deferrer is not None:
            DISPATCH.detach(deferrer.defer_batch)
            deferrer.close()
        engine.dispose()
        if autocommit_engine is not None:
            autocommit_engine.dispose()
        if key_reader is not None:
            key_reader.close()

    app = FastAPI(
        title="Open Badges 3.0 service",
        version="0.1.0",
        description="Issue and verify signed Open Badges 3.0 / W3C Verifiable Credentials.",
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc come from app.core.docs (no CDN)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.context = context
    app.state.engine = engine
    app.state.autocommit_engine = autocommit_engine
    app.state.key_reader = key_reader
    app.state.sessionmaker = sessions
    app.state.job_runner = runner
    app.state.outbox_relay = relay
    app.state.usage_flusher = usage
    app.state.signing_lane = Lane("signing", settings.signing_threads)
    admission.install(app, settings)  # the verify lane and rate limits
    install_error_handlers(app)
    install_docs(app)
    install_problem_docs(app)
    include_routers(app, pages=_mount_web)
    # First added: innermost, so every other middleware also runs for what it answers.
    app.add_middleware(PublicReadShortcut, owner=app)
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        larger={  # spreadsheet uploads: the API's and the console's cohort wizard
            "/api/v1/batches": settings.batch_max_bytes,
            "/console/*/batches/upload": settings.batch_max_bytes,
            # the achievement form: a badge image (<= 256 KB) and its pending copy
            "/console/*/achievements/new": max(settings.max_body_bytes, 1_200_000),
            "/console/*/achievements/*/edit": max(settings.max_body_bytes, 1_200_000),
            # the issuer's logo (<= 256 KB): raw through the API, multipart in the console
            "/api/v1/issuers/*/logo": max(settings.max_body_bytes, 300_000),
            "/console/*/settings/logo": max(settings.max_body_bytes, 300_000),
        },
    )
    app.add_middleware(StandardMethods, owner=app)  # HEAD and OPTIONS reach the shortcut too
    app.add_middleware(ConnectionRebalance)  # last added: outermost
    return app
