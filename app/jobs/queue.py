"""The procrastinate job queue: batches processed by ``badges worker`` processes (PostgreSQL).

The service only defers jobs (:class:`Deferrer`, attached to :data:`app.jobs.dispatch.DISPATCH`);
workers, on any machines, take them from the database through procrastinate's own tables and
LISTEN/NOTIFY: no broker. The job body is :func:`app.batches.service.process_batch`, which
leases rows chunk by chunk, so several jobs of one batch share it and a killed worker's rows
are taken over once their lease runs out.

Each batch gets :data:`JOBS_PER_BATCH` jobs (two workers share a batch at once), each with a
queueing lock ``<batch id>:<n>``: deferring again while one is still waiting adds nothing. A
periodic sweep (every minute, and once when a worker starts) defers the jobs of batches that
have work nobody is doing: a deferral the service lost, a worker that died.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import JobDeferrer
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.batches import service as batches
from app.core.config import Settings
from app.core.context import AppContext
from app.core.db import make_autocommit_engine, make_engine, make_sessionmaker
from app.jobs.delivery import ISSUING, WAKE, DeliveryRunner

logger = logging.getLogger("app.jobs")

QUEUE = "batches"
PROCESS_TASK = "badges.process_batch"
SHUTDOWN_GRACE_S = 2.0
"""On SIGTERM, how long running jobs go on before they are asked to stop after their chunk
(they then return; their batch's remaining rows are picked up by the sweep)."""
SWEEP_TASK = "badges.sweep_batches"
SWEEP_CRON = "* * * * *"
"""Every minute: how long a batch whose deferral was lost may wait at most (plus the quiet
time of :data:`app.batches.service.QUIET_S`)."""
JOBS_PER_BATCH = 2
"""Jobs deferred per batch: as many workers issue one batch at a time."""


def conninfo(database_url: str) -> str:
    """The psycopg connection string of a SQLAlchemy URL (``postgresql+psycopg://…``)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ValueError("the procrastinate job queue needs a PostgreSQL database")
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


# --- the worker side --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Runtime:
    """What the jobs of this worker process share: built once by :func:`run_worker` as
    :func:`app.main.create_app` builds it (the domain-event subscribers are registered by the
    ``badges`` command itself, :func:`app.cli._main`)."""

    sessions: Callable[[], Session]
    context: AppContext


_runtime: _Runtime | None = None


def _start_runtime(settings: Settings, concurrency: int) -> _Runtime:
    global _runtime
    context = AppContext.from_settings(settings)
    pool_size = concurrency + 2  # a connection per job in hand, and the sweep's
    engine = make_engine(settings.database_url, pool_size=pool_size)
    autocommit_engine = make_autocommit_engine(settings.database_url, pool_size=pool_size)
    _runtime = _Runtime(make_sessionmaker(engine, context, autocommit_engine), context)
    return _runtime


def _started() -> _Runtime:
    if _runtime is None:
        raise RuntimeError("batch jobs run in a worker started by run_worker (badges worker)")
    return _runtime


def _process_batch(job: procrastinate.JobContext, batch_id: str) -> None:
    """The job: issue the batch's claimable rows (sync: procrastinate runs it in a thread)."""
    runtime = _started()
    # One lease owner per job (batch_rows.lease_owner holds 64 characters).
    owner = f"{socket.gethostname()[:32]}:{os.getpid()}:job-{job.job.id}"
    lease_s = batches.LEASE_S  # read per job, not at import: the worker tests shorten it
    with ISSUING.held():  # this process's outbox relay waits meanwhile
        done = batches.process_batch(
            runtime.sessions,
            runtime.context,
            uuid.UUID(batch_id),
            owner,
            lease_s=lease_s,
            stopping=job.should_abort,  # a shutdown stops after the chunk in hand
        )
    logger.info("batch %s: %d row(s) issued by %s", batch_id, done, owner)


def _to_dispatch() -> list[uuid.UUID]:
    with _started().sessions() as session:
        return batches.batches_to_dispatch(session)


async def sweep(app: procrastinate.App) -> int:
    """Defer the jobs of every batch with work nobody is doing; how many batches."""
    found = await asyncio.to_thread(_to_dispatch)
    for batch_id in found:
        for n in range(JOBS_PER_BATCH):
            try:
                await _deferrer(app, batch_id, n).defer_async(batch_id=str(batch_id))
            except AlreadyEnqueued:
                pass
    if found:
        logger.info("sweep: %d batch(es) dispatched again", len(found))
    return len(found)


async def _sweep_job(job: procrastinate.JobContext, timestamp: int) -> None:  # noqa: ARG001
    """The periodic sweep (``timestamp``: the tick procrastinate deferred it for)."""
    await sweep(job.app)


def _deferrer(app: procrastinate.App, batch_id: uuid.UUID, n: int) -> JobDeferrer:
    return app.configure_task(PROCESS_TASK, queue=QUEUE, queueing_lock=f"{batch_id}:{n}")


def make_app(connector: procrastinate.BaseConnector) -> procrastinate.App:
    """A procrastinate app over ``connector`` with the batch tasks registered."""
    app = procrastinate.App(connector=connector)
    app.task(name=PROCESS_TASK, queue=QUEUE, pass_context=True)(_process_batch)
    sweep_task = app.task(name=SWEEP_TASK, queue=QUEUE, pass_context=True)(_sweep_job)
    app.periodic(cron=SWEEP_CRON, periodic_id="sweep")(sweep_task)
    return app


async def _work(app: procrastinate.App, concurrency: int) -> None:
    async with app.open_async():
        await sweep(app)  # a restarted worker resumes at once, not at the next tick
        await app.run_worker_async(
            queues=[QUEUE],
            concurrency=concurrency,
            name=f"badges-worker@{socket.gethostname()}:{os.getpid()}",
            delete_jobs="successful",  # the batch tables keep the history, not the queue
            # then running jobs are asked to stop after their chunk (process_batch's stopping)
            shutdown_graceful_timeout=SHUTDOWN_GRACE_S,
        )


def run_worker(settings: Settings, concurrency: int) -> None:
    """Run a worker until SIGINT/SIGTERM (a stopped chunk rolls back; its leases expire).

    Beside the batch jobs, each worker relays the outbox (e-mails, webhook calls) in a thread
    of its own: the workers share the deliveries through leases in the database.
    """
    connector = procrastinate.PsycopgConnector(conninfo=conninfo(settings.database_url))
    runtime = _start_runtime(settings, concurrency)
    relay = (
        DeliveryRunner(runtime.sessions, runtime.context, poll_s=settings.outbox_poll_s)
        if settings.outbox_relay
        else None
    )
    if relay is not None:
        WAKE.attach(relay.wake)  # deliveries of the chunks this worker issues go at once
        relay.start()
    try:
        asyncio.run(_work(make_app(connector), concurrency))
    finally:
        if relay is not None:
            WAKE.detach(relay.wake)
            relay.stop()


# --- the service side -------------------------------------------------------------------------


class Deferrer:
    """Defers batch jobs from the (sync) web process; connects on first use."""

    def __init__(self, database_url: str) -> None:
        self._conninfo = conninfo(database_url)
        self._app: procrastinate.App | None = None
        self._lock = threading.Lock()

    def _opened(self) -> procrastinate.App:
        with self._lock:
            if self._app is None:
                connector = procrastinate.SyncPsycopgConnector(
                    conninfo=self._conninfo, min_size=1, max_size=2
                )
                self._app = make_app(connector).open()
            return self._app

    def defer_batch(self, batch_id: uuid.UUID) -> None:
        """Queue the batch's jobs; a failure is logged (the workers' sweep recovers it)."""
        try:
            app = self._opened()
            for n in range(JOBS_PER_BATCH):
                try:
                    _deferrer(app, batch_id, n).defer(batch_id=str(batch_id))
                except AlreadyEnqueued:
                    pass
        except Exception:
            logger.exception("batch %s: deferring its jobs failed; the sweep will", batch_id)

    def close(self) -> None:
        with self._lock:
            if self._app is not None:
                self._app.close()
                self._app = None
