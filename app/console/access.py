"""Who may do what in the console: the signed-in staff user, at one issuer, in one role.

Console URLs name the issuer: ``/console/{issuer_id}/...``. The issuer is in the URL rather
than chosen once and kept in the session, so two tabs can work at two issuers, links can be
shared between colleagues, and every request checks the membership afresh (a removed member
loses access at the next click). A user without a membership at the issuer gets 404, the
answer for an issuer that does not exist: staff of issuer A never learn anything of issuer B.
A platform admin opens every issuer as ``owner``.

Roles: ``owner`` ⊇ ``issuer`` ⊇ ``viewer``; ``assessor`` stands apart (results and evidence
of its assigned modules; no workflow uses it yet). :func:`require_role` names the least role a
page needs; the answer to too little is 403.

Every change a page makes runs as an :class:`app.core.security.IssuerPrincipal` of the issuer
whose ``actor`` is ``staff:<user id>``: the same services and audit rows as the API.
``api_key_id`` is the nil UUID, as for the CLI and the demo (no API key is involved; nothing
reads it for authorization).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Form, Request
from sqlalchemy.orm import Session

from app.console import repository, tokens
from app.console import session as staff_session
from app.console.auth_service import actor_of
from app.core.context import AppContext, ContextDep
from app.core.db import READ_ONLY, SessionDep
from app.core.errors import AppError, NotFound
from app.core.security import IssuerPrincipal
from app.learners.access import check_origin
from app.models import Issuer, StaffUser

GRANTS: dict[str, frozenset[str]] = {
    "owner": frozenset({"owner", "issuer", "viewer"}),
    "issuer": frozenset({"issuer", "viewer"}),
    "viewer": frozenset({"viewer"}),
    "assessor": frozenset({"assessor"}),
}
"""What each role may act as: the role matrix in one place."""

NO_API_KEY = uuid.UUID(int=0)


class SignInRequired(AppError):
    """No live console session (pages: a redirect to the sign-in page)."""

    status, title, code = 401, "Unauthorized", "console_sign_in_required"


class ConsoleRefused(AppError):
    """Signed in, but the role at this issuer does not allow it."""

    status, title, code = 403, "Forbidden", "console_role"


class CsrfRefused(AppError):
    """A post without this session's form token."""

    status, title, code = 403, "Forbidden", "console_csrf"


class IssuerNotFound(NotFound):
    """No such issuer, or none the user belongs to."""


@dataclass(frozen=True, slots=True)
class IssuerConsole:
    """The signed-in user at one issuer."""

    user: StaffUser
    issuer: Issuer
    role: str
    csrf: str

    def allows(self, role: str) -> bool:
        """True when this membership may act as ``role``."""
        return role in GRANTS.get(self.role, frozenset())

    @property
    def principal(self) -> IssuerPrincipal:
        """The caller the issuer's services take, named after the person."""
        return IssuerPrincipal(
            issuer_id=self.issuer.id, api_key_id=NO_API_KEY, actor=actor_of(self.user)
        )


def signed_in(request: Request, session: SessionDep) -> staff_session.SignedIn:
    """The live session, or :class:`SignInRequired`.

    A page (GET, HEAD) reads only: its transaction begins as a read (``READ_ONLY``; on SQLite
    no write lock), so console pages never queue behind a batch's chunks or other writers."""
    if request.method in ("GET", "HEAD") and not session.in_transaction():
        session.connection(execution_options=READ_ONLY)
    found = staff_session.signed_in(request, session)
    if found is None:
        raise SignInRequired("Sign in to the console first.")
    return found


def posted(
    request: Request,
    context: ContextDep,
    signed: Annotated[staff_session.SignedIn, Depends(signed_in)],
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> staff_session.SignedIn:
    """A form post of the live session: same origin, and the session's CSRF token."""
    check_origin(request, context)
    if not tokens.same(csrf, signed.csrf):
        raise CsrfRefused("The form is out of date; reload the page and try again.")
    return signed


def check_pre_session_post(request: Request, context: AppContext, csrf: str) -> None:
    """A post of a form shown before sign-in: same origin, and the double-submit cookie."""
    check_origin(request, context)
    cookie = request.cookies.get(staff_session.PRE_COOKIE)
    if not cookie or not tokens.same(csrf, cookie):
        raise CsrfRefused("The form is out of date; reload the page and try again.")


def at_issuer(
    session: Session, signed: staff_session.SignedIn, issuer_id: uuid.UUID
) -> IssuerConsole:
    """The user's standing at the issuer, or 404 (unknown issuer, or not a member)."""
    user = signed.user
    issuer = session.get(Issuer, issuer_id)
    membership = repository.membership(session, user.id, issuer_id) if issuer else None
    if issuer is None or (membership is None and not user.platform_admin):
        raise IssuerNotFound("No such issuer.")
    role = membership.role if membership is not None else "owner"
    return IssuerConsole(user=user, issuer=issuer, role=role, csrf=signed.csrf)


def _view(
    issuer_id: uuid.UUID,
    session: SessionDep,
    signed: Annotated[staff_session.SignedIn, Depends(signed_in)],
) -> IssuerConsole:
    return at_issuer(session, signed, issuer_id)


def _change(
    issuer_id: uuid.UUID,
    session: SessionDep,
    signed: Annotated[staff_session.SignedIn, Depends(posted)],
) -> IssuerConsole:
    return at_issuer(session, signed, issuer_id)


def require_role(role: str | None, *, change: bool = False) -> Callable[..., IssuerConsole]:
    """A dependency: the user at ``{issuer_id}`` with at least ``role`` (403 otherwise; None:
    any member); ``change``: a form post, so the CSRF and origin checks run first."""
    base = _change if change else _view

    # A default rather than Annotated[...]: ``base`` is local, and the postponed annotation
    # would not resolve from the module's globals.
    def dependency(console: IssuerConsole = Depends(base)) -> IssuerConsole:
        if role is not None and not console.allows(role):
            raise ConsoleRefused(f"Your role here ({console.role}) does not allow this.")
        return console

    return dependency


Staff = Annotated[staff_session.SignedIn, Depends(signed_in)]
"""Any signed-in staff user (pages)."""
StaffPost = Annotated[staff_session.SignedIn, Depends(posted)]
"""Any signed-in staff user, posting one of the console's forms."""
