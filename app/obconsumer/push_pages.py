"""The learner's page of issuers' requests to send a credential to another host
(:mod:`app.obconsumer.push_service`).

* ``GET /account/requests``: open requests (approve or decline) and past ones with what came
  of them; anonymous callers go to the sign-in page and come back here (the e-mail links here).
* ``POST /account/requests/{id}/approve``: sends at once over an existing connection to the
  host, else answers 303 to the host's authorization page; the host's callback
  (``/account/hosts/callback``, :mod:`app.obconsumer.router`) sends it and shows this page.
* ``POST /account/requests/{id}/decline``.

The account's session cookie and same-origin posts, as every account page; approving asks
another host, so it spends the account's host-action allowance
(:func:`app.obconsumer.router.admit`).
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, status
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from app.accounts import session as account_session
from app.core.context import AppContext, ContextDep
from app.core.db import SessionDep
from app.core.deadline import deadline
from app.core.errors import AppError
from app.learners.access import check_origin
from app.models import Achievement, Credential, Issuer, LearnerAccount
from app.obconsumer import push_service as service
from app.obconsumer import web as consumer_pages
from app.web import i18n
from app.web.responses import html_page
from app.web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)

REQUESTS_PATH = "/account/requests"
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _rows(session: Session, account: LearnerAccount, locale: str) -> list[dict[str, Any]]:
    """Each request with the names a learner recognises (issuer, achievement)."""
    shown = []
    for row in service.for_account(session, account.id):
        credential = session.get(Credential, row.credential_id)
        issuer = session.get(Issuer, row.issuer_id)
        achievement = session.get(Achievement, credential.achievement_id) if credential else None
        shown.append(
            {
                "id": row.id,
                "state": service.state_of(row),
                "host": service.display_host(row),
                "api_root": row.api_root,
                "issuer": (issuer.text("name", locale) or issuer.name) if issuer else "?",
                "achievement": achievement.name if achievement else "?",
                "credential_id": row.credential_id,
                "created_at": row.created_at,
                "expires_at": row.expires_at,
                "detail": row.result_detail,
            }
        )
    return shown


def page(
    request: Request,
    session: Session,
    account: LearnerAccount,
    *,
    status_code: int = 200,
    notice: str | None = None,
    error: str | None = None,
    done: uuid.UUID | None = None,
) -> Response:
    """The page; ``done``: the request just approved, whose result it shows first."""
    t = i18n.translator_for(request)
    rows = _rows(session, account, t.locale)
    body = render(
        "push_requests.html",
        t=t,
        open_requests=[row for row in rows if row["state"] in service.OPEN_STATES],
        past_requests=[row for row in rows if row["state"] not in service.OPEN_STATES],
        notice=notice,
        error=error,
        done=next((row for row in rows if row["id"] == done), None),
    )
    response = html_page(
        request,
        body.encode("utf-8"),
        locale=t.locale,
        status_code=status_code,
        cache_control="no-store",
    )
    return consumer_pages.with_host_headers(request, response)


def failed(
    request: Request, session: Session, account: LearnerAccount, error: AppError
) -> Response:
    """This page again, saying what went wrong (the request stays as it was)."""
    session.rollback()
    response = page(request, session, account, status_code=error.status, error=error.detail)
    response.headers.update(error.headers)
    return response


@router.get(REQUESTS_PATH, response_class=Response)
def requests_page(request: Request, session: SessionDep) -> Response:
    """The learner's requests (anonymous: the sign-in page, back here after)."""
    account = account_session.signed_in(request, session)
    if account is None:
        target = account_session.SIGN_IN_PATH + "?" + urlencode({"next": REQUESTS_PATH})
        return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER, headers=PRIVATE)
    notice = None
    if request.query_params.get("declined"):
        notice = i18n.translator_for(request)("push.declined_notice")
    try:
        done = uuid.UUID(request.query_params.get("done", ""))
    except ValueError:
        done = None
    return page(request, session, account, notice=notice, done=done)


@router.post(REQUESTS_PATH + "/{request_id}/approve", response_class=Response)
def approve(
    request_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    account: account_session.SignedIn,
) -> Response:
    """Send now, or go to the host to authorize this service first."""
    check_origin(request, context)
    try:
        consumer_pages.admit(request, account)
        with deadline(consumer_pages.ACTION_DEADLINE_S):
            approval = service.approve(
                session,
                context,
                account,
                request.cookies.get(account_session.COOKIE, ""),
                request_id,
            )
    except AppError as error:
        return failed(request, session, account, error)
    session.commit()
    if approval.redirect is not None:
        return RedirectResponse(
            approval.redirect, status_code=status.HTTP_303_SEE_OTHER, headers=PRIVATE
        )
    return _shown(request_id)


def _shown(request_id: uuid.UUID) -> Response:
    """After sending: this page, showing what the host made of it (303, so reloading it sends
    nothing again)."""
    return RedirectResponse(
        f"{REQUESTS_PATH}?done={request_id}", status_code=status.HTTP_303_SEE_OTHER, headers=PRIVATE
    )


@router.post(REQUESTS_PATH + "/{request_id}/decline", response_class=Response)
def decline(
    request_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    account: account_session.SignedIn,
) -> Response:
    check_origin(request, context)
    try:
        service.decline(session, account, request_id)
    except AppError as error:
        return failed(request, session, account, error)
    session.commit()
    return RedirectResponse(
        REQUESTS_PATH + "?declined=1", status_code=status.HTTP_303_SEE_OTHER, headers=PRIVATE
    )


def after_connect(
    request: Request,
    session: Session,
    context: AppContext,
    account: LearnerAccount,
    request_id: uuid.UUID,
    connection_id: uuid.UUID,
) -> Response:
    """The host's callback completed an authorization an approval started: send the
    credential and show what came of it (called by :mod:`app.obconsumer.router`)."""
    try:
        with deadline(consumer_pages.ACTION_DEADLINE_S):
            service.send_after_connect(session, context, account, request_id, connection_id)
    except AppError as error:
        return failed(request, session, account, error)
    session.commit()
    return _shown(request_id)
