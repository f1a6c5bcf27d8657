"""The outbox sender of the webhook channel: sign, POST once, classify the answer.

Each attempt is signed anew at send time, as the Standard Webhooks scheme wants
(https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md,
"Signature scheme"): ``webhook-id`` (the delivery's message id, the same on every retry and
redelivery, for the receiver to de-duplicate), ``webhook-timestamp`` (now, in integer seconds;
receivers refuse stale ones to stop replays) and ``webhook-signature`` (``v1,`` + base64
HMAC-SHA256 of ``id.timestamp.body`` under the endpoint's secret), computed by the maintained
``standardwebhooks`` library.

The target goes through the same SSRF rules as ``/verify`` (:func:`app.core.fetch.pin_url`):
``https`` only (``http`` too with ``BADGES_ALLOW_PRIVATE_FETCH``), every address of the host
public (private ones too with that flag; link-local and cloud metadata never), the connection
pinned to the vetted address (no second DNS answer), no proxy from the environment, and no
redirect followed: a 3xx is a failed attempt. A receiver gets :data:`TIMEOUT_S` seconds for
each step (connecting, each read) and ``BADGES_WEBHOOK_ATTEMPT_DEADLINE_S`` (30 s) for the whole
attempt; only the first :data:`ERROR_BYTES` bytes of a refusal are read, for the error shown in
the deliveries list.

Why a deadline besides the timeouts: httpx's timeouts bound each socket operation, not the
attempt, so a receiver that drips its headers or body a byte every few seconds would keep an
attempt going for ever, past the delivery's lease (``app.outbox.service.LEASE_S``); another
relay would then take the delivery over and send it a second time. The deadline is enforced
below httpx, in the network streams of the sender's own connection pool
(:class:`_DeadlineBackend`): every connect, TLS handshake, write and read gets at most the time
the attempt has left, and none is started once it is spent.

Outcomes: 2xx delivered; 410 Gone and an address the rules refuse are permanent (no more
attempts); anything else (other statuses, timeouts, unreachable hosts) is retried on the
outbox's schedule. Neither the secret nor the URL (which may hold a token of the receiver's)
is logged.
"""

from __future__ import annotations

import base64
import contextvars
import json
import logging
import ssl
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpcore
import httpx
from standardwebhooks.webhooks import Webhook

from app.core.context import AppContext
from app.core.fetch import FetchRefused, pin_url
from app.models import Delivery
from app.outbox.service import Outcome
from app.webhooks import payloads
from app.webhooks.sealing import SecretUnavailable, box
from openbadges.errors import ResolutionError

logger = logging.getLogger("app.webhooks")

TIMEOUT_S = 10.0
"""Connect, write and read timeout of each step of an attempt (the attempt as a whole has
``BADGES_WEBHOOK_ATTEMPT_DEADLINE_S``)."""
ERROR_BYTES = 512
USER_AGENT = "openbadges-service-webhooks/0.1 (+https://www.standardwebhooks.com/)"

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "webhook_attempt_deadline", default=None
)
"""When the attempt this thread is making must end (``time.monotonic()``); None: no attempt."""


def _left(timeout: float | None, late: type[httpcore.TimeoutException]) -> float | None:
    """The timeout of the next socket operation: ``timeout``, cut to what the attempt has left;
    raises ``late`` when nothing is left."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise late("The attempt's deadline has passed.")
    return left if timeout is None else min(timeout, left)


@contextmanager
def _deadline(seconds: float) -> Iterator[float]:
    """Bound every socket operation of the webhook client in this block to ``seconds`` in all;
    yields the deadline (``time.monotonic()``)."""
    deadline = time.monotonic() + seconds
    token = _DEADLINE.set(deadline)
    try:
        yield deadline
    finally:
        _DEADLINE.reset(token)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every operation ends by the current attempt's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(
            self._inner.start_tls(
                ssl_context, server_hostname, _left(timeout, httpcore.ConnectTimeout)
            )
        )

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's blocking sockets, with :class:`_DeadlineStream` connections."""

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
            host, port, _left(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return _DeadlineStream(stream)


_CLIENT: httpx.Client | None = None
_CLIENT_LOCK = threading.Lock()


def _transport() -> httpx.HTTPTransport:
    """httpx's transport over a pool of :class:`_DeadlineBackend` connections (httpx has no
    parameter for the network backend: its pool is replaced by an equal one that has it)."""
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5)
    transport = httpx.HTTPTransport(trust_env=False, limits=limits)
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=_DeadlineBackend(),
    )
    return transport


def _client() -> httpx.Client:
    """The process-wide connection pool of webhook calls."""
    global _CLIENT
    with _CLIENT_LOCK:
        if _CLIENT is None:
            _CLIENT = httpx.Client(
                transport=_transport(),
                timeout=httpx.Timeout(TIMEOUT_S, connect=min(TIMEOUT_S, 5.0)),
                follow_redirects=False,
                trust_env=False,  # a proxy from the environment would bypass the address checks
                headers={"User-Agent": USER_AGENT},
            )
        return _CLIENT


def encode_body(body: dict[str, object]) -> str:
    """The exact text that is signed and sent (compact JSON, UTF-8)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def signed_headers(secret: str, message_id: str, body: str, now: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers of one attempt."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, now, body),
    }


def send(context: AppContext, delivery: Delivery) -> Outcome:
    """One attempt of a ``webhook`` delivery (the outbox's :data:`~app.outbox.service.Sender`)."""
    endpoint = delivery.payload.get(payloads.ENDPOINT) or {}
    target_id = delivery.target_id
    if target_id is None or not isinstance(endpoint, dict) or "url" not in endpoint:
        return Outcome(False, error="The delivery names no webhook endpoint.", retry=False)
    try:
        secret = box(context).open(
            base64.b64decode(endpoint["sealedSecret"]), uuid.UUID(str(target_id)), endpoint["kekId"]
        )
    except SecretUnavailable as error:
        # The operator configured another KEK: retried, it may be put back.
        logger.error("webhook delivery %s: %s", delivery.id, error)
        return Outcome(False, error="The endpoint's secret does not open under this KEK.")
    body = encode_body(payloads.body_of(delivery.payload))
    with _deadline(context.settings.webhook_attempt_deadline_s) as deadline:
        return _post(context, delivery, endpoint["url"], secret, body, deadline)


def _post(
    context: AppContext, delivery: Delivery, url: str, secret: str, body: str, deadline: float
) -> Outcome:
    """Sign and POST ``body`` to ``url``, read at most the start of a refusal, classify."""
    now = datetime.now(UTC)
    try:
        target = pin_url(url, allow_private=context.settings.allow_private_fetch)
    except FetchRefused as error:
        return Outcome(False, error=f"Refused: {error}", retry=False)
    except ResolutionError as error:  # no such host (for now)
        return Outcome(False, error=str(error))
    headers = {
        "Host": target.host_header,
        "Content-Type": "application/json",
        "Accept-Encoding": "identity",
        **signed_headers(secret, delivery.message_id, body, now),
    }
    client = _client()
    request = client.build_request(
        "POST",
        target.url,
        content=body.encode("utf-8"),
        headers=headers,
        extensions=target.extensions,
    )
    try:
        response = client.send(request, stream=True)
    except httpx.TimeoutException:
        return Outcome(False, error=f"The receiver did not answer {_in_time(context, deadline)}.")
    except httpx.HTTPError as error:
        return Outcome(False, error=f"The receiver could not be reached ({type(error).__name__}).")
    try:
        status = response.status_code
        if 200 <= status < 300:
            return Outcome(True, status=status)  # its body is not read
        detail, late = _start_of(response)
    finally:
        response.close()
    if late:
        detail = f" The body did not arrive {_in_time(context, deadline)}.{detail}"
    if status == 410:
        return Outcome(
            False, status=status, error=f"HTTP 410 Gone: no more attempts.{detail}", retry=False
        )
    if 300 <= status < 400:
        return Outcome(False, status=status, error=f"HTTP {status}: redirects are not followed.")
    return Outcome(False, status=status, error=f"HTTP {status}.{detail}")


def _in_time(context: AppContext, deadline: float) -> str:
    """How long the receiver had, for the error of a late attempt: the attempt's deadline
    when it is spent, else the timeout of one step."""
    if time.monotonic() >= deadline:
        seconds = context.settings.webhook_attempt_deadline_s
        return f"within the attempt's deadline of {seconds:g} s"
    return f"within {TIMEOUT_S:g} s"


def _start_of(response: httpx.Response) -> tuple[str, bool]:
    """The first bytes of a refusal's body (to show in the deliveries list), or nothing; and
    whether reading them timed out."""
    taken = b""
    late = False
    try:
        for chunk in response.iter_raw():
            taken += chunk
            if len(taken) >= ERROR_BYTES:
                break
    except httpx.TimeoutException:
        late = True
    except httpx.HTTPError:
        pass
    text = taken[:ERROR_BYTES].decode("utf-8", "replace").strip()
    return (f" {text}" if text else ""), late
