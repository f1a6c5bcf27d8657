"""Claim pages: ``/claim/{token}`` and its downloads, and the learner page's way to one.

See :mod:`app.web.claim_page`. The learner page (``/learners/me``) has, per credential, a form
that makes a claim link for it and goes there (303): the same buttons (wallets, LinkedIn,
downloads) as the e-mailed link, without waiting for an e-mail.
"""

from __future__ import annotations

import hashlib
import uuid

from fastapi import APIRouter, Request, status
from fastapi.responses import RedirectResponse, Response

from app.core.context import ContextDep
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.core.ratelimit import RateLimited, TokenBucketLimiter, address_key
from app.learners.access import PRIVATE, PageSession, check_origin
from app.offers import service as offers
from app.programs import repository as program_rows
from app.web import claim_page, i18n

router = APIRouter(tags=["pages"])

ACTOR_LENGTH = 200
"""``offers.actor``'s and ``audit_events.actor``'s column length."""


def _admit(request: Request) -> None:
    """Spend one of the client address's claim-page views, or 429 with ``Retry-After``.

    A view writes nothing (its wallet links name the offer; codes are minted when a wallet
    opens them), but each checks a token and renders a page with two QR codes: a link
    scanner or a script guessing or reloading links is held to a learner's pace.
    """
    limiter: TokenBucketLimiter | None = getattr(request.app.state, "claim_limiter", None)
    if limiter is None:
        settings = request.app.state.context.settings
        limiter = TokenBucketLimiter(settings.claim_rate_per_minute, settings.claim_burst)
        request.app.state.claim_limiter = limiter
    wait = limiter.take(address_key(request.client.host if request.client else None))
    if wait > 0:
        raise RateLimited(
            f"Claim pages take {limiter.rate_per_minute:g} views a minute from one address; "
            f"try again in {max(1, round(wait))} s.",
            retry_after_s=wait,
        )


@router.get("/claim/{token}", response_class=Response, include_in_schema=False)
def claim(token: str, request: Request, session: SessionDep, context: ContextDep) -> Response:
    """The learner's claim page (410 page once the link has expired or was revoked)."""
    _admit(request)
    return claim_page.claim_page(request, session, context, token)


@router.get("/claim/{token}/{name}", response_class=Response, include_in_schema=False)
def claim_file(token: str, name: str, session: SessionDep) -> Response:
    """A download of the claim link's credential (``credential.json``, ``credential.jwt``,
    ``badge.png``, ``badge.svg``)."""
    return claim_page.claim_file(session, token, name)


def _learner_actor(learner: str) -> str:
    actor = f"learner:{learner}"
    if len(actor) <= ACTOR_LENGTH:
        return actor
    return "learner:sha256:" + hashlib.sha256(learner.encode()).hexdigest()


@router.post("/learners/me/credentials/{credential_id}/offer", include_in_schema=False)
def learner_offer(
    credential_id: uuid.UUID,
    scope: PageSession,
    request: Request,
    session: SessionDep,
    context: ContextDep,
) -> RedirectResponse:
    """From the learner page: a claim link for one of the learner's credentials, then there."""
    check_origin(request, context)
    rows = program_rows.learner_credentials(session, scope.learner, issuer_id=scope.issuer_id)
    credential = next((row for row, _ in rows if row.id == credential_id), None)
    if credential is None:
        raise NotFound("No such credential among the learner's.")
    _, token = offers.create_offer(
        session, context, credential, actor=_learner_actor(scope.learner)
    )
    session.commit()
    locale = i18n.translator_for(request).locale
    return RedirectResponse(
        f"/claim/{token}?lang={locale}", status_code=status.HTTP_303_SEE_OTHER, headers=PRIVATE
    )
