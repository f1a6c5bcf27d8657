"""Run the ASGI app under uvicorn, one listening socket per worker process.

uvicorn's own ``--workers`` binds one socket in the parent and lets every worker accept from
it. A worker that wakes first accepts every connection waiting in the queue, so a burst of
keep-alive connections (an issuing script with a pool of 16, a proxy's upstream pool) can land
on one worker while the other idles: measured here, 15 of 16 and 16 of 16 connections on one
of two workers, halving the issuing rate and doubling its p99 (``bench/bench_api.py``). On
Linux each worker here binds its own ``SO_REUSEPORT`` socket instead, and the kernel spreads
new connections over the workers' queues by a hash of the connection's addresses (the fix
nginx's ``reuseport`` and Envoy use). Elsewhere, or with one worker, this is ``uvicorn.run``.

A hash spreads connections evenly only on average: 16 connections often split 11 to 5, and a
keep-alive connection stays where it landed. So the workers also publish how many connections
each holds (shared memory, every 0.1 s), and a worker holding more than its share answers its
next responses with ``Connection: close`` until it no longer does (:class:`ConnectionBalance`):
the client opens a new connection, which the kernel places again. HTTP clients reconnect on
their own; nothing is lost, as the response is complete.

The supervisor is deliberately small: start the workers, restart one that dies, stop them all
on SIGINT or SIGTERM, and stop at once when a worker cannot start (a broken configuration
would fail the same way on every restart).
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import signal
import socket
import threading
import time
from collections.abc import MutableSequence
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

APP = "app.main:create_app"
STARTUP_FAILURE = 3
"""The exit status uvicorn gives when the app or its socket cannot start."""
QUICK_DEATH_S = 5.0
"""A worker that dies this soon after starting, twice in a row, stops the service."""
GRACEFUL_STOP_S = 30.0

logger = logging.getLogger("app.serving")


@dataclass(frozen=True, slots=True)
class Listen:
    """Where to listen and how many worker processes to run."""

    host: str
    port: int
    workers: int


def serve(listen: Listen) -> None:
    """Serve until interrupted (see the module docstring for the process model)."""
    check_address(listen.host, listen.port)
    if listen.workers <= 1 or not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(
            APP,
            factory=True,
            host=listen.host,
            port=listen.port,
            workers=listen.workers,
            log_config=None,
        )
        return
    Supervisor(listen).run()


def check_address(host: str, port: int) -> None:
    """Exit with one plain line (status 1) when ``host:port`` cannot be listened on.

    ``badges serve`` calls this before it migrates, loads the demo or prints any URL, for any
    number of workers: otherwise one worker's uvicorn printed every demo URL and then a JSON
    log line, exit 3. The probe is a plain socket (``SO_REUSEADDR`` as uvicorn sets it, no
    ``SO_REUSEPORT``), so another ``badges serve --workers N`` already on the port counts as
    taken instead of being joined.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
            probe.listen(1)
    except OSError as error:
        raise SystemExit(f"cannot listen on {host}:{port}: {error.strerror or error}") from error


def reuseport_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket that other workers may bind to the same address too."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class ConnectionBalance:
    """This worker's view of how many connections every worker holds, and whether to shed one.

    ``counts`` is shared memory written by each worker for itself (one int per worker; a torn
    read of another worker's count only delays a decision by a tick).
    """

    def __init__(self, counts: MutableSequence[int], index: int) -> None:
        self.counts = counts
        self.index = index
        self._budget = 0

    def publish(self, connections: int) -> None:
        """Record this worker's open connections and how many it may shed until the next tick."""
        self.counts[self.index] = connections
        share = math.ceil(sum(self.counts) / len(self.counts))
        self._budget = max(0, connections - share)

    def should_shed(self) -> bool:
        """True for as many responses as this worker holds connections beyond its share."""
        if self._budget <= 0:
            return False
        self._budget -= 1
        return True


_balance: ConnectionBalance | None = None
"""Set in a worker process started by :class:`Supervisor`; None everywhere else."""


class ConnectionRebalance:
    """ASGI middleware: ``Connection: close`` on a response when this worker should shed one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if _balance is None or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        balance = _balance

        async def closing_send(message: Message) -> None:
            if message["type"] == "http.response.start" and balance.should_shed():
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, closing_send)


class _BalancedServer(uvicorn.Server):
    """uvicorn's server, publishing its connection count on every tick (10 a second)."""

    async def on_tick(self, counter: int) -> bool:
        if _balance is not None:
            _balance.publish(len(self.server_state.connections))
        return await super().on_tick(counter)


def _worker(host: str, port: int, counts: MutableSequence[int], index: int) -> None:
    """One worker process: its own socket, one uvicorn server (runs in a spawned process)."""
    global _balance
    try:
        sock = reuseport_socket(host, port)
    except OSError as error:
        logger.error("cannot listen on %s:%s: %s", host, port, error)
        raise SystemExit(STARTUP_FAILURE) from error
    _balance = ConnectionBalance(counts, index)
    config = uvicorn.Config(APP, factory=True, host=host, port=port, log_config=None)
    _BalancedServer(config).run(sockets=[sock])


class Supervisor:
    """Keeps ``listen.workers`` worker processes running until told to stop."""

    def __init__(self, listen: Listen) -> None:
        self.listen = listen
        self.stopping = threading.Event()
        self._context = multiprocessing.get_context("spawn")
        self._workers: list[tuple[BaseProcess, float]] = []
        self._quick_deaths = 0
        self._counts: Any = self._context.Array("i", listen.workers, lock=False)

    def _start(self, index: int) -> tuple[BaseProcess, float]:
        self._counts[index] = 0
        process = self._context.Process(
            target=_worker,
            args=(self.listen.host, self.listen.port, self._counts, index),
            daemon=False,
        )
        process.start()
        return process, time.monotonic()

    def _on_signal(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping.set()

    def run(self) -> None:
        """Start the workers, watch them, stop them; returns when all have exited."""
        for name in ("SIGINT", "SIGTERM"):
            signal.signal(getattr(signal, name), self._on_signal)
        self._workers = [self._start(index) for index in range(self.listen.workers)]
        logger.info("serving with %d worker processes", self.listen.workers)
        while not self.stopping.wait(0.5):
            self._replace_dead()
        self._stop_all()

    def _replace_dead(self) -> None:
        for position, (process, started) in enumerate(self._workers):
            if process.is_alive():
                continue
            quick = time.monotonic() - started < QUICK_DEATH_S
            self._quick_deaths = self._quick_deaths + 1 if quick else 0
            if process.exitcode == STARTUP_FAILURE or self._quick_deaths >= 2:
                logger.error("a worker could not start (exit %s); stopping", process.exitcode)
                self.stopping.set()
                return
            logger.warning("worker %s exited (%s); starting another", process.pid, process.exitcode)
            self._workers[position] = self._start(position)

    def _stop_all(self) -> None:
        for process, _ in self._workers:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes in-flight requests
        deadline = time.monotonic() + GRACEFUL_STOP_S
        for process, _ in self._workers:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
