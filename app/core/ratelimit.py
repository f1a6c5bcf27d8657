"""Per-client rate limits: an in-process token bucket per client, per worker process.

A bucket holds at most ``burst`` tokens and gains ``rate_per_minute / 60`` per second; each
request takes one, and a request finding less than one is refused with the time until the
next token (sent as ``Retry-After``). So a client may send ``burst`` requests at once, then
``rate_per_minute`` a minute for as long as it likes.

Why in-process, per worker: the service needs no Redis or other shared store, and the limit is
there to keep one client from taking a worker's verification capacity, which is per worker too.
With ``N`` workers a client that spreads its connections over all of them gets up to ``N``
times the rate; the limits are set with that in mind. A library was considered: ``limits``
(the one ``slowapi`` wraps) works without Redis but offers fixed and moving windows, not a
bucket with a burst, keys its memory store on the wall clock and expires it from a background
timer; the bucket below is a few lines with an injectable clock.

Memory is bounded: at most ``max_clients`` buckets are kept, least recently used first out. An
evicted client starts again with a full bucket, which only matters to a sender that already
controls more addresses than ``max_clients``.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from app.core.errors import AppError

DEFAULT_MAX_CLIENTS = 10_000


class RateLimited(AppError):
    """The caller has used up its allowance; ``Retry-After`` says when to come back."""

    status, title, code = 429, "Too many requests", "rate_limited"

    def __init__(self, detail: str, *, retry_after_s: float) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after(retry_after_s))})
        self.retry_after_s = retry_after(retry_after_s)


def retry_after(seconds: float) -> int:
    """Whole seconds for ``Retry-After`` (RFC 9110 §10.2.3), at least 1."""
    return max(1, math.ceil(seconds))


class TokenBucketLimiter:
    """Token buckets keyed by client; ``rate_per_minute`` 0 means no limit.

    Args:
        rate_per_minute: tokens added per minute.
        burst: the bucket's capacity (requests that may arrive at once).
        max_clients: buckets kept at most (least recently used dropped first).
        clock: monotonic seconds, injectable for tests.
    """

    def __init__(
        self,
        rate_per_minute: float,
        burst: int,
        *,
        max_clients: int = DEFAULT_MAX_CLIENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate_per_minute = rate_per_minute
        self.burst = max(1, burst)
        self._per_second = rate_per_minute / 60.0
        self._max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()  # cheap; callers are normally all on the event loop

    @property
    def unlimited(self) -> bool:
        """True when this limiter admits everything."""
        return self._per_second <= 0

    def take(self, client: str) -> float:
        """Spend one token of ``client``: 0.0 when admitted, else seconds until a token."""
        if self.unlimited:
            return 0.0
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.pop(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self._per_second)
            if tokens >= 1.0:
                tokens -= 1.0
                wait = 0.0
            else:
                wait = (1.0 - tokens) / self._per_second
            self._buckets[client] = (tokens, now)
            while len(self._buckets) > self._max_clients:
                self._buckets.popitem(last=False)
        return wait

    def __len__(self) -> int:
        return len(self._buckets)


def address_key(host: str | None) -> str:
    """The rate-limit key of a remote address: IPv4 as is, IPv6 by its /64 network.

    One IPv6 host is normally given a whole /64, so keying on the full address would let it
    take a new bucket per request.
    """
    if not host:
        return "addr:unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"addr:{host}"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        network = ipaddress.IPv6Network((address, 64), strict=False)
        return f"addr:{network}"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return f"addr:{address.ipv4_mapped}"
    return f"addr:{address}"


NETWORK_PREFIX_V6 = 48
"""What one IPv6 site is usually given (RFC 6177 suggests /48 to /56): a sender cycling through
its /64s shares this network's bucket."""


def network_key(host: str | None) -> str | None:
    """The wider bucket an address also draws from: its IPv6 /48, or None (IPv4, unknown).

    :func:`address_key` gives each IPv6 /64 its own bucket, but a site holds 65,536 of them:
    cycling through them would be an unlimited allowance. IPv4 addresses are scarce and often
    shared behind NAT, so they get no wider bucket.
    """
    if not host:
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if not isinstance(address, ipaddress.IPv6Address) or address.ipv4_mapped is not None:
        return None
    return f"net:{ipaddress.IPv6Network((address, NETWORK_PREFIX_V6), strict=False)}"
