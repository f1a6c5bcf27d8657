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
(:mod:`app.core.deadline`): every connect, TLS handshake, write and read gets at most the time
the attempt has left, and none is started once it is spent.

Outcomes: 2xx delivered; 410 Gone and an address the rules refuse are permanent (no more
attempts); anything else (other statuses, timeouts, unreachable hosts) is retried on the
outbox's schedule. Neither the secret nor the URL (which may hold a token of the receiver's)
is logged.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

from app.core.context import AppContext
from app.core.deadline import deadline, http_transport
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

_CLIENT: httpx.Client | None = None
_CLIENT_LOCK = threading.Lock()


def _client() -> httpx.Client:
    """The process-wide connection pool of webhook calls."""
    global _CLIENT
    with _CLIENT_LOCK:
        if _CLIENT is None:
            _CLIENT = httpx.Client(
                transport=http_transport(),
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
    with deadline(context.settings.webhook_attempt_deadline_s) as ends:
        return _post(context, delivery, endpoint["url"], secret, body, ends)


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
