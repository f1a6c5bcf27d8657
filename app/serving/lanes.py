"""Lanes: a bounded number of threads for one kind of blocking, CPU-heavy work.

FastAPI runs a plain ``def`` endpoint in a shared pool of 40 threads. For work that is mostly
CPU (issuing signs and canonicalises; one database round trip), 16 concurrent requests on a
worker become 16 runnable threads taking turns on one GIL: each request's latency is shared
with all the others, the event loop waits its turn to send finished responses, and switching
costs CPU. A lane admits only a few threads (enough to overlap one request's database wait
with another's signing) and queues the rest in arrival order, so a request waits, then runs
nearly alone. Measured with ``bench/bench_api.py`` (2 workers, 16 clients, PostgreSQL): the
p99 of issuing went from 92-100 ms with the shared pool to 62-77 ms with three threads, at
the same or a higher rate.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, Request

T = TypeVar("T")


class Lane:
    """At most ``size`` threads of this lane run at once in a process; callers queue FIFO."""

    def __init__(self, name: str, size: int) -> None:
        self.name = name
        self.size = size
        # A limiter belongs to one event loop (its waiters are that loop's futures). A server
        # worker has one loop; test clients may start several, each gets its own limiter.
        self._limiters: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, anyio.CapacityLimiter
        ] = weakref.WeakKeyDictionary()

    def _limiter(self) -> anyio.CapacityLimiter:
        loop = asyncio.get_running_loop()
        limiter = self._limiters.get(loop)
        if limiter is None:
            limiter = self._limiters[loop] = anyio.CapacityLimiter(self.size)
        return limiter

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in a thread of this lane, once one is free."""
        return await anyio.to_thread.run_sync(
            functools.partial(function, *args), limiter=self._limiter()
        )


class LaneFull(Exception):
    """A bounded lane's queue is full; the request should be refused, not queued."""

    def __init__(self, lane: str) -> None:
        super().__init__(f"the {lane} lane is full")
        self.lane = lane


class BoundedLane(Lane):
    """A :class:`Lane` that queues at most ``queue`` callers and refuses the next ones.

    An unbounded queue turns a flood into latency for everyone in it and memory held by every
    waiting request (its body included); refusing at once (``503`` with ``Retry-After``) lets
    the flood's sender back off and keeps the queue short enough to drain in about a second.
    Public verification runs in one (``BADGES_VERIFY_THREADS``, ``BADGES_VERIFY_QUEUE``).
    """

    def __init__(self, name: str, size: int, queue: int) -> None:
        super().__init__(name, size)
        self.queue = queue
        # Requests running or waiting in this lane, per event loop (like the limiters).
        self._admitted: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, int] = (
            weakref.WeakKeyDictionary()
        )

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """As :meth:`Lane.run`, or raise :class:`LaneFull` when ``queue`` callers already wait.

        Counted here, not read from the limiter: a caller only shows up among the limiter's
        waiters after a checkpoint, by which time others may have passed the same check.
        """
        loop = asyncio.get_running_loop()
        admitted = self._admitted.get(loop, 0)
        if admitted >= self.size + self.queue:
            raise LaneFull(self.name)
        self._admitted[loop] = admitted + 1
        try:
            return await super().run(function, *args)
        finally:
            self._admitted[loop] -= 1


async def _signing_lane(request: Request) -> Lane:
    lane: Lane = request.app.state.signing_lane
    return lane


SigningLane = Annotated[Lane, Depends(_signing_lane)]
"""The lane of requests that sign credentials (``BADGES_SIGNING_THREADS`` threads)."""
