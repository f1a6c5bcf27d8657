"""What the learner's pages that ask other hosts share (:mod:`app.obconsumer.router`,
:mod:`app.obconsumer.push_pages`): the per-account allowance, the deadline of one action and
the headers of a page whose forms redirect to another host."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from app.core.context import AppContext
from app.core.ratelimit import RateLimited, TokenBucketLimiter
from app.models import LearnerAccount
from app.web.responses import CSP

RATE_PER_MINUTE = 20
"""Connect, send and profile requests one account may make a minute (each asks another host)."""
BURST = 10
ACTION_DEADLINE_S = 45.0
"""The most one action may spend asking the host (discovery, registration, token, call); each
request of it has at most :data:`app.obconsumer.client.REQUEST_DEADLINE_S`."""


def with_host_headers(request: Request, response: Response) -> Response:
    """The headers of a page whose forms answer with a redirect to another host.

    The Connect form's answer is a redirect to the host the learner typed; browsers hold a
    form's redirects to the page's form-action, so any https origin may be the target (http
    too where BADGES_ALLOW_PRIVATE_FETCH admits it, as the fetches do)."""
    targets = "https: http:" if context_of(request).settings.allow_private_fetch else "https:"
    response.headers["Content-Security-Policy"] = CSP.replace(
        "form-action 'self'", f"form-action 'self' {targets}"
    )
    response.headers["Referrer-Policy"] = "same-origin"  # its posts carry its real Origin
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def context_of(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


def admit(request: Request, account: LearnerAccount) -> None:
    """Spend one of the account's tokens for an action that asks another host, or 429."""
    limiter: TokenBucketLimiter | None = getattr(request.app.state, "obconsumer_limiter", None)
    if limiter is None:
        limiter = TokenBucketLimiter(RATE_PER_MINUTE, BURST)
        request.app.state.obconsumer_limiter = limiter
    wait = limiter.take(str(account.id))
    if wait > 0:
        raise RateLimited(
            f"Connecting, sending and profile updates take {limiter.rate_per_minute:g} requests "
            f"a minute from one account; try again in {max(1, round(wait))} s.",
            retry_after_s=wait,
        )
