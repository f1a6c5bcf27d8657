"""Service Consumer (Write) of the Open Badges API (OB 3.0 §6-7; the certification's "Service
Consumer (Write)"): a signed-in learner sends one of their credentials to another Open Badges
host of their choice.

1. :func:`start`: read the host's ``{root}/discovery`` (its ServiceDescriptionDocument), take the
   OAuth 2.0 authorization-code scheme (``authorizationUrl``, ``tokenUrl``, ``refreshUrl``,
   ``x-imssf-registrationUrl``, scopes), register this service there once (RFC 7591; every URI
   of ours on one host, as OB 3.0 §7.1 asks), and send the learner to the host's authorization
   page with PKCE S256 and a single-use ``state`` bound to the learner's browser session.
2. :func:`finish` (the callback): check the ``state`` exactly, exchange the code (HTTP Basic
   client authentication, the PKCE verifier) and keep the tokens, sealed, per learner and host.
3. :func:`send_credential`: ``POST {root}/credentials`` (upsert) with the JSON-LD credential,
   or its compact JWS as ``text/plain``; an access token the host no longer takes (401) is
   refreshed once and the call retried. :func:`update_profile`: ``PUT {root}/profile`` when the
   learner granted ``profile.update``. :func:`disconnect`: revoke at the host (RFC 7009, when
   it offers revocation) and forget the tokens.

Every request goes through the SSRF guard (:mod:`app.obconsumer.client`). Secrets (client
secret, tokens, PKCE verifier) are sealed at rest (:mod:`app.core.sealing`) and never logged.

No database transaction is held while another host is asked (up to its timeouts): these
functions commit what they read or wrote before each request (:func:`_release`), so neither a
row lock nor SQLite's write lock waits on the network, and a refreshed token pair is kept the
moment the host hands it out (the old refresh token is spent).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import secrets
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts import hosted as hosted_store
from app.accounts import service as accounts
from app.core.context import AppContext
from app.core.errors import AppError, NotFound
from app.core.sealing import Sealer, SealError
from app.models import (
    LearnerAccount,
    ObAuthorization,
    ObConnection,
    ObHostClient,
    lengths,
    utcnow,
)
from app.obconsumer import client, repository
from app.obconsumer.client import Answer, HostUnreachable

logger = logging.getLogger(__name__)

SCOPE_BASE = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
CREDENTIAL_UPSERT = SCOPE_BASE + "credential.upsert"
PROFILE_READONLY = SCOPE_BASE + "profile.readonly"
PROFILE_UPDATE = SCOPE_BASE + "profile.update"
WANTED_SCOPES = (CREDENTIAL_UPSERT, PROFILE_READONLY, PROFILE_UPDATE)
"""What this service asks a host for: upsert (the point), and the profile (read, to keep the
host's Profile id, and update). It never reads the learner's credentials there."""
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CALLBACK_PATH = "/account/hosts/callback"
LOGO_PATH = "/account/hosts/logo.svg"
AUTHORIZATION_TTL = timedelta(minutes=10)
SOFTWARE_ID = "9a1f4cf4-6c3e-4d4c-8f3e-0b7f5d1e2c11"
"""This software's RFC 7591 ``software_id`` (the same for every deployment)."""
SOFTWARE_VERSION = "0.1.0"
JSON_TYPES = ("application/json", "application/ld+json", "application/vc+ld+json")

_CLIENT_SECRET = b"obconsumer client secret"
_TOKEN = b"obconsumer token"
_VERIFIER = b"obconsumer pkce verifier"
MAX_TOKEN_LIFETIME_S = 10 * 365 * 24 * 3600  # a longer expires_in is read as ten years


class ConnectError(AppError):
    """The host cannot be connected: no usable discovery document, registration refused."""

    status, title, code = 502, "The host cannot be connected", "host_connect_failed"


class AuthorizationFailed(AppError):
    """The callback does not complete an authorization: unknown or replayed ``state``, another
    learner's, expired, refused by the learner, or the code exchange failed."""

    status, title, code = 400, "Authorization not completed", "authorization_failed"


class NotGranted(AppError):
    """The learner did not grant the scope the action needs."""

    status, title, code = 403, "Not granted", "scope_not_granted"


# --- small helpers ------------------------------------------------------------------------


def _release(session: Session) -> None:
    """End the transaction before a request to another host (sessions keep their objects
    loaded after a commit)."""
    session.commit()


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _sealer(context: AppContext, info: bytes) -> Sealer:
    return Sealer(context.settings.kek_bytes(), info)


def _seal_token(context: AppContext, connection_id: uuid.UUID, kind: bytes, token: str) -> bytes:
    return _sealer(context, _TOKEN).seal(token.encode("utf-8"), connection_id.bytes + kind)


def _open_token(context: AppContext, connection_id: uuid.UUID, kind: bytes, blob: bytes) -> str:
    return _sealer(context, _TOKEN).open(blob, connection_id.bytes + kind).decode("utf-8")


def callback_uri(context: AppContext) -> str:
    return context.settings.base_url + CALLBACK_PATH


_DEFAULT_PORTS = {"https": 443, "http": 80}
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")


def plain(value: str, limit: int) -> str:
    """Text another host chose (its name, its error descriptions) made safe to show and to put
    in an e-mail header: control, format (bidi overrides) and line/paragraph separator
    characters become spaces, runs of white space one space; at most ``limit`` characters."""
    cleaned = "".join(
        " "
        if unicodedata.category(char)[0] == "C" or unicodedata.category(char) in ("Zl", "Zp")
        else char
        for char in value
    )
    return " ".join(cleaned.split())[:limit]


def _percent(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    return char if char in _UNRESERVED else "%" + match.group(1).upper()


def _without_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4 for an absolute path (``/a/./b/../c`` is ``/a/c``)."""
    kept: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                kept.append("")
            continue
        if segment == "..":
            if len(kept) > 1:
                kept.pop()
            if last:
                kept.append("")
            continue
        kept.append(segment)
    return "/".join(kept)


def normalise_root(raw: str) -> str:
    """The host's API root in one spelling, so a root compares equal however it was typed:
    an absolute http(s) URL without user, query or fragment; scheme and host lower-case, the
    host in IDNA (punycode) without a trailing dot, no default port; the path with its
    unreserved escapes decoded and the others upper-cased (RFC 3986 §6.2.2), no dot segments,
    and no trailing ``/`` or ``/discovery``. Normalising a normalised root changes nothing."""
    root = (raw or "").strip()
    if len(root) > lengths.URL:
        raise AppError(f"The address is longer than {lengths.URL} characters.", field="apiRoot")
    try:
        parts = urlsplit(root)
        port = parts.port
    except ValueError as exc:
        raise AppError("The address is not a URL.", field="apiRoot") from exc
    scheme = parts.scheme.lower()
    if (
        scheme not in ("https", "http")
        or not parts.hostname
        or parts.username is not None
        or parts.password is not None
        or parts.query
        or parts.fragment
    ):
        raise AppError(
            "Give the host's Open Badges API address, e.g. https://host.example/ims/ob/v3p0.",
            field="apiRoot",
        )
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    else:
        try:
            host = host.encode("idna").decode("ascii") if host else host
        except UnicodeError as exc:
            raise AppError("The address's host name is not valid.", field="apiRoot") from exc
    if not host:
        raise AppError("The address has no host name.", field="apiRoot")
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = _without_dot_segments(_PERCENT.sub(_percent, parts.path))
    while path.endswith(("/", "/discovery")):
        path = path.removesuffix("/discovery") if path.endswith("/discovery") else path[:-1]
    return urlunsplit((scheme, netloc, path, "", ""))


class DiscoveryRefused(ConnectError):
    """An endpoint of the host's discovery document this service will not use: not https
    (``http`` only with ``BADGES_ALLOW_PRIVATE_FETCH``), with a user in it, or on another origin
    than the API root the learner typed (the learner, the code, the PKCE verifier and the client
    secret would be sent there)."""

    status, title, code = 422, "Host endpoint refused", "host_endpoint_refused"


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        host = host.encode("idna").decode("ascii") if host and ":" not in host else host
    except UnicodeError:
        host = "\x00invalid"  # matches no root
    return scheme, host, port or _DEFAULT_PORTS.get(scheme)


def _absolute(value: Any, what: str, field: str, root: str, allow_http: bool) -> str:
    """``value``, an absolute https URL on the origin (scheme, host, port) of ``root``."""
    if not isinstance(value, str) or len(value) > lengths.URL:
        raise ConnectError(f"The host's discovery document names no {what}.")
    url = value.strip()
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise DiscoveryRefused(f"The host's {what} ({field}) is not a URL.", field=field) from exc
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not parts.hostname or parts.fragment:
        raise ConnectError(f"The host's {what} ({value!r}) is not an absolute https URL.")
    if scheme != "https" and not allow_http:
        raise DiscoveryRefused(f"The host's {what} ({field}) is not https.", field=field)
    if parts.username is not None or parts.password is not None:
        raise DiscoveryRefused(
            f"The host's {what} ({field}) carries a user name or password.", field=field
        )
    if _origin(url) != _origin(root):
        raise DiscoveryRefused(
            f"The host's {what} ({field}) is not on the origin of its API address {root}.",
            field=field,
        )
    return url


@dataclass(frozen=True)
class Discovery:
    """What a ServiceDescriptionDocument tells a consumer."""

    name: str
    authorization_url: str
    token_url: str
    refresh_url: str
    registration_url: str
    revocation_url: str | None
    scopes: frozenset[str]


def parse_discovery(document: dict[str, Any], root: str, *, allow_http: bool = False) -> Discovery:
    """The OAuth 2.0 authorization-code scheme of a ServiceDescriptionDocument (OB 3.0 §6.3).

    Every endpoint must be https (``http`` too with ``allow_http``) on the origin of ``root``,
    the API address the learner typed (not wherever the discovery fetch was redirected).
    """

    def endpoint(value: Any, what: str, field: str) -> str:
        return _absolute(value, what, field, root, allow_http)

    components = document.get("components")
    schemes = components.get("securitySchemes") if isinstance(components, dict) else None
    if not isinstance(schemes, dict):
        raise ConnectError("The host's discovery document has no securitySchemes.")
    for scheme in schemes.values():
        if not isinstance(scheme, dict) or scheme.get("type") != "oauth2":
            continue
        flows = scheme.get("flows")
        flow = flows.get("authorizationCode") if isinstance(flows, dict) else None
        if not isinstance(flow, dict):
            continue
        token_url = endpoint(flow.get("tokenUrl"), "token URL", "tokenUrl")
        scopes = flow.get("scopes")
        revocation = flow.get("x-imssf-revocationUrl") or scheme.get("x-imssf-revocationUrl")
        name = scheme.get("x-imssf-name")
        info = document.get("info")
        if not isinstance(name, str) or not name.strip():
            name = info.get("title") if isinstance(info, dict) else None
        name = plain(name, 200) if isinstance(name, str) else ""
        return Discovery(
            name=name or root,
            authorization_url=endpoint(
                flow.get("authorizationUrl"), "authorization URL", "authorizationUrl"
            ),
            token_url=token_url,
            refresh_url=endpoint(flow.get("refreshUrl") or token_url, "refresh URL", "refreshUrl"),
            registration_url=endpoint(
                scheme.get("x-imssf-registrationUrl"), "registration URL", "x-imssf-registrationUrl"
            ),
            revocation_url=(
                endpoint(revocation, "revocation URL", "x-imssf-revocationUrl")
                if revocation
                else None
            ),
            scopes=frozenset(scopes) if isinstance(scopes, dict) else frozenset(),
        )
    raise ConnectError("The host's discovery document offers no OAuth 2.0 authorization code flow.")


def _same_host(context: AppContext, url: str | None) -> str | None:
    base = urlsplit(context.settings.base_url)
    return url if url and urlsplit(url).netloc == base.netloc else None


def registration_body(context: AppContext, scopes: list[str]) -> dict[str, Any]:
    """This service's RFC 7591 client metadata (every URI on the base URL's host)."""
    settings = context.settings
    base = settings.base_url
    return {
        "client_name": f"Open Badges ({urlsplit(base).hostname})",
        "client_uri": base + "/",
        "logo_uri": _same_host(context, settings.service_image_url) or base + LOGO_PATH,
        "tos_uri": _same_host(context, settings.terms_of_service_url) or base + "/",
        "policy_uri": _same_host(context, settings.privacy_policy_url) or base + "/",
        "software_id": SOFTWARE_ID,
        "software_version": SOFTWARE_VERSION,
        "redirect_uris": [callback_uri(context)],
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": " ".join(scopes),
    }


def _register(context: AppContext, discovery: Discovery, scopes: list[str]) -> tuple[str, str]:
    body = json.dumps(registration_body(context, scopes)).encode("utf-8")
    answer = client.send(
        context,
        "POST",
        discovery.registration_url,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        content=body,
    )
    data = answer.json()
    if answer.status not in (200, 201) or not isinstance(data, dict):
        raise ConnectError(f"The host refused the registration: {_oauth_error(answer)}")
    client_id, secret = data.get("client_id"), data.get("client_secret")
    if not isinstance(client_id, str) or not client_id or not isinstance(secret, str) or not secret:
        raise ConnectError("The host's registration answer has no client_id or client_secret.")
    return client_id, secret


def _oauth_error(answer: Answer) -> str:
    """A host's error answer, for the learner: RFC 6749 ``error``/``error_description``, the
    spec's ``imsx_description``, or the HTTP status."""
    data = answer.json()
    if isinstance(data, dict):
        for key in ("error_description", "imsx_description", "error"):
            if isinstance(data.get(key), str) and plain(data[key], 300):
                return f"{plain(data[key], 300)} (HTTP {answer.status})"
    return f"HTTP {answer.status}"


def _client_secret(context: AppContext, row: ObHostClient) -> str:
    return _sealer(context, _CLIENT_SECRET).open(row.sealed_client_secret, row.id.bytes).decode()


def _stored_endpoints_ok(row: ObHostClient, root: str, allow_http: bool) -> bool:
    """Whether a kept registration's endpoints pass today's rules (one stored before them is
    made again from a fresh discovery document)."""
    urls = (row.authorization_url, row.token_url, row.refresh_url, row.revocation_url)
    try:
        for url in urls:
            if url is not None:
                _absolute(url, "endpoint", "endpoint", root, allow_http)
    except ConnectError:
        return False
    return True


def host_client(session: Session, context: AppContext, root: str) -> ObHostClient:
    """This service's registration at ``root``: kept from before, or made now (discovery, then
    RFC 7591 registration). A registration for another callback (the base URL changed), with
    an endpoint off the root's origin, or whose secret no longer opens (another KEK) is made
    again."""
    row = repository.host_client(session, root)
    if (
        row is not None
        and row.redirect_uri == callback_uri(context)
        and _stored_endpoints_ok(row, root, context.settings.allow_private_fetch)
    ):
        try:
            _client_secret(context, row)
            return row
        except SealError:
            pass
    row_id = row.id if row is not None else None
    _release(session)
    document = client.fetch_discovery(context, root + "/discovery")
    discovery = parse_discovery(document, root, allow_http=context.settings.allow_private_fetch)
    if CREDENTIAL_UPSERT not in discovery.scopes:
        raise ConnectError("The host does not offer the credential.upsert scope.")
    scopes = [scope for scope in WANTED_SCOPES if scope in discovery.scopes]
    client_id, secret = _register(context, discovery, scopes)
    row = session.get(ObHostClient, row_id) if row_id else repository.host_client(session, root)
    try:
        with session.begin_nested():
            if row is None:
                row = ObHostClient(id=uuid.uuid4(), api_root=root)
                session.add(row)
            row.name = discovery.name
            row.authorization_url = discovery.authorization_url
            row.token_url = discovery.token_url
            row.refresh_url = discovery.refresh_url
            row.revocation_url = discovery.revocation_url
            row.scopes = " ".join(scopes)
            row.redirect_uri = callback_uri(context)
            row.client_id = client_id
            row.sealed_client_secret = _sealer(context, _CLIENT_SECRET).seal(
                secret.encode("utf-8"), row.id.bytes
            )
            session.flush()
    except IntegrityError:  # another learner registered this host at the same moment
        row = repository.host_client(session, root)
        if row is None:
            raise
    return row


# --- authorization ------------------------------------------------------------------------


def session_hash(cookie: str) -> str:
    """What binds a pending authorization to the learner's browser session."""
    return _sha256(cookie)


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def start(
    session: Session,
    context: AppContext,
    account: LearnerAccount,
    cookie: str,
    raw_root: str,
    *,
    push_request_id: uuid.UUID | None = None,
) -> str:
    """Register at the host if needed and open a pending authorization; the URL of the host's
    authorization page to send the learner to (the caller commits). ``push_request_id``: the
    issuer's request the learner approved, carried out on the callback (:mod:`app.pushes`)."""
    root = normalise_root(raw_root)
    client.check(context, root)
    row = host_client(session, context, root)
    repository.drop_expired_authorizations(session, utcnow())
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters of RFC 7636's unreserved set
    pending = ObAuthorization(
        id=uuid.uuid4(),
        state_hash=_sha256(state),
        account_id=account.id,
        session_hash=session_hash(cookie),
        host_client_id=row.id,
        scope=row.scopes,
        expires_at=utcnow() + AUTHORIZATION_TTL,
        push_request_id=push_request_id,
    )
    pending.sealed_code_verifier = _sealer(context, _VERIFIER).seal(
        verifier.encode("ascii"), pending.id.bytes
    )
    session.add(pending)
    session.flush()
    params = {
        "response_type": "code",
        "client_id": row.client_id,
        "redirect_uri": row.redirect_uri,
        "scope": row.scopes,
        "state": state,
        "code_challenge": _challenge(verifier),
        "code_challenge_method": "S256",
    }
    parts = urlsplit(row.authorization_url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), *params.items()]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


@dataclass(frozen=True)
class Claimed:
    """A pending authorization the callback took (it is gone from the database)."""

    pending: ObAuthorization


def claim(session: Session, account: LearnerAccount, cookie: str, state: str | None) -> Claimed:
    """Take the pending authorization ``state`` names, once: it must be this learner's, from
    this browser session, not expired. The caller commits whatever happens next, so a state
    is never usable twice."""
    if not state or len(state) > 200:
        raise AuthorizationFailed("The answer from the host has no valid state.", field="state")
    pending = repository.take_authorization(session, _sha256(state))
    if pending is None:
        raise AuthorizationFailed(
            "This authorization is unknown, was already completed or has expired. Start again.",
            field="state",
        )
    if pending.account_id != account.id or pending.session_hash != session_hash(cookie):
        raise AuthorizationFailed(
            "This authorization was started in another session. Start again.", field="state"
        )
    if pending.expires_at <= utcnow():
        raise AuthorizationFailed("This authorization has expired. Start again.", field="state")
    return Claimed(pending)


def _basic(row: ObHostClient, secret: str) -> str:
    """RFC 6749 §2.3.1: the client id and secret form-encoded, then HTTP Basic."""
    pair = f"{quote(row.client_id, safe='')}:{quote(secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str | None
    expires_in: int | None
    scope: str | None


def _token_request(
    context: AppContext, row: ObHostClient, url: str, form: dict[str, str]
) -> Tokens:
    answer = client.send(
        context,
        "POST",
        url,
        headers={
            "Authorization": _basic(row, _client_secret(context, row)),
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        },
        content=urlencode(form).encode("ascii"),
    )
    data = answer.json()
    if answer.status != 200 or not isinstance(data, dict):
        raise AuthorizationFailed(f"The host did not give a token: {_oauth_error(answer)}")
    access = data.get("access_token")
    kind = data.get("token_type")
    if not isinstance(access, str) or not access or str(kind).lower() != "bearer":
        raise AuthorizationFailed("The host's token answer has no bearer access token.")
    refresh = data.get("refresh_token")
    expires_in = data.get("expires_in")
    scope = data.get("scope")
    return Tokens(
        access,
        refresh if isinstance(refresh, str) and refresh else None,
        _lifetime(expires_in),
        scope if isinstance(scope, str) else None,
    )


def _lifetime(expires_in: Any) -> int | None:
    """The token answer's ``expires_in`` (RFC 6749 §5.1: a positive number of seconds),
    clamped to :data:`MAX_TOKEN_LIFETIME_S` so no date arithmetic can overflow."""
    if expires_in is None:
        return None
    if isinstance(expires_in, bool) or not isinstance(expires_in, int) or expires_in <= 0:
        raise AuthorizationFailed(
            "The host's token answer has an expires_in that is not a positive whole number "
            "of seconds."
        )
    return min(expires_in, MAX_TOKEN_LIFETIME_S)


def _store_tokens(context: AppContext, connection: ObConnection, tokens: Tokens) -> None:
    connection.sealed_access_token = _seal_token(
        context, connection.id, b"access", tokens.access_token
    )
    if tokens.refresh_token is not None:
        connection.sealed_refresh_token = _seal_token(
            context, connection.id, b"refresh", tokens.refresh_token
        )
    connection.access_expires_at = (
        utcnow() + timedelta(seconds=max(0, min(tokens.expires_in, MAX_TOKEN_LIFETIME_S) - 30))
        if tokens.expires_in is not None
        else None
    )
    if tokens.scope is not None:
        connection.scope = tokens.scope
    connection.updated_at = utcnow()


def finish(
    session: Session, context: AppContext, account: LearnerAccount, claimed: Claimed, code: str
) -> ObConnection:
    """Exchange the code for tokens and keep them (replacing an earlier connection to the same
    host); the caller commits."""
    pending = claimed.pending
    if not code or len(code) > 2048:
        raise AuthorizationFailed("The answer from the host has no code.", field="code")
    row = session.get(ObHostClient, pending.host_client_id)
    if row is None:
        raise AuthorizationFailed("The host is no longer registered. Start again.")
    verifier = _sealer(context, _VERIFIER).open(pending.sealed_code_verifier, pending.id.bytes)
    _release(session)
    tokens = _token_request(
        context,
        row,
        row.token_url,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": row.redirect_uri,
            "code_verifier": verifier.decode("ascii"),
            "scope": pending.scope,
        },
    )
    connection = repository.connection_to(session, account.id, row.id)
    if connection is None:
        connection = ObConnection(
            id=uuid.uuid4(), account_id=account.id, host_client_id=row.id, scope=pending.scope
        )
        session.add(connection)
    else:
        connection.sealed_refresh_token = None
        connection.scope = pending.scope
    _store_tokens(context, connection, tokens)
    session.flush()
    return connection


# --- calls with the learner's token -------------------------------------------------------


def _connection(
    session: Session, account: LearnerAccount, connection_id: uuid.UUID
) -> tuple[ObConnection, ObHostClient]:
    connection = repository.connection(session, account.id, connection_id)
    row = session.get(ObHostClient, connection.host_client_id) if connection else None
    if connection is None or row is None:
        raise NotFound("No such connected host on this account.")
    return connection, row


def _refresh(
    session: Session, context: AppContext, connection: ObConnection, row: ObHostClient
) -> bool:
    """Trade the refresh token for new tokens (kept at once); False when there is none or the
    host refuses it."""
    if connection.sealed_refresh_token is None:
        return False
    used = connection.sealed_access_token
    refresh = _open_token(context, connection.id, b"refresh", connection.sealed_refresh_token)
    _release(session)
    try:
        tokens = _token_request(
            context,
            row,
            row.refresh_url,
            {"grant_type": "refresh_token", "refresh_token": refresh, "scope": connection.scope},
        )
    except AuthorizationFailed:
        # Another request of the learner's may have refreshed first (the host rotates).
        session.refresh(connection)
        changed = connection.sealed_access_token != used
        _release(session)
        return changed
    _store_tokens(context, connection, tokens)
    _release(session)
    return True


def _call(
    session: Session,
    context: AppContext,
    connection: ObConnection,
    row: ObHostClient,
    method: str,
    path: str,
    *,
    content: bytes | None = None,
    content_type: str | None = None,
    accept: str = "application/json",
) -> Answer:
    """``method {root}{path}`` with the learner's access token: refreshed first when it is
    known to have expired, and once more if the host answers 401."""
    expires = connection.access_expires_at
    if expires is not None and expires <= utcnow():
        _refresh(session, context, connection, row)

    def attempt() -> Answer:
        token = _open_token(context, connection.id, b"access", connection.sealed_access_token)
        _release(session)
        headers = {"Authorization": f"Bearer {token}", "Accept": accept}
        if content_type:
            headers["Content-Type"] = content_type
        return client.send(context, method, row.api_root + path, headers=headers, content=content)

    answer = attempt()
    if answer.status == 401 and _refresh(session, context, connection, row):
        answer = attempt()
    return answer


@dataclass(frozen=True)
class Outcome:
    """What the host made of a call: ``created``, ``replaced``, ``updated`` or ``refused``
    (``detail``: the host's ``imsx_description`` or what went wrong)."""

    result: str
    status: int | None
    detail: str
    host: str


def _refusal(answer: Answer) -> str:
    data = answer.json()
    if isinstance(data, dict) and isinstance(data.get("imsx_description"), str):
        return f"{plain(data['imsx_description'], 500)} (HTTP {answer.status})"
    if answer.status == 401:
        return "The host no longer accepts this service's access: connect again (HTTP 401)."
    return f"HTTP {answer.status}"


def credential_choices(session: Session, account_id: uuid.UUID) -> list[tuple[str, str, bool]]:
    """What the learner can send: ``(value, label, has_jwt)`` for each issued and hosted
    credential (``issued:<id>`` / ``hosted:<id>``)."""
    choices = []
    for credential in accounts.issued_credentials(session, account_id):
        choices.append(
            (f"issued:{credential.id}", _label(credential.document), bool(credential.jwt))
        )
    for row in hosted_store.hosted_credentials(session, account_id):
        choices.append((f"hosted:{row.id}", _label(row.document), bool(row.compact_jws)))
    return choices


def _label(document: str | None) -> str:
    try:
        data = json.loads(document or "{}")
    except ValueError:
        return "?"
    subject = data.get("credentialSubject") if isinstance(data, dict) else None
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    name = achievement.get("name") if isinstance(achievement, dict) else None
    if isinstance(name, dict):  # a language map
        name = next(iter(name.values()), None)
    if not isinstance(name, str):
        name = data.get("name") if isinstance(data, dict) else None
    issuer = data.get("issuer") if isinstance(data, dict) else None
    issuer_name = issuer.get("name") if isinstance(issuer, dict) else None
    if isinstance(issuer_name, dict):
        issuer_name = next(iter(issuer_name.values()), None)
    label = str(name or data.get("id", "?") if isinstance(data, dict) else "?")
    return f"{label} ({issuer_name})" if isinstance(issuer_name, str) else label


def _credential(
    session: Session, account_id: uuid.UUID, choice: str
) -> tuple[dict[str, Any], str | None]:
    """The chosen credential of the account: its JSON-LD document and compact JWS (if any)."""
    kind, _, raw_id = (choice or "").partition(":")
    try:
        row_id = uuid.UUID(raw_id)
    except ValueError as exc:
        raise AppError("Choose one of your credentials.", field="credential") from exc
    if kind == "issued":
        issued = accounts.owned_credential(session, account_id, row_id)
        document, jws = issued.document, issued.jwt
    elif kind == "hosted":
        kept = accounts.owned_hosted(session, account_id, row_id)
        document, jws = kept.document, kept.compact_jws
    else:
        raise AppError("Choose one of your credentials.", field="credential")
    return json.loads(document), jws


def send_credential(
    session: Session,
    context: AppContext,
    account: LearnerAccount,
    connection_id: uuid.UUID,
    choice: str,
    form: str,
) -> Outcome:
    """``POST {root}/credentials`` (upsertCredential) with the chosen credential: JSON-LD, or
    with ``form="jwt"`` its compact JWS as ``text/plain``. The caller commits (a refreshed
    token is kept even when the host refuses the credential)."""
    connection, row = _connection(session, account, connection_id)
    if CREDENTIAL_UPSERT not in connection.scope.split():
        raise NotGranted("The host did not grant credential.upsert.")
    document, jws = _credential(session, account.id, choice)
    if form == "jwt":
        if not jws:
            raise AppError("This credential has no JWT form.", field="form")
        body, media = jws.encode("ascii"), "text/plain"
    else:
        body = json.dumps(document, ensure_ascii=False).encode("utf-8")
        media = "application/json"
    try:
        answer = _call(
            session,
            context,
            connection,
            row,
            "POST",
            "/credentials",
            content=body,
            content_type=media,
            accept=media,
        )
    except (HostUnreachable, client.HostRefusedUrl) as error:
        return Outcome("refused", None, error.detail, row.name)
    logger.info(
        "credential sent to %s for account %s: HTTP %s", row.api_root, account.id, answer.status
    )
    if answer.status == 201:
        return Outcome("created", 201, "", row.name)
    if answer.status == 200:
        return Outcome("replaced", 200, "", row.name)
    return Outcome("refused", answer.status, _refusal(answer), row.name)


def update_profile(
    session: Session,
    context: AppContext,
    account: LearnerAccount,
    connection_id: uuid.UUID,
    *,
    name: str,
    email: str,
) -> Outcome:
    """``PUT {root}/profile`` with the learner's name and (a verified) e-mail address: the
    whole Profile, its ``id`` read from the host first when ``profile.readonly`` was granted."""
    connection, row = _connection(session, account, connection_id)
    granted = connection.scope.split()
    if PROFILE_UPDATE not in granted:
        raise NotGranted("The host did not grant profile.update.")
    name = (name or "").strip()
    if len(name) > lengths.NAME:
        raise AppError(f"The name is longer than {lengths.NAME} characters.", field="name")
    email = (email or "").strip().lower()
    if email and email not in accounts.verified_emails(session, account.id):
        raise AppError("Choose one of your verified addresses.", field="email")
    profile: dict[str, Any] = {
        "@context": [OB_CONTEXT],
        "type": "Profile",
        "id": f"{context.settings.base_url}/ims/ob/v3p0/profiles/{account.id}",
    }
    try:
        if PROFILE_READONLY in granted:
            current = _call(session, context, connection, row, "GET", "/profile")
            data = current.json()
            if current.status == 200 and isinstance(data, dict) and isinstance(data.get("id"), str):
                profile = {key: data[key] for key in ("@context", "type", "id") if key in data}
                profile.update({k: v for k, v in data.items() if k not in ("name", "email")})
        if name:
            profile["name"] = name
        if email:
            profile["email"] = email
        answer = _call(
            session,
            context,
            connection,
            row,
            "PUT",
            "/profile",
            content=json.dumps(profile, ensure_ascii=False).encode("utf-8"),
            content_type="application/json",
        )
    except (HostUnreachable, client.HostRefusedUrl) as error:
        return Outcome("refused", None, error.detail, row.name)
    if answer.status in (200, 202):
        return Outcome("updated", answer.status, "", row.name)
    return Outcome("refused", answer.status, _refusal(answer), row.name)


def forget_connection(session: Session, connection_id: uuid.UUID) -> None:
    """Drop a connection whose access the host no longer honours (no revocation to ask for:
    its tokens are dead)."""
    session.execute(delete(ObConnection).where(ObConnection.id == connection_id))
    session.flush()


def disconnect(
    session: Session, context: AppContext, account: LearnerAccount, connection_id: uuid.UUID
) -> str:
    """Revoke the tokens at the host when it offers revocation (RFC 7009; the refresh token,
    which revokes the pair, else the access token) and forget them. The host's name."""
    connection, row = _connection(session, account, connection_id)
    if row.revocation_url:
        kind, blob = (
            (b"refresh", connection.sealed_refresh_token)
            if connection.sealed_refresh_token is not None
            else (b"access", connection.sealed_access_token)
        )
        try:
            token = _open_token(context, connection.id, kind, blob)
            _release(session)
            answer = client.send(
                context,
                "POST",
                row.revocation_url,
                headers={
                    "Authorization": _basic(row, _client_secret(context, row)),
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                content=urlencode(
                    {"token": token, "token_type_hint": f"{kind.decode()}_token"}
                ).encode("ascii"),
            )
            if answer.status != 200:
                logger.warning("revocation at %s answered HTTP %s", row.api_root, answer.status)
        except (AppError, SealError) as error:  # forgotten here all the same
            logger.warning("revocation at %s failed: %s", row.api_root, type(error).__name__)
    session.execute(delete(ObConnection).where(ObConnection.id == connection.id))
    return row.name


@dataclass(frozen=True)
class ConnectedHost:
    id: uuid.UUID
    name: str
    api_root: str
    since: Any
    can_upsert: bool
    can_update_profile: bool


def connected_hosts(session: Session, account_id: uuid.UUID) -> list[ConnectedHost]:
    return [
        ConnectedHost(
            id=connection.id,
            name=row.name,
            api_root=row.api_root,
            since=connection.created_at,
            can_upsert=CREDENTIAL_UPSERT in connection.scope.split(),
            can_update_profile=PROFILE_UPDATE in connection.scope.split(),
        )
        for connection, row in repository.connections(session, account_id)
    ]
