"""A forgotten password: the link asked for on the sign-in page, and the page it opens.

* ``GET/POST /console/forgot-password``: an e-mail address; the answer is the same whether or
  not an account uses it (:mod:`app.console.password_resets`). The posts share the sign-in's
  per-network rate limit. Where no e-mail can be sent, the page says whom to ask instead.
* ``GET/POST /console/reset-password/{token}``: the new password, twice. The GET spends nothing
  (mail scanners fetch links); ``Referrer-Policy: no-referrer`` keeps the token out of other
  sites' logs. Done, the browser goes to the sign-in page, signed out everywhere.

Both posts come before sign-in and carry the double-submit ``console_csrf`` token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.service import InvalidEmail
from app.console import auth_router, invitations, pages, password_resets
from app.console import session as staff_session
from app.console.access import check_pre_session_post
from app.core.context import AppContext, ContextDep
from app.core.db import SessionDep
from app.web import i18n

router = APIRouter(tags=["console"], include_in_schema=False)

FORGOT_PATH = "/console/forgot-password"
_NO_REFERRER = {"Referrer-Policy": "no-referrer"}


def _forgot_page(
    request: Request,
    context: AppContext,
    *,
    email: str = "",
    sent: bool = False,
    error: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    token = staff_session.pre_session_token(request)
    response = pages.page(
        request,
        "console_forgot.html",
        status_code=status_code,
        headers=headers,
        csrf=token,
        email=email,
        sent=sent,
        error=error,
        mail=invitations.mail_enabled(context),
    )
    staff_session.set_pre_cookie(response, context, token)
    return response


@router.get(FORGOT_PATH, response_class=Response)
def forgot_form(request: Request, context: ContextDep) -> Response:
    """The form asking for the account's e-mail address."""
    return _forgot_page(request, context)


@router.post(FORGOT_PATH, response_class=Response)
def forgot_submit(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    email: Annotated[str, Form(max_length=400)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Send a link if an account uses the address; say the same either way."""
    check_pre_session_post(request, context, csrf)
    t = i18n.translator_for(request)
    shown = email.strip()[:320]
    wait = auth_router.network_wait(request)
    if wait > 0:
        return _forgot_page(
            request,
            context,
            email=shown,
            error=t("console.sign_in.rate", minutes=max(1, round(wait / 60))),
            status_code=429,
            headers={"Retry-After": str(max(1, round(wait)))},
        )
    try:
        password_resets.request_reset(session, context, shown)
    except InvalidEmail:
        return _forgot_page(
            request, context, email=shown, error=t("console.forgot.missing"), status_code=400
        )
    session.commit()
    return _forgot_page(request, context, email=shown, sent=True)


def _reset_page(
    request: Request,
    context: AppContext,
    token: str,
    *,
    email: str,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    csrf = staff_session.pre_session_token(request)
    response = pages.page(
        request,
        "console_reset.html",
        status_code=status_code,
        headers=_NO_REFERRER,
        csrf=csrf,
        token=token,
        email=email,
        error=error,
    )
    staff_session.set_pre_cookie(response, context, csrf)
    return response


def _gone(request: Request) -> Response:
    return pages.page(request, "console_reset_gone.html", status_code=410, headers=_NO_REFERRER)


@router.get(f"{password_resets.RESET_PATH}{{token}}", response_class=Response)
def reset_form(token: str, request: Request, session: SessionDep, context: ContextDep) -> Response:
    """The new password's form (nothing is spent by opening it)."""
    try:
        email = password_resets.account_of(session, token).email
    except password_resets.ResetGone:
        return _gone(request)
    return _reset_page(request, context, token, email=email)


@router.post(f"{password_resets.RESET_PATH}{{token}}", response_class=Response)
def reset_submit(
    token: str,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    password: Annotated[str, Form(max_length=1000)] = "",
    password_again: Annotated[str, Form(max_length=1000)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Set the new password, end every session of the account, and go to the sign-in page."""
    check_pre_session_post(request, context, csrf)
    t = i18n.translator_for(request)
    try:
        email = password_resets.account_of(session, token).email
    except password_resets.ResetGone:
        return _gone(request)
    if password != password_again:
        return _reset_page(
            request,
            context,
            token,
            email=email,
            error=t("console.invite.mismatch"),
            status_code=400,
        )
    try:
        password_resets.complete(session, token, password)
    except password_resets.ResetGone:
        session.rollback()
        return _gone(request)
    except password_resets.InvalidPassword as exc:
        session.rollback()
        return _reset_page(
            request, context, token, email=email, error=t(exc.detail), status_code=400
        )
    session.commit()
    response = pages.redirect(f"{staff_session.SIGN_IN_PATH}?notice=password_reset&lang={t.locale}")
    staff_session.clear_cookie(response, context)
    return response
