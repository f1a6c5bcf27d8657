"""The signed-in learner's browser session: a random token in an HttpOnly cookie.

Only the token's SHA-256 is stored (:class:`app.models.LearnerSession`). The cookie is
``SameSite=Lax`` (sent on top-level navigations from other sites, such as an OAuth app's
redirect to the consent page, but not on their posts) and ``Secure`` when the base URL is
https. Changes made with it must also pass :func:`app.learners.access.check_origin`.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.core.context import AppContext, ContextDep
from app.core.db import SessionDep
from app.core.errors import Unauthorized
from app.models import LearnerAccount, LearnerSession, utcnow

COOKIE = "account_session"
SESSION_TTL = timedelta(days=14)
SIGN_IN_PATH = "/account/sign-in"
"""The sign-in page; it takes ``?next=`` (a path of this service) to return to."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(session: Session, account_id: uuid.UUID) -> str:
    """A new session for ``account_id`` (the caller commits); its cookie value."""
    token = secrets.token_urlsafe(32)
    session.add(
        LearnerSession(
            account_id=account_id,
            token_hash=_digest(token),
            expires_at=utcnow() + SESSION_TTL,
        )
    )
    return token


def set_cookie(response: Response, context: AppContext, token: str) -> None:
    """Put the session token in the response's cookie."""
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(SESSION_TTL.total_seconds()),
        httponly=True,
        secure=context.settings.base_url.startswith("https://"),
        samesite="lax",
        path="/",
    )


def end(session: Session, token: str | None) -> None:
    """Revoke the session behind ``token`` (sign out; the caller commits)."""
    if token:
        session.execute(
            update(LearnerSession)
            .where(LearnerSession.token_hash == _digest(token))
            .values(revoked_at=utcnow())
        )


def signed_in(request: Request, session: Session) -> LearnerAccount | None:
    """The account whose live session the request's cookie names, or None."""
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 200:
        return None
    now = utcnow()
    return session.scalars(
        select(LearnerAccount)
        .join(LearnerSession, LearnerSession.account_id == LearnerAccount.id)
        .where(
            LearnerSession.token_hash == _digest(token),
            LearnerSession.expires_at > now,
            LearnerSession.revoked_at.is_(None),
        )
    ).first()


def _required(request: Request, session: SessionDep, _context: ContextDep) -> LearnerAccount:
    account = signed_in(request, session)
    if account is None:
        raise Unauthorized("Sign in first.")
    return account


SignedIn = Annotated[LearnerAccount, Depends(_required)]
"""A route for signed-in learners only (401 otherwise; pages redirect to the sign-in page)."""
