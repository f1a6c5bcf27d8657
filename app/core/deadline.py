"""A deadline for a whole outgoing HTTP exchange, enforced below httpx.

httpx's timeouts bound each socket operation, not the exchange: a peer that drips its headers
or body a byte every few seconds keeps a request going for ever (and a worker thread with it).
An :func:`http_transport` client's connections are :class:`DeadlineStream` s: inside a
:func:`deadline` block every connect, TLS handshake, write and read gets at most the time the
block has left, and none is started once it is spent (httpcore raises its timeout, which httpx
turns into :class:`httpx.TimeoutException`). Outside such a block they behave as usual.

Used by the webhook sender (``app.webhooks.sender``) and the Open Badges Service Consumer's
client (``app.obconsumer.client``).
"""

from __future__ import annotations

import contextvars
import ssl
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "http_exchange_deadline", default=None
)
"""When the exchange this thread is making must end (``time.monotonic()``); None: no bound."""


def left(timeout: float | None, late: type[httpcore.TimeoutException]) -> float | None:
    """The timeout of the next socket operation: ``timeout``, cut to what the current
    :func:`deadline` block has left; raises ``late`` when nothing is left."""
    current = _DEADLINE.get()
    if current is None:
        return timeout
    remaining = current - time.monotonic()
    if remaining <= 0:
        raise late("The exchange's deadline has passed.")
    return remaining if timeout is None else min(timeout, remaining)


@contextmanager
def deadline(seconds: float) -> Iterator[float]:
    """Bound every socket operation of :func:`http_transport` clients in this block to
    ``seconds`` in all; yields the deadline (``time.monotonic()``). Inside another block, the
    earlier of the two deadlines holds."""
    ends = time.monotonic() + seconds
    outer = _DEADLINE.get()
    if outer is not None:
        ends = min(ends, outer)
    token = _DEADLINE.set(ends)
    try:
        yield ends
    finally:
        _DEADLINE.reset(token)


class DeadlineStream(httpcore.NetworkStream):
    """A connection whose every operation ends by the current :func:`deadline`."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        return DeadlineStream(
            self._inner.start_tls(
                ssl_context, server_hostname, left(timeout, httpcore.ConnectTimeout)
            )
        )

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's blocking sockets, with :class:`DeadlineStream` connections."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, left(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return DeadlineStream(stream)


def http_transport(
    limits: httpx.Limits | None = None,
) -> httpx.HTTPTransport:
    """httpx's transport (no proxy from the environment) over a pool of
    :class:`DeadlineBackend` connections (httpx has no parameter for the network backend: its
    pool is replaced by an equal one that has it)."""
    limits = limits or httpx.Limits(
        max_connections=100, max_keepalive_connections=20, keepalive_expiry=5
    )
    transport = httpx.HTTPTransport(trust_env=False, limits=limits)
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=DeadlineBackend(),
    )
    return transport
