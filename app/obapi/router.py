"""The Open Badges API (OB 3.0 §6-7) under ``/ims/ob/v3p0``: the Host's resources, its OAuth
2.0 authorization server and consent page, and the learner's list of connected apps.

Errors of the resource endpoints are the spec's ``Imsx_StatusInfo`` (not RFC 9457 problem
JSON, which the rest of the service uses: the spec names the payload); those of the OAuth
endpoints are RFC 6749's ``{"error": …}``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from authlib.oauth2 import OAuth2Error
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.accounts import hosted
from app.accounts import session as account_session
from app.core.context import AppContext, ContextDep
from app.core.db import SessionDep, reads_are_local
from app.core.errors import AppError, shape_errors_under
from app.core.ratelimit import RateLimited, TokenBucketLimiter, address_key
from app.learners.access import check_origin
from app.obapi import service
from app.obapi.oauth import FormRequest, JsonBody, Server
from app.obapi.schemas import (
    CREDENTIAL_READONLY,
    CREDENTIAL_UPSERT,
    PREFIX,
    PROFILE_READONLY,
    PROFILE_UPDATE,
    SCOPE_DESCRIPTIONS,
    SCOPE_KEYS,
    SCOPES,
    status_info,
)
from app.verification.admission import in_lane
from app.web import i18n
from app.web.responses import CSP, html_page
from app.web.templating import render
from openbadges.errors import LimitExceededError
from openbadges.jsonld.limits import loads_bounded

router = APIRouter(tags=["open badges api"])

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
JSON_TYPES = ("application/json", "application/ld+json", "application/vc+ld+json")
APPS_PATH = "/account/apps"


def _url(context: AppContext, path: str) -> str:
    return context.settings.base_url + path


# --- rate limits (registration, token, revocation, upsert) -----------------------------------


def _limiter(request: Request) -> TokenBucketLimiter:
    limiter: TokenBucketLimiter | None = getattr(request.app.state, "obapi_limiter", None)
    if limiter is None:
        settings = request.app.state.context.settings
        limiter = TokenBucketLimiter(settings.obapi_rate_per_minute, settings.obapi_burst)
        request.app.state.obapi_limiter = limiter
    return limiter


async def admit(request: Request) -> None:
    """Spend one of the address's tokens for the OAuth endpoints (and upsertCredential), or
    429 (``Retry-After``)."""
    limiter = _limiter(request)
    wait = limiter.take(address_key(request.client.host if request.client else None))
    if wait > 0:
        raise RateLimited(
            f"The OAuth endpoints and upsertCredential take {limiter.rate_per_minute:g} requests a "
            f"minute from one address; try again in {max(1, round(wait))} s.",
            retry_after_s=wait,
        )


async def form_items(request: Request) -> list[tuple[str, str]]:
    """The urlencoded (or multipart) form as pairs; files are ignored."""
    form = await request.form()
    return [(key, value) for key, value in form.multi_items() if isinstance(value, str)]


def _loads(raw: bytes) -> Any:
    """Untrusted JSON, bounded (depth, size): ``ValueError`` when it is not JSON or exceeds
    the bounds (a deep ``[[[[…`` would otherwise be a ``RecursionError``, a 500)."""
    try:
        return loads_bounded(raw)
    except LimitExceededError as exc:
        raise ValueError(str(exc)) from exc


async def json_body(request: Request) -> Any:
    try:
        return _loads(await request.body() or b"null")
    except ValueError:
        return None


async def raw_body(request: Request) -> bytes:
    return await request.body()


Form = Annotated[list[tuple[str, str]], Depends(form_items)]


def _oauth_request(request: Request, context: AppContext, form: list[tuple[str, str]]) -> Any:
    query = list(request.query_params.multi_items())
    uri = _url(context, request.url.path) + (f"?{request.url.query}" if request.url.query else "")
    return FormRequest(request.method, uri, request.headers, query, form)


def _finish(session: Any, response: Response) -> Response:
    """Commit what a successful OAuth response made; undo the rest."""
    if response.status_code < 400:
        session.commit()
    else:
        session.rollback()
    response.headers.update(NO_STORE)
    return response


# --- discovery -------------------------------------------------------------------------------


@router.get(PREFIX + "/discovery")
def discovery(context: ContextDep) -> JSONResponse:
    """The ServiceDescriptionDocument (OB 3.0 §6.3): an OpenAPI 3.0 document naming the
    OAuth 2.0 authorization-code scheme (``OAuth2ACG``) and its registration URL. Unprotected."""
    settings = context.settings
    base = settings.base_url
    oauth = base + PREFIX + "/oauth"
    privacy = settings.privacy_policy_url or base + "/"
    terms = settings.terms_of_service_url or base + "/"
    responses = {"default": {"description": "Imsx_StatusInfo"}}
    secured = [{"OAuth2ACG": [scope]} for scope in SCOPES]
    document = {
        "openapi": "3.0.1",
        "info": {
            "title": "Open Badges API",
            "version": "3.0",
            "description": "The Open Badges 3.0 Host of this service.",
            "termsOfService": terms,
            "x-imssf-privacyPolicyUrl": privacy,
        }
        | ({"x-imssf-image": settings.service_image_url} if settings.service_image_url else {}),
        "servers": [{"url": base + PREFIX, "description": "Open Badges API"}],
        "tags": [{"name": "OpenBadgeCredentials"}, {"name": "Profile"}, {"name": "Discovery"}],
        "paths": {
            "/credentials": {
                "get": {
                    "operationId": "getCredentials",
                    "tags": ["OpenBadgeCredentials"],
                    "parameters": [
                        {"name": n, "in": "query", "required": False, "schema": s}
                        for n, s in (
                            ("limit", {"type": "integer", "minimum": 1}),
                            ("offset", {"type": "integer", "minimum": 0}),
                            ("since", {"type": "string", "format": "date-time"}),
                        )
                    ],
                    "security": [secured[0]],
                    "responses": {"200": {"description": "GetOpenBadgeCredentialsResponse"}}
                    | responses,
                },
                "post": {
                    "operationId": "upsertCredential",
                    "tags": ["OpenBadgeCredentials"],
                    "security": [secured[1]],
                    "responses": {
                        "200": {"description": "Replaced"},
                        "201": {"description": "Created"},
                    }
                    | responses,
                },
            },
            "/profile": {
                "get": {
                    "operationId": "getProfile",
                    "tags": ["Profile"],
                    "security": [secured[2]],
                    "responses": {"200": {"description": "Profile"}} | responses,
                },
                "put": {
                    "operationId": "putProfile",
                    "tags": ["Profile"],
                    "security": [secured[3]],
                    "responses": {"200": {"description": "Profile"}} | responses,
                },
            },
            "/discovery": {
                "get": {
                    "operationId": "getServiceDescription",
                    "tags": ["Discovery"],
                    "responses": {"200": {"description": "ServiceDescriptionDocument"}} | responses,
                }
            },
        },
        "components": {
            "securitySchemes": {
                "OAuth2ACG": {
                    "type": "oauth2",
                    "description": "OAuth 2.0 Authorization Code Grant authorization",
                    "x-imssf-name": "Open Badges",
                    "x-imssf-privacyPolicyUrl": privacy,
                    "x-imssf-registrationUrl": oauth + "/register",
                    "x-imssf-termsOfServiceUrl": terms,
                    "flows": {
                        "authorizationCode": {
                            "authorizationUrl": oauth + "/authorize",
                            "tokenUrl": oauth + "/token",
                            "refreshUrl": oauth + "/token",
                            "x-imssf-revocationUrl": oauth + "/revoke",
                            "scopes": dict(SCOPE_DESCRIPTIONS),
                        }
                    },
                }
            },
        },
    }
    return JSONResponse(document, headers={"Cache-Control": "public, max-age=300"})


# --- OAuth 2.0 ---------------------------------------------------------------------------------


@router.post(PREFIX + "/oauth/register", dependencies=[Depends(admit)], status_code=201)
def register(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    body: Annotated[Any, Depends(json_body)],
) -> Response:
    """Dynamic client registration (RFC 7591), open: no initial access token."""
    data = body if isinstance(body, dict) else {}
    server = Server(session, context)
    json_request = JsonBody("POST", _url(context, request.url.path), request.headers, data)
    response: Response = server.create_endpoint_response("client_registration", json_request)
    return _finish(session, response)


@router.post(PREFIX + "/oauth/token", dependencies=[Depends(admit)])
def token(request: Request, session: SessionDep, context: ContextDep, form: Form) -> Response:
    """The token endpoint: ``authorization_code`` (with the PKCE verifier) and
    ``refresh_token`` (rotated); clients authenticate with HTTP Basic."""
    server = Server(session, context)
    response: Response = server.create_token_response(_oauth_request(request, context, form))
    return _finish(session, response)


@router.post(PREFIX + "/oauth/revoke", dependencies=[Depends(admit)])
def revoke(request: Request, session: SessionDep, context: ContextDep, form: Form) -> Response:
    """RFC 7009 revocation: either token of a pair revokes the pair."""
    server = Server(session, context)
    response: Response = server.create_endpoint_response(
        "revocation", _oauth_request(request, context, form)
    )
    return _finish(session, response)


def _error_page(request: Request, error: OAuth2Error) -> Response:
    t = i18n.translator_for(request)
    body = render("oauth_error.html", t=t, error=error.error, description=error.description)
    response = html_page(request, body.encode("utf-8"), locale=t.locale, status_code=400)
    response.headers.update(NO_STORE)
    return response


def _redirect_error(server: Server, error: OAuth2Error, status: int) -> Response:
    """The error at the app's (registered, exactly matched) redirect URI: only once the
    learner has answered the consent page (RFC 9700 §4.11.2: registration is open, so a
    redirect URI is no reason to send a browser there unasked)."""
    response: Response = server.handle_error_response(None, error)
    response.status_code = status
    response.headers.update(NO_STORE)
    return response


def _authorize_path(params: list[tuple[str, str]]) -> str:
    return PREFIX + "/oauth/authorize?" + urlencode(params)


OAUTH_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


@router.get(PREFIX + "/oauth/authorize", response_class=Response)
def authorize(request: Request, session: SessionDep, context: ContextDep) -> Response:
    """Check the app's request, then (signed in) ask the learner: the consent page."""
    server = Server(session, context)
    oauth_request = _oauth_request(request, context, [])
    try:
        grant = server.get_consent_grant(request=oauth_request)
    except OAuth2Error as error:
        # never a redirect before the learner answered: anyone may register an app whose
        # redirect URI is a phishing page, and an error is no consent (RFC 9700 §4.11.2)
        return _error_page(request, error)
    account = account_session.signed_in(request, session)
    if account is None:
        target = _authorize_path(list(request.query_params.multi_items()))
        sign_in = account_session.SIGN_IN_PATH + "?" + urlencode({"next": target})
        return RedirectResponse(sign_in, status_code=303, headers=NO_STORE)
    client = grant.client
    t = i18n.translator_for(request)
    hidden = [
        (name, oauth_request.payload.data[name])
        for name in OAUTH_PARAMS
        if name in oauth_request.payload.data
    ]
    scopes = [SCOPE_KEYS[s] for s in SCOPES if s in (oauth_request.scope or "").split()]
    body = render(
        "oauth_consent.html",
        t=t,
        app_name=client.metadata.get("client_name") or client.get_client_id(),
        app_host=urlsplit(client.metadata.get("client_uri", "")).hostname or "",
        app_uri=client.metadata.get("client_uri"),
        logo_uri=client.metadata.get("logo_uri"),
        tos_uri=client.metadata.get("tos_uri"),
        policy_uri=client.metadata.get("policy_uri"),
        scopes=scopes,
        hidden=hidden,
        action=PREFIX + "/oauth/authorize",
        redirect_host=urlsplit(oauth_request.payload.redirect_uri).hostname or "",
        lang_href=lambda code: "?" + urlencode([*hidden, ("lang", code)]),  # keep the request
    )
    response = html_page(request, body.encode("utf-8"), locale=t.locale, cache_control="no-store")
    # the decision's answer is a redirect to the app: allow that origin as a form target
    parts = urlsplit(oauth_request.payload.redirect_uri)
    target_origin = f"{parts.scheme}://{parts.netloc}"
    response.headers["Content-Security-Policy"] = CSP.replace(
        "form-action 'self'", f"form-action 'self' {target_origin}"
    )
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@router.post(PREFIX + "/oauth/authorize", response_class=Response)
def decide(request: Request, session: SessionDep, context: ContextDep, form: Form) -> Response:
    """The learner's answer on the consent page: ``decision=allow`` issues a code to the
    app's redirect URI, anything else answers ``error=access_denied`` there."""
    check_origin(request, context)
    server = Server(session, context)
    params = [(key, value) for key, value in form if key in OAUTH_PARAMS]
    oauth_request = FormRequest(
        "POST", _url(context, PREFIX + "/oauth/authorize"), request.headers, [], params
    )
    try:
        grant = server.get_consent_grant(request=oauth_request)
    except OAuth2Error as error:
        if error.redirect_uri:
            return _redirect_error(server, error, 303)
        return _error_page(request, error)
    account = account_session.signed_in(request, session)
    if account is None:
        sign_in = account_session.SIGN_IN_PATH + "?" + urlencode({"next": _authorize_path(params)})
        return RedirectResponse(sign_in, status_code=303, headers=NO_STORE)
    allowed = dict(form).get("decision") == "allow"
    response: Response = server.create_authorization_response(
        request=oauth_request, grant_user=account if allowed else None, grant=grant
    )
    if response.status_code == 302:
        response.status_code = 303  # after a POST: the app's redirect URI is fetched with GET
    return _finish(session, response)


# --- resources -------------------------------------------------------------------------------


def _imsx(error: AppError) -> JSONResponse:
    return JSONResponse(
        status_info(error.status, error.detail),
        status_code=error.status,
        headers={**error.headers, **NO_STORE},
    )


# Errors raised before a resource route runs (no such route, a method it lacks, a body too
# large, the guards' 429/503) take the same payload; the OAuth endpoints answer RFC 6749's.
shape_errors_under(PREFIX + "/", _imsx, except_under=(PREFIX + "/oauth/",))


def _int(value: str | None, name: str, default: int | None, minimum: int) -> int | None:
    if value is None:
        return default
    if not re.fullmatch(r"[0-9]{1,9}", value) or int(value) < minimum:
        raise AppError(f"{name} must be an integer of at least {minimum}.", field=name)
    return int(value)


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise AppError("since must be a date-time (RFC 3339).", field="since") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _links(context: AppContext, limit: int, offset: int, total: int, since: str | None) -> str:
    def link(at: int, rel: str) -> str:
        query = {"limit": limit, "offset": at} | ({"since": since} if since else {})
        return f'<{_url(context, PREFIX + "/credentials")}?{urlencode(query)}>; rel="{rel}"'

    last = max(0, (total - 1) // limit * limit)
    links = []
    if offset + limit < total:
        links.append(link(offset + limit, "next"))
    links.append(link(last, "last"))
    links.append(link(0, "first"))
    if offset > 0:
        links.append(link(max(0, min(offset - limit, last)), "prev"))
    return ", ".join(links)


@router.get(PREFIX + "/credentials")
def get_credentials(request: Request, session: SessionDep, context: ContextDep) -> Response:
    """getCredentials: the learner's credentials (issued here and hosted), paged."""
    try:
        grant = service.authorize(
            session, request.headers.get("authorization"), CREDENTIAL_READONLY
        )
        query = request.query_params
        limit = _int(query.get("limit"), "limit", DEFAULT_LIMIT, 1) or DEFAULT_LIMIT
        limit = min(limit, MAX_LIMIT)
        offset = _int(query.get("offset"), "offset", 0, 0) or 0
        since = _since(query.get("since"))
    except AppError as error:
        return _imsx(error)
    page, total = service.credentials(
        session, grant.account.id, since=since, limit=limit, offset=offset
    )
    body = {
        "credential": [item.document for item in page if item.document is not None],
        "compactJwsString": [item.compact_jws for item in page if item.compact_jws is not None],
    }
    headers = {
        "X-Total-Count": str(total),
        "Link": _links(context, limit, offset, total, query.get("since")),
        **NO_STORE,
    }
    return JSONResponse(body, headers=headers)


@router.post(PREFIX + "/credentials", dependencies=[Depends(admit)])
async def upsert_credential(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    body: Annotated[bytes, Depends(raw_body)],
) -> Response:
    """upsertCredential: a credential (JSON-LD, or a compact JWS as ``text/plain``) that
    verifies is kept for the learner; 201 when new, 200 when it replaced an equal one.

    Runs in the verify lane under the account's verification rate, like the learner's upload
    (:func:`app.accounts.hosted.upsert_in_lane`); 503 with ``Retry-After`` when it is full.
    The address's rate (:func:`admit`), the bearer token and its scope and the account's rate
    are checked before the lane, as ``POST /api/v1/verify`` does: a request that fails them
    never takes a slot, so a flood of bad tokens cannot make public verification 503."""
    try:
        if reads_are_local(request):  # SQLite: the token's point read is an in-process call
            grant = _admit_upsert(request, session)
        else:
            grant = await run_in_threadpool(_admit_upsert, request, session)
        response: Response = await in_lane(
            request, _upsert_credential, request, session, context, body, grant
        )
    except AppError as error:  # the token, the account's rate (429), VerifierBusy (503)
        return _imsx(error)
    return response


def _admit_upsert(request: Request, session: Any) -> service.Grant:
    """The grant of a token with the upsert scope, its account's verification spent."""
    grant = service.authorize(session, request.headers.get("authorization"), CREDENTIAL_UPSERT)
    hosted.admit(request, grant.account.id)
    return grant


def _upsert_credential(
    request: Request, session: Any, context: AppContext, body: bytes, grant: service.Grant
) -> Response:
    try:
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        document: dict[str, Any] | None = None
        compact_jws: str | None = None
        if media_type == "text/plain":
            try:
                compact_jws = body.decode("utf-8").strip()
            except UnicodeDecodeError as exc:
                raise AppError("The body must be UTF-8 text.", field="$") from exc
        elif media_type in JSON_TYPES:
            try:
                parsed = _loads(body)
            except ValueError as exc:
                raise AppError(f"The body is not JSON within the limits: {exc}", field="$") from exc
            if not isinstance(parsed, dict):
                raise AppError("The body must be a credential object.", field="$")
            document = parsed
        else:
            error = AppError("Send application/json (a credential) or text/plain (a JWS).")
            error.status = 415
            raise error
        created = service.upsert(
            session, context, grant, document=document, compact_jws=compact_jws
        )
    except AppError as error:
        session.rollback()
        return _imsx(error)
    session.commit()
    status = 201 if created else 200
    if compact_jws is not None:
        return Response(compact_jws, status_code=status, media_type="text/plain", headers=NO_STORE)
    return JSONResponse(document, status_code=status, headers=NO_STORE)


@router.get(PREFIX + "/profile")
def get_profile(request: Request, session: SessionDep, context: ContextDep) -> Response:
    """getProfile: the learner's Profile."""
    try:
        grant = service.authorize(session, request.headers.get("authorization"), PROFILE_READONLY)
    except AppError as error:
        return _imsx(error)
    return JSONResponse(service.profile(session, context, grant.account), headers=NO_STORE)


@router.put(PREFIX + "/profile")
def put_profile(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    body: Annotated[Any, Depends(json_body)],
) -> Response:
    """putProfile: the whole Profile; the name is kept (see :func:`service.update_profile`)."""
    try:
        grant = service.authorize(session, request.headers.get("authorization"), PROFILE_UPDATE)
        document = service.update_profile(session, context, grant.account, body)
    except AppError as error:
        session.rollback()
        return _imsx(error)
    session.commit()
    return JSONResponse(document, headers=NO_STORE)


# --- connected apps (the learner's page) ----------------------------------------------------


@router.get(APPS_PATH, response_class=Response, include_in_schema=False)
def connected_apps(request: Request, session: SessionDep) -> Response:
    """The apps the signed-in learner authorized, each with a Revoke button."""
    account = account_session.signed_in(request, session)
    if account is None:
        target = account_session.SIGN_IN_PATH + "?" + urlencode({"next": APPS_PATH})
        return RedirectResponse(target, status_code=303, headers=NO_STORE)
    t = i18n.translator_for(request)
    apps = service.connected_apps(session, account.id)
    body = render("oauth_apps.html", t=t, apps=apps, revoked=request.query_params.get("revoked"))
    response = html_page(request, body.encode("utf-8"), locale=t.locale, cache_control="no-store")
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@router.post(APPS_PATH + "/{client_id}/revoke", response_class=Response, include_in_schema=False)
def revoke_connected_app(
    client_id: str, request: Request, session: SessionDep, context: ContextDep
) -> Response:
    """Revoke every token of the app for the signed-in learner, back to the list (303)."""
    check_origin(request, context)
    account = account_session.signed_in(request, session)
    if account is None:
        target = account_session.SIGN_IN_PATH + "?" + urlencode({"next": APPS_PATH})
        return RedirectResponse(target, status_code=303, headers=NO_STORE)
    service.revoke_app(session, account.id, client_id[:64])
    session.commit()
    return RedirectResponse(APPS_PATH + "?revoked=1", status_code=303, headers=NO_STORE)
