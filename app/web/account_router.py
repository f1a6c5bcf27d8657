"""The learner's account pages: sign-in by e-mail link, "My credentials", addresses, upload.

* ``GET/POST /account/sign-in``: the form asks for an address and always answers "check your
  inbox" (it tells nobody whether the address has an account), under two rate limits: per
  client address and worker (``BADGES_SIGN_IN_RATE_PER_HOUR``, ``BADGES_SIGN_IN_BURST``) and
  per e-mail address across workers (``BADGES_SIGN_IN_EMAILS_PER_HOUR``).
* ``GET /account/verify/{token}`` spends nothing (mail scanners fetch links): it shows a button
  that posts back, and the post spends the link and starts the session. Both answer with
  ``Referrer-Policy: no-referrer``; the access log redacts the token
  (:mod:`app.core.log_redaction`).
* ``/account`` and its forms go by the session cookie (:mod:`app.accounts.session`) only;
  every post must come from this origin (:func:`app.learners.access.check_origin`).

``?next=`` is a path of this service or nothing (:func:`app.web.account_page.safe_next`).
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile, status
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.accounts import hosted as hosted_store
from app.accounts import service as accounts
from app.accounts import session as account_session
from app.core.context import AppContext, ContextDep
from app.core.db import SessionDep
from app.core.errors import AppError
from app.core.ratelimit import RateLimited, TokenBucketLimiter, address_key
from app.jobs.delivery import WAKE
from app.learners.access import check_origin
from app.models import LearnerAccount
from app.offers import service as offers
from app.web import i18n
from app.web.account_page import PRIVATE, account_page, hosted_file, issued_file, safe_next
from app.web.responses import html_page
from app.web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)

ACCOUNT_PATH = "/account"
MAX_UPLOAD = 512 * 1024
"""Bytes of an uploaded credential (a JSON document or a VC-JWT); larger is refused."""


# --- helpers --------------------------------------------------------------------------------


def _page(
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    referrer: str = "no-referrer",
    **values: Any,
) -> Response:
    t = i18n.translator_for(request)
    body = render(template, t=t, **values)
    response = html_page(
        request,
        body.encode("utf-8"),
        locale=t.locale,
        status_code=status_code,
        cache_control="no-store",
    )
    response.headers["Referrer-Policy"] = referrer
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _redirect(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER, headers=dict(PRIVATE))


def _sign_in_url(next_path: str | None, locale: str | None = None) -> str:
    query: dict[str, str] = {}
    if next_path:
        query["next"] = next_path
    if locale:
        query["lang"] = locale
    return account_session.SIGN_IN_PATH + (f"?{urlencode(query)}" if query else "")


def _admit(request: Request, context: AppContext) -> None:
    """Spend one of the client address's sign-in requests, or 429 with ``Retry-After``."""
    limiter: TokenBucketLimiter | None = getattr(request.app.state, "sign_in_limiter", None)
    if limiter is None:
        settings = context.settings
        limiter = TokenBucketLimiter(settings.sign_in_rate_per_hour / 60, settings.sign_in_burst)
        request.app.state.sign_in_limiter = limiter
    wait = limiter.take(address_key(request.client.host if request.client else None))
    if wait > 0:
        raise RateLimited(
            "Too many sign-in requests from this network; "
            f"try again in {max(1, round(wait / 60))} min.",
            retry_after_s=wait,
        )


def _account_or_redirect(request: Request, session: SessionDep) -> LearnerAccount | Response:
    account = account_session.signed_in(request, session)
    if account is None:
        path = request.url.path
        if request.url.query:
            path += "?" + request.url.query
        return _redirect(_sign_in_url(safe_next(path)))
    return account


def _back(request: Request, anchor: str = "") -> RedirectResponse:
    locale = i18n.translator_for(request).locale
    return _redirect(f"{ACCOUNT_PATH}?lang={locale}{anchor}")


def _notice(request: Request, key: str) -> RedirectResponse:
    locale = i18n.translator_for(request).locale
    return _redirect(f"{ACCOUNT_PATH}?{urlencode({'lang': locale, 'notice': key})}")


NOTICES = frozenset(
    {"address_sent", "address_added", "address_removed", "uploaded", "replaced", "hidden", "shown"}
)


# --- sign-in --------------------------------------------------------------------------------


@router.get(account_session.SIGN_IN_PATH, response_class=Response)
def sign_in_form(request: Request, session: SessionDep) -> Response:
    """The sign-in form (an already signed-in learner goes on to ``next`` or the account)."""
    next_path = safe_next(request.query_params.get("next"))
    if account_session.signed_in(request, session) is not None:
        return _redirect(next_path or ACCOUNT_PATH)
    return _page(request, "account_sign_in.html", next=next_path, email="", error=None)


@router.post(account_session.SIGN_IN_PATH, response_class=Response)
def sign_in_submit(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    email: Annotated[str, Form(max_length=400)] = "",
    next: Annotated[str, Form(max_length=2048)] = "",
) -> Response:
    """Send a sign-in link to ``email``; the same "check your inbox" page whoever it is."""
    check_origin(request, context)
    t = i18n.translator_for(request)
    next_path = safe_next(next)
    try:
        address = accounts.normalise_email(email)
    except accounts.InvalidEmail:
        return _page(
            request,
            "account_sign_in.html",
            status_code=400,
            next=next_path,
            email=email[:320],
            error=t("account.error.email"),
        )
    try:
        _admit(request, context)
        accounts.request_link(session, context, address, language=t.locale, next_path=next_path)
    except RateLimited as exc:
        session.rollback()
        return _page(
            request,
            "account_sign_in.html",
            status_code=429,
            headers=exc.headers,
            next=next_path,
            email=address,
            error=t("account.error.rate", minutes=max(1, round(exc.retry_after_s / 60))),
        )
    session.commit()
    WAKE()  # this process's relay sends it now rather than at its next poll
    return _page(request, "account_sent.html", email=address, next=next_path)


# --- the e-mailed link ----------------------------------------------------------------------


def _gone(request: Request) -> Response:
    return _page(request, "account_link_gone.html", status_code=410)


@router.get("/account/verify/{token}", response_class=Response)
def verify_link(token: str, request: Request, session: SessionDep) -> Response:
    """The link's page: a button that signs in (or confirms the address). Nothing is spent
    here: mail scanners and link previews fetch it."""
    try:
        link = accounts.pending_link(session, token)
    except accounts.LinkGone:
        return _gone(request)
    next_path = safe_next(request.query_params.get("next"))
    current = account_session.signed_in(request, session)
    if link.account_id is not None and (current is None or current.id != link.account_id):
        # confirming an address needs the account that asked for it: no one else's link
        # can add their address to an account they do not hold
        here = f"/account/verify/{token}"
        return _page(
            request,
            "account_verify.html",
            purpose="add_email",
            email=link.email,
            action=None,
            next=None,
            sign_in=_sign_in_url(here),
        )
    return _page(
        request,
        "account_verify.html",
        purpose="add_email" if link.account_id else "sign_in",
        email=link.email,
        action=f"/account/verify/{token}",
        next=next_path,
        sign_in=None,
    )


@router.post("/account/verify/{token}", response_class=Response)
def verify_submit(
    token: str,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    next: Annotated[str, Form(max_length=2048)] = "",
) -> Response:
    """Spend the link: sign in (creating the account the first time) or confirm the address;
    then the session, and on to ``next`` or the account page (303)."""
    check_origin(request, context)
    t = i18n.translator_for(request)
    current = account_session.signed_in(request, session)
    try:
        link = accounts.pending_link(session, token)
        if link.account_id is not None and (current is None or current.id != link.account_id):
            return _page(  # only the account that asked may confirm it (nothing is spent)
                request,
                "account_verify.html",
                status_code=403,
                purpose="add_email",
                email=link.email,
                action=None,
                next=None,
                sign_in=_sign_in_url(f"/account/verify/{token}"),
            )
        done = accounts.consume(session, token, language=t.locale)
    except accounts.LinkGone:
        session.rollback()
        return _gone(request)
    except accounts.AddressTaken:
        session.rollback()
        return _page(request, "account_link_gone.html", status_code=409, taken=True)
    if done.purpose == "add_email":
        session.commit()
        return _notice(request, "address_added")
    account_session.end(session, request.cookies.get(account_session.COOKIE))
    cookie = account_session.start(session, done.account.id)
    session.commit()
    target = safe_next(next) or f"{ACCOUNT_PATH}?lang={t.locale}"
    response = _redirect(target)
    account_session.set_cookie(response, context, cookie)
    return response


@router.post("/account/sign-out", response_class=Response)
def sign_out(request: Request, session: SessionDep, context: ContextDep) -> Response:
    """End this browser's session and go to the sign-in page."""
    check_origin(request, context)
    account_session.end(session, request.cookies.get(account_session.COOKIE))
    session.commit()
    locale = i18n.translator_for(request).locale
    response = _redirect(_sign_in_url(None, locale))
    response.delete_cookie(account_session.COOKIE, path="/")
    return response


# --- the account page -----------------------------------------------------------------------


@router.get(ACCOUNT_PATH, response_class=Response)
def account_home(request: Request, session: SessionDep) -> Response:
    """ "My credentials" (the sign-in page first when not signed in)."""
    found = _account_or_redirect(request, session)
    if isinstance(found, Response):
        return found
    chosen = i18n.match_locale(request.query_params.get("lang"))
    if chosen is not None and chosen != found.language:
        accounts.set_language(found, chosen)  # the language of its next e-mails
        session.commit()
    notice = request.query_params.get("notice")
    page = account_page(session, found)
    return _page(
        request,
        "account.html",
        referrer="same-origin",  # its forms then carry their real Origin
        page=page,
        notice=notice if notice in NOTICES else None,
        error=None,
        max_kb=MAX_UPLOAD // 1024,
    )


def _account_error(
    request: Request, session: SessionDep, account: LearnerAccount, message: str, code: int
) -> Response:
    """The account page again, saying what went wrong (an upload refused, an address)."""
    session.rollback()
    return _page(
        request,
        "account.html",
        status_code=code,
        referrer="same-origin",
        page=account_page(session, account),
        notice=None,
        error=message,
        max_kb=MAX_UPLOAD // 1024,
    )


@router.post("/account/emails", response_class=Response)
def add_email(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    account: account_session.SignedIn,
    email: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    """Send a verification link to another address of the learner's."""
    check_origin(request, context)
    t = i18n.translator_for(request)
    try:
        address = accounts.normalise_email(email)
        _admit(request, context)  # the sign-in form's allowance of this network
        accounts.add_address(session, context, account, address)
    except accounts.InvalidEmail:
        return _account_error(request, session, account, t("account.error.email"), 400)
    except accounts.TooManyAddresses:
        return _account_error(
            request, session, account, t("account.error.too_many", n=accounts.MAX_ADDRESSES), 409
        )
    except RateLimited as exc:
        response = _account_error(
            request,
            session,
            account,
            t("account.error.rate", minutes=max(1, round(exc.retry_after_s / 60))),
            429,
        )
        response.headers.update(exc.headers)
        return response
    session.commit()
    WAKE()
    return _notice(request, "address_sent")


@router.post("/account/emails/{address_id}/delete", response_class=Response)
def remove_email(
    address_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    account: account_session.SignedIn,
) -> Response:
    """Remove one of the account's addresses (not the last verified one)."""
    check_origin(request, context)
    try:
        accounts.remove_address(session, account.id, address_id)
    except accounts.LastAddress:
        t = i18n.translator_for(request)
        return _account_error(request, session, account, t("account.error.last"), 409)
    session.commit()
    return _notice(request, "address_removed")


@router.post("/account/credentials/{credential_id}/visibility", response_class=Response)
def issued_visibility(
    credential_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    account: account_session.SignedIn,
    hidden: Annotated[bool, Form()] = True,
) -> Response:
    """Hide (or show) an issued credential on the account page and to apps."""
    check_origin(request, context)
    accounts.set_hidden(session, account.id, "issued", credential_id, hidden=hidden)
    session.commit()
    return _notice(request, "hidden" if hidden else "shown")


@router.post("/account/hosted/{hosted_id}/visibility", response_class=Response)
def hosted_visibility(
    hosted_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    account: account_session.SignedIn,
    hidden: Annotated[bool, Form()] = True,
) -> Response:
    """Hide (or show) a hosted credential on the account page and to apps."""
    check_origin(request, context)
    accounts.set_hidden(session, account.id, "hosted", hosted_id, hidden=hidden)
    session.commit()
    return _notice(request, "hidden" if hidden else "shown")


@router.post("/account/credentials/{credential_id}/offer", response_class=Response)
def issued_offer(
    credential_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    account: account_session.SignedIn,
) -> Response:
    """A claim link for one of the account's credentials (wallets, LinkedIn), then there."""
    check_origin(request, context)
    credential = accounts.owned_credential(session, account.id, credential_id)
    _, token = offers.create_offer(session, context, credential, actor=f"account:{account.id}")
    session.commit()
    locale = i18n.translator_for(request).locale
    return _redirect(f"/claim/{token}?lang={locale}")


@router.get("/account/credentials/{credential_id}/{name}", response_class=Response)
def issued_download(
    credential_id: uuid.UUID, name: str, session: SessionDep, account: account_session.SignedIn
) -> Response:
    """``credential.json``, ``credential.jwt`` or ``badge.png`` of an issued credential."""
    return issued_file(session, account, credential_id, name)


@router.get("/account/hosted/{hosted_id}/{name}", response_class=Response)
def hosted_download(
    hosted_id: uuid.UUID, name: str, session: SessionDep, account: account_session.SignedIn
) -> Response:
    """``credential.json``, ``credential.jwt`` or ``badge.png`` of a hosted credential."""
    return hosted_file(session, account, hosted_id, name)


@router.post("/account/upload", response_class=Response)
async def upload(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    account: account_session.SignedIn,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Keep a credential from elsewhere: a JSON document or a VC-JWT file, verified first.

    Verification runs under the guards of public verification
    (:func:`app.accounts.hosted.upsert_in_lane`: the account's rate, the anonymous input
    limits, the verify lane); the pages' database work stays in the thread pool."""
    check_origin(request, context)
    t = i18n.translator_for(request)

    async def refuse(message: str, code: int, headers: dict[str, str] | None = None) -> Response:
        response = await run_in_threadpool(_account_error, request, session, account, message, code)
        response.headers.update(headers or {})
        return response

    data = await file.read(MAX_UPLOAD + 1) if file is not None else b""
    if not data.strip():
        return await refuse(t("account.upload.empty"), 400)
    if len(data) > MAX_UPLOAD:
        return await refuse(t("account.upload.too_large", kb=MAX_UPLOAD // 1024), 413)
    try:
        text = data.decode("utf-8").strip().lstrip("\ufeff")
    except UnicodeDecodeError:
        return await refuse(t("account.upload.unreadable"), 400)
    document: dict[str, Any] | None = None
    compact: str | None = None
    if text.startswith("{"):
        try:
            loaded = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: nested too deeply to be one
            return await refuse(t("account.upload.unreadable"), 400)
        if not isinstance(loaded, dict):
            return await refuse(t("account.upload.unreadable"), 400)
        document = loaded
    elif text.count(".") == 2 and " " not in text:
        compact = text
    else:
        return await refuse(t("account.upload.unreadable"), 400)
    try:
        _, created = await hosted_store.upsert_in_lane(
            request,
            session,
            context,
            account.id,
            document=document,
            compact_jws=compact,
            source="upload",
        )
    except hosted_store.CredentialNotVerified as exc:
        failed = ", ".join(exc.failed) if exc.failed else exc.detail
        return await refuse(t("account.upload.refused", reason=failed), 422)
    except RateLimited as exc:
        minutes = max(1, round(exc.retry_after_s / 60))
        return await refuse(t("account.error.rate", minutes=minutes), 429, exc.headers)
    except AppError as exc:  # the quota (409), input limits (413), the verify lane full (503)
        status_code = exc.status if exc.status in (409, 413, 503) else 422
        if status_code == 503:
            reason = t("verify.error.busy")
        else:
            reason = t("account.upload.refused", reason=exc.detail)
        return await refuse(reason, status_code, dict(exc.headers or {}))
    return _notice(request, "uploaded" if created else "replaced")
