"""Who may verify how much: the verify lane, per-client rate limits and anonymous input limits.

Anyone may ask the service to verify a credential, and verifying costs CPU (canonicalising a
61 KB document with 1,600 blank nodes took 0.37 s) and, for a URL or a foreign issuer, waits
on other servers. Three guards keep that from starving issuing and pages:

* **A lane of its own** (:class:`app.serving.lanes.BoundedLane`, ``BADGES_VERIFY_THREADS``,
  default 2): public verification — ``POST /api/v1/verify``, the ``/verify`` page and the
  fetching of a ``{"url": …}`` — runs in at most that many threads per worker, never in the
  thread pool that pages and database hops use nor in the signing lane. Two, not one, so a
  slow foreign URL (the fetcher waits up to 15 s) does not stop every other verification. At
  most ``BADGES_VERIFY_QUEUE`` requests wait; the next ones get ``503`` with ``Retry-After``.
  Threads share the interpreter lock, so a busy verify lane still takes a share of a worker's
  CPU (at most its thread count out of the running threads), but it cannot take its threads.
* **Rate limits per client** (:mod:`app.core.ratelimit`): anonymous callers by remote address
  (IPv6 by /64; behind a proxy, uvicorn's ``FORWARDED_ALLOW_IPS`` environment variable, default
  ``127.0.0.1``, names the proxies whose ``X-Forwarded-For`` is believed: ``badges serve`` has no
  option for it, and nothing here reads that header itself), callers with an issuer API key
  by issuer, the admin token as one client. ``429`` problem JSON with ``Retry-After`` when the bucket is empty.
* **Tighter limits for anonymous input** (:data:`ANONYMOUS_LIMITS`), checked before any
  JSON-LD work: a document over them is refused with ``413`` (see :class:`TooLargeToVerify`).
  Authenticated callers get the library's own bounds (:data:`AUTHENTICATED_LIMITS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from app.core.config import Settings
from app.core.errors import AppError
from app.core.ratelimit import RateLimited, TokenBucketLimiter, address_key, network_key
from app.core.security import API_KEY_PREFIX, require_admin, require_issuer
from app.serving.lanes import BoundedLane, LaneFull
from openbadges.errors import OpenBadgesError
from openbadges.jsonld.limits import DEFAULT_LIMITS, Limits, check_structure
from openbadges.verification.sniff import open_envelope

ANONYMOUS_LIMITS = Limits(
    max_bytes=256_000,
    max_depth=32,
    max_nodes=10_000,
    max_blank_nodes=500,
    timeout_s=0.25,
    max_work=2_000,
)
"""What an anonymous caller may hand in: room for any real credential (ours are 3-10 KB with
fewer than 20 objects without an id) and a CLR of several dozen credentials, a quarter of the
size and half the blank nodes the library allows. The costly case is many alike blank nodes
(RDFC-1.0 must tell them apart): measured on one core, 495 of them cost 0.14 s of CPU to
verify, 990 cost 0.47 s, so the bound keeps one anonymous request near a tenth of a second.
``max_bytes``, ``max_depth``, ``max_nodes`` and ``max_blank_nodes`` are checked here before
verifying, and the whole set — ``timeout_s`` and ``max_work`` (the canonicaliser's budget)
included — bounds every parse and canonicalisation of the verification itself
(``openbadges.verify.verify(limits=…)``), nested documents included."""

AUTHENTICATED_LIMITS = DEFAULT_LIMITS
"""An issuer API key (or the admin token) gets the library's bounds: 1 MB, depth 64, 20,000
JSON values, and the canonicaliser's 1,000 blank nodes on its reference path."""

VERIFY_RETRY_AFTER_S = 1
"""``Retry-After`` when the verify lane is full: the queue drains in about a second."""


class TooLargeToVerify(AppError):
    """A document over :data:`ANONYMOUS_LIMITS` from an anonymous caller.

    A ``413`` problem rather than a report: the service declines the work, it has not judged
    the credential. An ``invalid`` check would call a possibly genuine credential bad, and an
    ``unknown`` one reads as "could not reach the issuer". The detail names the limit and the
    way around it (an API key).
    """

    status, title, code = 413, "Content too large", "verification_too_large"

    def __init__(self, reason: str, *, field: str = "$") -> None:
        super().__init__(
            f"This document is larger than anonymous verification accepts: {reason}. Send "
            "it with an issuer API key (Authorization: Bearer …) for the larger limits.",
            field=field,
        )
        self.reason = reason


class VerifierBusy(AppError):
    """The verify lane's queue is full: 503, come back in :data:`VERIFY_RETRY_AFTER_S`."""

    status, title, code = 503, "Service unavailable", "verifier_busy"

    def __init__(self) -> None:
        super().__init__(
            "The service is verifying as many credentials as it can right now; try again "
            "in a moment.",
            headers={"Retry-After": str(VERIFY_RETRY_AFTER_S)},
        )


NETWORK_FACTOR = 8
"""How many addresses' allowance one IPv6 /48 gets in all."""


@dataclass(frozen=True, slots=True)
class VerifyCaller:
    """Who asked for a verification, as far as limits are concerned."""

    key: str
    """The rate-limit bucket: ``addr:<address>``, ``issuer:<uuid>`` or ``admin``."""
    authenticated: bool
    network: str | None = None
    """The wider bucket an anonymous IPv6 caller also draws from (``net:<its /48>``)."""

    @property
    def limits(self) -> Limits:
        """The input limits that apply to this caller."""
        return AUTHENTICATED_LIMITS if self.authenticated else ANONYMOUS_LIMITS


@dataclass(frozen=True, slots=True)
class VerifyGuards:
    """One worker's verify lane and rate limiters (on ``app.state.verify_guards``)."""

    lane: BoundedLane
    anonymous: TokenBucketLimiter
    authenticated: TokenBucketLimiter
    network: TokenBucketLimiter
    """Anonymous IPv6 networks (/48): ``NETWORK_FACTOR`` times one address's rate and burst."""

    @classmethod
    def from_settings(cls, settings: Settings) -> VerifyGuards:
        """Build the guards from ``BADGES_VERIFY_*``."""
        return cls(
            lane=BoundedLane("verify", settings.verify_threads, settings.verify_queue),
            anonymous=TokenBucketLimiter(settings.verify_rate_per_minute, settings.verify_burst),
            authenticated=TokenBucketLimiter(
                settings.verify_authenticated_rate_per_minute,
                settings.verify_authenticated_burst,
            ),
            network=TokenBucketLimiter(
                settings.verify_rate_per_minute * NETWORK_FACTOR,
                settings.verify_burst * NETWORK_FACTOR,
            ),
        )


def install(app: Any, settings: Settings) -> None:
    """Give ``app`` its verify guards (called by ``create_app``)."""
    app.state.verify_guards = VerifyGuards.from_settings(settings)


def guards_of(request: Request) -> VerifyGuards:
    """The guards of the running application."""
    guards: VerifyGuards = request.app.state.verify_guards
    return guards


async def identify(request: Request) -> VerifyCaller:
    """Anonymous unless a bearer token is sent; a token that fails is 401.

    A wrong key is refused rather than treated as anonymous: silently getting smaller limits
    would be a confusing way to learn that a key was revoked.
    """
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":  # none, or a proxy's Basic credentials: not ours to judge
        host = request.client.host if request.client else None
        return VerifyCaller(address_key(host), False, network_key(host))
    token = token.strip()
    if token.startswith(API_KEY_PREFIX):
        principal = await require_issuer(request)
        return VerifyCaller(f"issuer:{principal.issuer_id}", True)
    await require_admin(request, request.app.state.context)
    return VerifyCaller("admin", True)


async def admit(request: Request) -> VerifyCaller:
    """Identify the caller and spend one of its tokens, or raise :class:`RateLimited`."""
    caller = await identify(request)
    guards = guards_of(request)
    limiter = guards.authenticated if caller.authenticated else guards.anonymous
    wait = limiter.take(caller.key)
    if wait <= 0 and caller.network is not None:
        limiter = guards.network
        wait = limiter.take(caller.network)
    if wait > 0:
        who = (
            "this API key's issuer"
            if caller.authenticated
            else "one IPv6 network (/48)"
            if limiter is guards.network
            else "one address"
        )
        hint = "" if caller.authenticated else " An issuer API key gets a higher limit."
        raise RateLimited(
            f"Verification is limited to {limiter.rate_per_minute:g} requests a minute from "
            f"{who} (bursts of {limiter.burst}); try again in {max(1, round(wait))} s.{hint}",
            retry_after_s=wait,
        )
    return caller


VerifyCallerDep = Annotated[VerifyCaller, Depends(admit)]
"""The admitted caller of a public verification (401 for a bad key, 429 over the rate)."""


async def in_lane(request: Request, function: Any, *args: Any) -> Any:
    """Run ``function(*args)`` in the verify lane; 503 with ``Retry-After`` when it is full."""
    try:
        return await guards_of(request).lane.run(function, *args)
    except LaneFull as exc:
        raise VerifierBusy() from exc


def check_input_limits(data: bytes | str | dict[str, Any], limits: Limits) -> None:
    """Refuse (:class:`TooLargeToVerify`) a credential over ``limits`` before verifying it.

    The credential is taken out of its wrapping (JSON, VC-JWT, baked PNG/SVG) the way the
    verifier does it; input the verifier cannot read at all is left to its ``format`` check.
    Blank nodes are estimated from the JSON: every object that is neither identified (``id``
    or ``@id``) nor a value or list object becomes one in RDF, as do the proof and its graph,
    so the count is an upper bound of what canonicalisation will have to label.
    """
    if limits is DEFAULT_LIMITS:
        return  # the library applies these itself
    try:
        _, envelope = open_envelope(data)
    except RecursionError as exc:
        raise TooLargeToVerify("it nests too deeply") from exc
    if envelope is None:
        return
    document = envelope.credential
    try:
        check_structure(document, limits)
    except OpenBadgesError as exc:
        raise TooLargeToVerify(exc.message, field=exc.path or "$") from exc
    blank = count_blank_nodes(document)
    if blank > limits.max_blank_nodes:
        raise TooLargeToVerify(
            f"it has {blank} objects without an id (blank nodes), more than "
            f"{limits.max_blank_nodes}"
        )


_NOT_NODES = frozenset({"@value", "@list", "@set"})


def count_blank_nodes(document: Any) -> int:
    """Objects that become blank nodes in RDF (an upper bound; ``@context`` is skipped)."""
    count = 0
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if not ({"id", "@id"} & value.keys() or _NOT_NODES & value.keys()):
                count += 1
            stack.extend(v for k, v in value.items() if k != "@context")
            if "proof" in value:
                count += 1  # a proof is a node in a graph of its own: the graph is one more
        elif isinstance(value, list):
            stack.extend(value)
    return count
