"""Signing in and out of the console, and accepting an invitation.

* ``GET/POST /console/sign-in``: e-mail, password (and a TOTP code when enrolled). One error
  message for every refusal; a per-address rate limit (:data:`RATE_PER_MINUTE`, burst
  :data:`BURST`, per worker, :class:`app.core.ratelimit.TokenBucketLimiter`) besides the
  per-account lockout of :mod:`app.console.auth_service`.
* ``POST /console/sign-out``, ``POST /console/sign-out-everywhere``.
* ``GET/POST /console/invite/{token}``: the invitee sets a name and a password. The GET spends
  nothing (mail scanners fetch links); ``Referrer-Policy: no-referrer`` keeps the token out of
  other sites' logs.

Posts before sign-in carry the double-submit ``console_csrf`` token; the others the session's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.console import auth_service, invitations, pages
from app.console import session as staff_session
from app.console.access import StaffPost, check_pre_session_post
from app.core.context import AppContext, ContextDep
from app.core.db import SessionDep
from app.core.ratelimit import TokenBucketLimiter, address_key
from app.web import i18n

router = APIRouter(tags=["console"], include_in_schema=False)

RATE_PER_MINUTE = 10
BURST = 20


def _limiter(request: Request) -> TokenBucketLimiter:
    """The per-network limit of the posts made before sign-in (sign-in, forgotten password)."""
    limiter: TokenBucketLimiter | None = getattr(request.app.state, "console_sign_in_limiter", None)
    if limiter is None:
        limiter = TokenBucketLimiter(RATE_PER_MINUTE, BURST)
        request.app.state.console_sign_in_limiter = limiter
    return limiter


def network_wait(request: Request) -> float:
    """Take one post from the caller's network's allowance (:func:`_limiter`): the
    seconds to wait first, 0 when it may go on."""
    return _limiter(request).take(address_key(request.client.host if request.client else None))


def _sign_in_page(
    request: Request,
    context: AppContext,
    *,
    email: str = "",
    error: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    token = staff_session.pre_session_token(request)
    response = pages.page(
        request,
        "console_sign_in.html",
        status_code=status_code,
        headers=headers,
        csrf=token,
        email=email,
        error=error,
        next=pages.safe_next(request.query_params.get("next")) or "",
        notice=request.query_params.get("notice", "") if status_code == 200 else "",
        forgot=invitations.mail_enabled(context),
    )
    staff_session.set_pre_cookie(response, context, token)
    return response


@router.get(staff_session.SIGN_IN_PATH, response_class=Response)
def sign_in_form(request: Request, session: SessionDep, context: ContextDep) -> Response:
    """The sign-in form (a signed-in user goes on to the console)."""
    if staff_session.signed_in(request, session) is not None:
        return pages.redirect(pages.safe_next(request.query_params.get("next")) or "/console")
    return _sign_in_page(request, context)


@router.post(staff_session.SIGN_IN_PATH, response_class=Response)
def sign_in_submit(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    email: Annotated[str, Form(max_length=400)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    code: Annotated[str, Form(max_length=20)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2048)] = "",
) -> Response:
    """Check the address and password; start a session and go on, or show the form again."""
    check_pre_session_post(request, context, csrf)
    t = i18n.translator_for(request)
    shown = email.strip()[:320]
    wait = network_wait(request)
    if wait > 0:
        minutes = max(1, round(wait / 60))
        return _sign_in_page(
            request,
            context,
            email=shown,
            error=t("console.sign_in.rate", minutes=minutes),
            status_code=429,
            headers={"Retry-After": str(max(1, round(wait)))},
        )
    if not email.strip() or not password:
        return _sign_in_page(
            request, context, email=shown, error=t("console.sign_in.missing"), status_code=400
        )
    try:
        user = auth_service.sign_in(session, context, email, password, code)
    except auth_service.SignInRefused:
        return _sign_in_page(
            request, context, email=shown, error=t("console.sign_in.refused"), status_code=400
        )
    token = staff_session.start(session, user)
    session.commit()
    response = pages.redirect(pages.safe_next(next) or "/console")
    staff_session.set_cookie(response, context, token)
    return response


@router.post("/console/sign-out", response_class=Response)
def sign_out(
    request: Request, session: SessionDep, context: ContextDep, _signed: StaffPost
) -> Response:
    """End this browser's session."""
    staff_session.end(session, request.cookies.get(staff_session.COOKIE))
    session.commit()
    response = pages.redirect(f"{staff_session.SIGN_IN_PATH}?notice=signed_out")
    staff_session.clear_cookie(response, context)
    return response


@router.post("/console/sign-out-everywhere", response_class=Response)
def sign_out_everywhere(session: SessionDep, context: ContextDep, signed: StaffPost) -> Response:
    """End every session of the user, on every device, this one included."""
    user = session.merge(signed.user)
    auth_service.sign_out_everywhere(session, user)
    session.commit()
    response = pages.redirect(f"{staff_session.SIGN_IN_PATH}?notice=signed_out_everywhere")
    staff_session.clear_cookie(response, context)
    return response


# --- invitations ----------------------------------------------------------------------------


def _invite_page(
    request: Request,
    context: AppContext,
    token: str,
    *,
    email: str,
    given_name: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    csrf = staff_session.pre_session_token(request)
    response = pages.page(
        request,
        "console_invite.html",
        status_code=status_code,
        headers={"Referrer-Policy": "no-referrer"},
        csrf=csrf,
        token=token,
        email=email,
        given_name=given_name,
        error=error,
    )
    staff_session.set_pre_cookie(response, context, csrf)
    return response


def _gone(request: Request) -> Response:
    return pages.page(
        request,
        "console_invite_gone.html",
        status_code=410,
        headers={"Referrer-Policy": "no-referrer"},
    )


@router.get("/console/invite/{token}", response_class=Response)
def invite_form(token: str, request: Request, session: SessionDep, context: ContextDep) -> Response:
    """The invitation's form: name and password (nothing is spent by opening it)."""
    try:
        row = invitations.pending(session, token)
    except invitations.InvitationGone:
        return _gone(request)
    return _invite_page(request, context, token, email=row.email)


@router.post("/console/invite/{token}", response_class=Response)
def invite_accept(
    token: str,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    name: Annotated[str, Form(max_length=600)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    password_again: Annotated[str, Form(max_length=1000)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Make the account and its membership, sign in, and open the console."""
    check_pre_session_post(request, context, csrf)
    t = i18n.translator_for(request)
    try:
        row = invitations.pending(session, token)
    except invitations.InvitationGone:
        return _gone(request)
    if password != password_again:
        return _invite_page(
            request,
            context,
            token,
            email=row.email,
            given_name=name[:500],
            error=t("console.invite.mismatch"),
            status_code=400,
        )
    try:
        user = invitations.accept(
            session, token, display_name=name, password=password, language=t.locale
        )
    except invitations.InvitationGone:
        session.rollback()
        return _gone(request)
    except invitations.InvalidInvite as exc:
        session.rollback()
        key = (
            exc.detail if exc.detail.startswith("console.") else f"console.invite.error.{exc.field}"
        )
        return _invite_page(
            request,
            context,
            token,
            email=row.email,
            given_name=name[:500],
            error=t(key),
            status_code=400,
        )
    session.flush()
    cookie = staff_session.start(session, user)
    session.commit()
    response = pages.redirect("/console?notice=welcome")
    staff_session.set_cookie(response, context, cookie)
    return response
