"""The staff member's browser session: a random token in the ``console_session`` cookie.

The shape of :mod:`app.accounts.session` (the learner's): only the token's SHA-256 is stored
(:class:`app.models.StaffSession`), the cookie is HttpOnly and ``SameSite=Lax``, and it is
``Secure`` outside development (and whenever the base URL is https). Staff sessions are
shorter (12 hours) and carry the user's ``session_generation``: "sign out everywhere" bumps it,
so every older session stops counting at once.

CSRF: every form carries :func:`app.console.tokens.csrf_for` of the session's token in a hidden
field, checked on every post with the Origin / Fetch-Metadata check of
:func:`app.learners.access.check_origin`. Before a session exists (the sign-in and invitation
forms) a random ``console_csrf`` cookie is the double-submit token instead.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request, Response
from sqlalchemy.orm import Session

from app.console import repository, tokens
from app.core.config import Environment
from app.core.context import AppContext
from app.models import StaffSession, StaffUser, utcnow

COOKIE = "console_session"
PRE_COOKIE = "console_csrf"
"""The double-submit CSRF cookie of the forms shown before sign-in."""
SESSION_TTL = timedelta(hours=12)
PATH = "/console"
SIGN_IN_PATH = "/console/sign-in"


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A live session: its user and the CSRF token its forms must carry."""

    user: StaffUser
    session_id: uuid.UUID
    csrf: str


def secure_cookies(context: AppContext) -> bool:
    """Cookies are ``Secure`` outside development and whenever the base URL is https."""
    settings = context.settings
    return settings.environment is not Environment.DEVELOPMENT or settings.base_url.startswith(
        "https://"
    )


def start(session: Session, user: StaffUser) -> str:
    """A new session for ``user`` (the caller commits); its cookie value."""
    token = tokens.new_token()
    session.add(
        StaffSession(
            user_id=user.id,
            token_hash=tokens.digest(token),
            generation=user.session_generation,
            expires_at=utcnow() + SESSION_TTL,
        )
    )
    return token


def set_cookie(response: Response, context: AppContext, token: str) -> None:
    """Put the session token in the response's cookie (sent to ``/console`` only)."""
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(SESSION_TTL.total_seconds()),
        httponly=True,
        secure=secure_cookies(context),
        samesite="lax",
        path=PATH,
    )


def clear_cookie(response: Response, context: AppContext) -> None:
    """Remove the session cookie from the browser."""
    response.delete_cookie(
        COOKIE, path=PATH, httponly=True, secure=secure_cookies(context), samesite="lax"
    )


def end(session: Session, token: str | None) -> None:
    """Revoke the session behind ``token`` (sign out; the caller commits)."""
    if token and len(token) <= tokens.MAX_TOKEN:
        repository.revoke_session(session, tokens.digest(token), utcnow())


def signed_in(request: Request, session: Session) -> SignedIn | None:
    """The live session the request's cookie names, or None."""
    token = request.cookies.get(COOKIE)
    if not token or len(token) > tokens.MAX_TOKEN:
        return None
    found = repository.live_session(session, tokens.digest(token), utcnow())
    if found is None:
        return None
    row, user = found
    return SignedIn(user=user, session_id=row.id, csrf=tokens.csrf_for(token))


def pre_session_token(request: Request) -> str:
    """The double-submit token of a form shown before sign-in: the browser's, or a new one."""
    current = request.cookies.get(PRE_COOKIE)
    if current and 20 <= len(current) <= 100:
        return current
    return tokens.new_token()


def set_pre_cookie(response: Response, context: AppContext, token: str) -> None:
    """Keep the pre-session CSRF token in a cookie the form's post sends back."""
    response.set_cookie(
        PRE_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        secure=secure_cookies(context),
        samesite="strict",
        path=PATH,
    )
