"""The public wallet endpoints: OpenID4VCI 1.0 (metadata, offer, token, nonce, credential) and the
VC-API exchange. No API key: the offer references in the offer and exchange URLs are the
authorization. Rate-limited per client address (``BADGES_WALLET_RATE_PER_MINUTE``).

OAuth errors leave as ``application/json`` with ``error`` (RFC 6749 §5.2, OpenID4VCI 1.0
§6.3/§8.3.1), not problem JSON: wallets branch on ``error``. Every response that carries or
depends on a secret is ``Cache-Control: no-store``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Body, Depends, Form, Query, Request
from fastapi.responses import JSONResponse

from app.core.context import AppContext, ContextDep
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.core.ratelimit import RateLimited, TokenBucketLimiter, address_key
from app.wallets import metadata
from app.wallets import service as wallets
from app.wallets.errors import OAuthError

router = APIRouter(tags=["wallets"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
METADATA_CACHE = {"Cache-Control": "public, max-age=300"}


def _limiter(request: Request) -> TokenBucketLimiter:
    """This worker's limiter, made on first use from the settings."""
    limiter: TokenBucketLimiter | None = getattr(request.app.state, "wallet_limiter", None)
    if limiter is None:
        settings = request.app.state.context.settings
        limiter = TokenBucketLimiter(settings.wallet_rate_per_minute, settings.wallet_burst)
        request.app.state.wallet_limiter = limiter
    return limiter


async def admit(request: Request) -> None:
    """Spend one of the client address's tokens, or 429 with ``Retry-After``."""
    limiter = _limiter(request)
    wait = limiter.take(address_key(request.client.host if request.client else None))
    if wait > 0:
        raise RateLimited(
            f"Wallet endpoints take {limiter.rate_per_minute:g} requests a minute from one "
            f"address; try again in {max(1, round(wait))} s.",
            retry_after_s=wait,
        )


Admitted = Depends(admit)
Token = Annotated[
    str | None, Query(max_length=64, description="The offer's reference in the link (a secret).")
]


def _oauth(call: Callable[[], dict[str, Any]]) -> JSONResponse:
    """Run ``call``; its result or its :class:`OAuthError` as OAuth JSON, never cached."""
    try:
        return JSONResponse(call(), headers=NO_STORE)
    except OAuthError as exc:
        return JSONResponse(
            exc.to_oauth(), status_code=exc.status, headers={**NO_STORE, **exc.headers}
        )


def _issuer_path(context: AppContext) -> str:
    """The path of ``BADGES_BASE_URL`` (the Credential Issuer identifier), without slashes."""
    return urlsplit(context.settings.base_url).path.strip("/")


def _issuer_metadata(context: AppContext) -> JSONResponse:
    return JSONResponse(metadata.issuer_metadata(context.settings.base_url), headers=METADATA_CACHE)


def _as_metadata(context: AppContext) -> JSONResponse:
    return JSONResponse(
        metadata.authorization_server_metadata(context.settings.base_url), headers=METADATA_CACHE
    )


def _inserted(suffix: str, context: AppContext) -> None:
    """404 unless ``suffix`` is the issuer identifier's path (the only issuer served here)."""
    path = _issuer_path(context)
    if not path or suffix.strip("/") != path:
        raise NotFound("No Credential Issuer has this identifier here.")


@router.get("/.well-known/openid-credential-issuer", response_class=JSONResponse)
def issuer_metadata(context: ContextDep) -> JSONResponse:
    """OpenID4VCI Credential Issuer metadata (1.0 §12.2). Under a ``BADGES_BASE_URL`` with a
    path this is ``{base}/.well-known/openid-credential-issuer`` (Draft 13's form, the
    identifier with the well-known suffix appended, reached through the path's proxy)."""
    return _issuer_metadata(context)


@router.get(
    "/.well-known/openid-credential-issuer/{suffix:path}",
    response_class=JSONResponse,
    include_in_schema=False,
)
def issuer_metadata_for_path(suffix: str, context: ContextDep) -> JSONResponse:
    """The same metadata where 1.0 §12.2.2 puts it for an identifier with a path:
    ``https://host/.well-known/openid-credential-issuer/badges`` for ``https://host/badges``
    (the well-known segment inserted between host and path; the proxy passes it on as is)."""
    _inserted(suffix, context)
    return _issuer_metadata(context)


@router.get("/.well-known/oauth-authorization-server", response_class=JSONResponse)
def authorization_server_metadata(context: ContextDep) -> JSONResponse:
    """OAuth 2.0 Authorization Server metadata (RFC 8414) with anonymous pre-authorized access."""
    return _as_metadata(context)


@router.get(
    "/.well-known/oauth-authorization-server/{suffix:path}",
    response_class=JSONResponse,
    include_in_schema=False,
)
def authorization_server_metadata_for_path(suffix: str, context: ContextDep) -> JSONResponse:
    """RFC 8414 §3.1's location for an issuer with a path (``/.well-known/…`` inserted between
    host and path), as for the issuer metadata."""
    _inserted(suffix, context)
    return _as_metadata(context)


@router.get(metadata.OFFER_PATH, response_class=JSONResponse, dependencies=[Admitted])
def credential_offer(token: Token, session: SessionDep, context: ContextDep) -> JSONResponse:
    """The Credential Offer behind a ``credential_offer_uri`` (404 once the offer expired or was
    withdrawn). Fetching it mints the pre-authorized code (and e-mails its transaction code);
    a second fetch gets the same code while it lives."""
    return JSONResponse(wallets.credential_offer(session, context, token or ""), headers=NO_STORE)


@router.post(metadata.TOKEN_PATH, response_class=JSONResponse, dependencies=[Admitted])
def token_endpoint(
    session: SessionDep,
    grant_type: Annotated[str | None, Form(max_length=200)] = None,
    pre_authorized_code: Annotated[
        str | None, Form(alias="pre-authorized_code", max_length=200)
    ] = None,
    tx_code: Annotated[str | None, Form(max_length=64)] = None,
    user_pin: Annotated[str | None, Form(max_length=64)] = None,
) -> JSONResponse:
    """Token endpoint: a pre-authorized code (and its ``tx_code``) for an access token.
    Form-encoded; unknown parameters are ignored (RFC 6749 §3.2)."""
    return _oauth(
        lambda: wallets.token(
            session,
            grant_type=grant_type,
            code=pre_authorized_code,
            tx_code=tx_code if tx_code is not None else user_pin,
        )
    )


@router.post(metadata.NONCE_PATH, response_class=JSONResponse, dependencies=[Admitted])
def nonce_endpoint(session: SessionDep) -> JSONResponse:
    """Nonce endpoint (1.0 §7): a fresh single-use ``c_nonce``."""
    return JSONResponse(wallets.nonce(session), headers=NO_STORE)


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return (value.strip() or None) if scheme.lower() == "bearer" else None


@router.post(metadata.CREDENTIAL_PATH, response_class=JSONResponse, dependencies=[Admitted])
def credential_endpoint(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    body: Annotated[Any, Body()] = None,
) -> JSONResponse:
    """Credential endpoint (1.0 §8): the offer's credential bound to the key proof's holder."""
    return _oauth(lambda: wallets.issue(session, context, _bearer(request), body))


@router.get(metadata.EXCHANGE_PATH, response_class=JSONResponse, dependencies=[Admitted])
def exchange_invitation(token: Token, session: SessionDep, context: ContextDep) -> JSONResponse:
    """The exchange as an interaction URL: ``{"protocols": {"vcapi": …}}``."""
    return JSONResponse(wallets.exchange_invitation(session, context, token), headers=NO_STORE)


@router.post(metadata.EXCHANGE_PATH, response_class=JSONResponse, dependencies=[Admitted])
def exchange(
    token: Token,
    session: SessionDep,
    context: ContextDep,
    body: Annotated[Any, Body()] = None,
) -> JSONResponse:
    """VC-API exchange: ``{}`` → a DIDAuthentication request; the signed presentation → the
    credential, in a presentation."""
    return JSONResponse(wallets.exchange_step(session, context, token, body), headers=NO_STORE)
