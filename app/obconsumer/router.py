"""The learner's page for sending credentials to other Open Badges hosts (Service Consumer
(Write), :mod:`app.obconsumer.service`).

* ``GET /account/hosts``: the connected hosts, a form to connect one (its API root), and per
  host "send this credential" and "update my profile there" forms and a Disconnect button.
* ``POST /account/hosts/connect`` answers 303 to the host's authorization page (or this page
  with what went wrong); the host sends the learner back to ``GET /account/hosts/callback``.
* Connect, send and profile take :data:`app.obconsumer.web.RATE_PER_MINUTE` a minute per account (429 with
  ``Retry-After``); each action that asks the host has :data:`~app.obconsumer.web.ACTION_DEADLINE_S` in all.
* Everything goes by the account's session cookie (:mod:`app.accounts.session`); every post
  must come from this origin (:func:`app.learners.access.check_origin`).
"""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import RedirectResponse, Response

from app.accounts import service as accounts
from app.accounts import session as account_session
from app.core.context import ContextDep
from app.core.db import SessionDep
from app.core.deadline import deadline
from app.core.errors import AppError
from app.learners.access import check_origin
from app.models import LearnerAccount
from app.obconsumer import push_pages, service
from app.obconsumer.web import ACTION_DEADLINE_S, admit, with_host_headers
from app.web import i18n
from app.web.responses import html_page
from app.web.templating import render

logger = logging.getLogger(__name__)

router = APIRouter(tags=["pages"], include_in_schema=False)

HOSTS_PATH = "/account/hosts"
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">'
    '<circle cx="32" cy="26" r="18" fill="#2f5d8a"/>'
    '<path d="M20 40 14 60l18-8 18 8-6-20z" fill="#2f5d8a"/>'
    '<circle cx="32" cy="26" r="9" fill="#fff"/></svg>'
)


def _cookie(request: Request) -> str:
    return request.cookies.get(account_session.COOKIE, "")


def _page(
    request: Request,
    session: Any,
    account: LearnerAccount,
    *,
    status_code: int = 200,
    **values: Any,
) -> Response:
    t = i18n.translator_for(request)
    values = {"notice": None, "error": None, "outcome": None, **values}
    body = render(
        "obconsumer_hosts.html",
        t=t,
        hosts=service.connected_hosts(session, account.id),
        choices=service.credential_choices(session, account.id),
        emails=accounts.verified_emails(session, account.id),
        account_name=account.name or "",
        **values,
    )
    response = html_page(
        request,
        body.encode("utf-8"),
        locale=t.locale,
        status_code=status_code,
        cache_control="no-store",
    )
    return with_host_headers(request, response)


def _error(request: Request, session: Any, account: LearnerAccount, error: AppError) -> Response:
    response = _page(request, session, account, status_code=error.status, error=error.detail)
    response.headers.update(error.headers)  # Retry-After of a 429
    return response


@router.get(HOSTS_PATH, response_class=Response)
def hosts_page(request: Request, session: SessionDep) -> Response:
    """The learner's connected hosts (anonymous: the sign-in page, back here after)."""
    account = account_session.signed_in(request, session)
    if account is None:
        target = account_session.SIGN_IN_PATH + "?" + urlencode({"next": HOSTS_PATH})
        return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER, headers=PRIVATE)
    query = request.query_params
    notice = None
    if query.get("connected"):
        notice = i18n.translator_for(request)("obconsumer.connected")
    elif query.get("disconnected"):
        notice = i18n.translator_for(request)("obconsumer.disconnected")
    return _page(request, session, account, notice=notice)


@router.get(service.LOGO_PATH, response_class=Response)
def logo() -> Response:
    """The logo this service registers with hosts (RFC 7591 ``logo_uri``, on our own host)."""
    return Response(
        LOGO, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
    )


@router.post(HOSTS_PATH + "/connect", response_class=Response)
def connect(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    account: account_session.SignedIn,
    api_root: Annotated[str, Form(alias="apiRoot", max_length=4096)] = "",
) -> Response:
    """Register at the host if needed, then send the learner to its authorization page."""
    check_origin(request, context)
    try:
        admit(request, account)
        with deadline(ACTION_DEADLINE_S):
            target = service.start(session, context, account, _cookie(request), api_root)
    except AppError as error:
        session.rollback()
        return _error(request, session, account, error)
    session.commit()
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER, headers=PRIVATE)


@router.get(HOSTS_PATH + "/callback", response_class=Response)
def callback(
    request: Request, session: SessionDep, context: ContextDep, account: account_session.SignedIn
) -> Response:
    """Where the host sends the learner back: ``code`` and ``state``, or ``error``."""
    query = request.query_params
    try:
        claimed = service.claim(session, account, _cookie(request), query.get("state"))
    except AppError as error:
        session.commit()  # a state shown to the wrong session is spent all the same
        return _error(request, session, account, error)
    session.commit()  # the state is spent, whatever follows
    push_request_id = claimed.pending.push_request_id  # an issuer's request being approved
    if query.get("error"):
        t = i18n.translator_for(request)
        message = (
            t("obconsumer.denied")
            if query.get("error") == "access_denied"
            else t("obconsumer.host_error", error=query.get("error", "")[:100])
        )
        if push_request_id is not None:
            return push_pages.page(request, session, account, status_code=400, error=message)
        return _page(request, session, account, status_code=400, error=message)
    try:
        with deadline(ACTION_DEADLINE_S):
            connection = service.finish(session, context, account, claimed, query.get("code") or "")
    except AppError as error:
        session.rollback()
        if push_request_id is not None:
            return push_pages.failed(request, session, account, error)
        return _error(request, session, account, error)
    session.commit()
    if push_request_id is not None:
        return push_pages.after_connect(
            request, session, context, account, push_request_id, connection.id
        )
    return RedirectResponse(
        HOSTS_PATH + "?connected=1", status_code=status.HTTP_303_SEE_OTHER, headers=PRIVATE
    )


@router.post(HOSTS_PATH + "/{connection_id}/send", response_class=Response)
def send(
    connection_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    account: account_session.SignedIn,
    credential: Annotated[str, Form(max_length=200)] = "",
    form: Annotated[str, Form(max_length=10)] = "json",
) -> Response:
    """Send one of the learner's credentials to the host (upsertCredential); the result."""
    check_origin(request, context)
    try:
        admit(request, account)
        with deadline(ACTION_DEADLINE_S):
            outcome = service.send_credential(
                session, context, account, connection_id, credential, form
            )
    except AppError as error:
        session.rollback()
        return _error(request, session, account, error)
    session.commit()
    code = 200 if outcome.result != "refused" else 502
    return _page(request, session, account, status_code=code, outcome=outcome)


@router.post(HOSTS_PATH + "/{connection_id}/profile", response_class=Response)
def profile(
    connection_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    account: account_session.SignedIn,
    name: Annotated[str, Form(max_length=4096)] = "",
    email: Annotated[str, Form(max_length=4096)] = "",
) -> Response:
    """Update the learner's profile at the host (putProfile); the result."""
    check_origin(request, context)
    try:
        admit(request, account)
        with deadline(ACTION_DEADLINE_S):
            outcome = service.update_profile(
                session, context, account, connection_id, name=name, email=email
            )
    except AppError as error:
        session.rollback()
        return _error(request, session, account, error)
    session.commit()
    code = 200 if outcome.result != "refused" else 502
    return _page(request, session, account, status_code=code, outcome=outcome)


@router.post(HOSTS_PATH + "/{connection_id}/disconnect", response_class=Response)
def disconnect(
    connection_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    account: account_session.SignedIn,
) -> Response:
    """Revoke at the host (when it offers revocation) and forget the tokens."""
    check_origin(request, context)
    try:
        with deadline(ACTION_DEADLINE_S):
            service.disconnect(session, context, account, connection_id)
    except AppError as error:
        session.rollback()
        return _error(request, session, account, error)
    session.commit()
    return RedirectResponse(
        HOSTS_PATH + "?disconnected=1", status_code=status.HTTP_303_SEE_OTHER, headers=PRIVATE
    )
