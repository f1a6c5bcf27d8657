"""The OAuth 2.0 authorization server of the Open Badges API, built on Authlib's server parts.

Authlib has integrations for Flask and Django, not FastAPI; it documents the adapter a custom
framework writes: an :class:`~authlib.oauth2.rfc6749.OAuth2Request` (method, URI, headers and
the form/query payload), a ``JsonRequest`` for registration, and ``handle_response``. That
adapter is :class:`FormRequest`/:class:`JsonBody` and :class:`Server` below; everything else is
Authlib's: the authorization-code grant (RFC 6749 §4.1) with PKCE (RFC 7636, ``S256`` only and
required), the refresh-token grant (§6, rotated on use), dynamic registration (RFC 7591) and
revocation (RFC 7009). There is no client-credentials grant.

What the Open Badges API adds (OB 3.0 §7): registration needs no initial access token (it is
rate-limited instead), requires ``client_name``, ``client_uri``, ``logo_uri``, ``tos_uri``,
``policy_uri``, ``software_id``, ``software_version`` and ``redirect_uris``, all on one host;
clients authenticate with ``client_secret_basic``. A server is made per request, bound to the
request's database session.
"""

# ruff: noqa: ARG002, ARG004  (Authlib's hooks have fixed signatures; not every one is used)

from __future__ import annotations

import hmac
import json
import logging
import secrets
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import (
    AccessDeniedError,
    AuthorizationServer,
    ClientMixin,
    InvalidGrantError,
    InvalidRequestError,
    JsonPayload,
    JsonRequest,
    OAuth2Payload,
    OAuth2Request,
    grants,
)
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7591 import ClientRegistrationEndpoint, InvalidClientMetadataError
from authlib.oauth2.rfc7636 import CodeChallenge
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from app.core.context import AppContext
from app.models import LearnerAccount, OAuthClient, OAuthCode, OAuthToken, lengths, utcnow
from app.obapi import repository
from app.obapi.schemas import SCOPES

CODE_TTL = timedelta(minutes=10)
ACCESS_TTL = timedelta(hours=1)
REFRESH_TTL = timedelta(days=90)
AUTH_METHOD = "client_secret_basic"
GRANT_TYPES = ("authorization_code", "refresh_token")
MAX_REDIRECT_URIS = 10
REQUIRED_METADATA = (
    "client_name",
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "software_id",
    "software_version",
    "redirect_uris",
)
URI_METADATA = ("client_uri", "logo_uri", "tos_uri", "policy_uri")
TEXT_METADATA = (
    "client_name",
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "software_id",
    "software_version",
    "scope",
    "token_endpoint_auth_method",
    "jwks_uri",
)
LIST_METADATA = ("redirect_uris", "grant_types", "response_types", "contacts")
SERVER_METADATA = {
    "scopes_supported": list(SCOPES),
    "response_types_supported": ["code"],
    "grant_types_supported": list(GRANT_TYPES),
    "token_endpoint_auth_methods_supported": [AUTH_METHOD],
    "code_challenge_methods_supported": ["S256"],
}

logging.getLogger("authlib").setLevel(logging.INFO)
"""Authlib logs every token pair it issues at DEBUG ("Issue token {...}"): never below INFO,
whatever the service's log level, so that no token reaches a log."""


# --- the framework adapter ---------------------------------------------------------------


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in items:
            self._datalist[key].append(value)
        self._data = {key: values[0] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class FormRequest(OAuth2Request):  # type: ignore[misc]
    """An OAuth request from FastAPI: ``query`` and ``form`` as (name, value) pairs."""

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Any,
        query: list[tuple[str, str]],
        form: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(method, uri, headers=headers)
        self._args = dict(query)
        self._form = dict(form or [])
        self.payload = _Payload(query + list(form or []))

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class _JsonPayload(JsonPayload):  # type: ignore[misc]
    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    @property
    def data(self) -> dict[str, Any]:
        return self._data


class JsonBody(JsonRequest):  # type: ignore[misc]
    """A JSON request (registration)."""

    def __init__(self, method: str, uri: str, headers: Any, data: dict[str, Any]) -> None:
        super().__init__(method, uri, headers)
        self.payload = _JsonPayload(data)


# --- the models as Authlib sees them ------------------------------------------------------


@dataclass
class Client(ClientMixin):  # type: ignore[misc]
    row: OAuthClient
    metadata: dict[str, Any]

    @classmethod
    def of(cls, row: OAuthClient) -> Client:
        return cls(row, json.loads(row.client_metadata))

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None  # the request must name one of the registered URIs, exactly

    def get_allowed_scope(self, scope: str | None) -> str | None:
        requested = scope_to_list(scope or "") or []
        allowed = set(scope_to_list(self.metadata.get("scope") or "") or [])
        granted = [s for s in SCOPES if s in requested and s in allowed]
        if not requested or len(granted) != len(set(requested)):
            return None  # nothing asked, or something unknown or not registered: invalid_scope
        return " ".join(granted)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.metadata.get("redirect_uris", [])

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(repository.digest(client_secret), self.row.client_secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == AUTH_METHOD

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.metadata.get("grant_types", GRANT_TYPES)


@dataclass
class Code:
    row: OAuthCode
    code_challenge: str
    code_challenge_method: str = "S256"

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope


@dataclass
class Token:
    row: OAuthToken

    def check_client(self, client: Client) -> bool:
        return self.row.client_pk == client.row.id

    def get_scope(self) -> str:
        return self.row.scope

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None


# --- grants and endpoints -----------------------------------------------------------------


class S256Only(CodeChallenge):  # type: ignore[misc]
    """PKCE required, ``S256`` only: a missing method means ``plain`` (RFC 7636 §4.3)."""

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send 'code_challenge' (S256).")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only 'code_challenge_method=S256' is accepted.")
        super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = [AUTH_METHOD]

    @property
    def db(self) -> Session:
        session: Session = self.server.session
        return session

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        account: LearnerAccount = request.user
        self.db.add(
            OAuthCode(
                code_hash=repository.digest(code),
                client_pk=request.client.row.id,
                account_id=account.id,
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope,
                code_challenge=request.payload.data["code_challenge"],
                expires_at=utcnow() + CODE_TTL,
            )
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        if not code or len(code) > 200:
            return None
        row = repository.claim_code(self.db, code, client.row.id)
        if row is None:
            replayed = repository.used_code(self.db, code, client.row.id)
            if replayed is not None:  # RFC 6749 §4.1.2: revoke what the code gave
                repository.revoke_tokens_of_code(self.db, replayed.id)  # refreshed ones too
                self.db.commit()
            return None
        self.server.code_pk = row.id
        return Code(row, row.code_challenge)

    def delete_authorization_code(self, authorization_code: Code) -> None:
        pass  # claimed (used_at) when it was looked up

    def authenticate_user(self, authorization_code: Code) -> LearnerAccount | None:
        return self.db.get(LearnerAccount, authorization_code.row.account_id)


class RefreshGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = [AUTH_METHOD]
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: each refresh token works once

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        session: Session = self.server.session
        row = repository.token_by_refresh(session, refresh_token)
        now = utcnow()
        if row is not None and row.revoked_at is not None and row.client_pk == self.client_pk:
            # a rotated (or revoked) refresh token used again: stolen, or its holder is;
            # revoke the whole grant (RFC 9700 §4.14.2)
            if row.code_pk is not None:
                repository.revoke_tokens_of_code(session, row.code_pk)
                session.commit()
            return None
        if (
            row is None
            or row.revoked_at is not None
            or row.refresh_expires_at is None
            or row.refresh_expires_at <= now
        ):
            return None
        self.server.code_pk = row.code_pk  # the new pair belongs to the same grant
        return Token(row)

    @property
    def client_pk(self) -> uuid.UUID | None:
        client = getattr(self.request, "client", None)
        return client.row.id if client is not None else None

    def authenticate_user(self, refresh_token: Token) -> LearnerAccount | None:
        session: Session = self.server.session
        return session.get(LearnerAccount, refresh_token.row.account_id)

    def revoke_old_credential(self, refresh_token: Token) -> None:
        if not repository.revoke_token(self.server.session, refresh_token.row.id):
            raise InvalidGrantError("The refresh token was already used.")


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS: ClassVar[list[str]] = [AUTH_METHOD]

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        session: Session = self.server.session
        lookups = [repository.token_by_access, repository.token_by_refresh]
        if token_type_hint == "refresh_token":
            lookups.reverse()
        for lookup in lookups:
            row = lookup(session, token_string)
            if row is not None:
                return Token(row)
        return None

    def revoke_token(self, token: Token, request: OAuth2Request) -> None:
        repository.revoke_token(self.server.session, token.row.id)


def _host(uri: str) -> str | None:
    try:
        parts = urlsplit(uri)
    except ValueError:
        return None
    return (parts.hostname or "").lower() or None


def _check_types(data: dict[str, Any]) -> None:
    """RFC 7591 §2's types, before Authlib's claim checks (which assume them and would fail
    with a ``TypeError`` on ``redirect_uris: [123]``, ``scope: 5``, …)."""
    for name in TEXT_METADATA:
        if name in data and not isinstance(data[name], str):
            raise InvalidClientMetadataError(f"{name} must be a string.")
    for name in LIST_METADATA:
        value = data.get(name)
        if name in data and not (
            isinstance(value, list) and all(isinstance(item, str) for item in value)
        ):
            raise InvalidClientMetadataError(f"{name} must be an array of strings.")
    if "jwks" in data:
        jwks = data["jwks"]
        keys = jwks.get("keys") if isinstance(jwks, dict) else None
        if not isinstance(keys, list) or not all(isinstance(key, dict) for key in keys):
            raise InvalidClientMetadataError("jwks must be a JWK Set (an object with keys).")


class Registration(ClientRegistrationEndpoint):  # type: ignore[misc]
    """RFC 7591 with OB 3.0's requirements; no initial access token (rate-limited instead)."""

    def authenticate_token(self, request: JsonRequest) -> bool:
        return True

    def get_server_metadata(self) -> dict[str, Any]:
        return SERVER_METADATA

    def resolve_public_key(self, request: JsonRequest) -> None:
        return None

    def extract_client_metadata(self, request: JsonRequest) -> dict[str, Any]:
        data = request.payload.data
        missing = [name for name in REQUIRED_METADATA if not data.get(name)]
        if missing:
            raise InvalidClientMetadataError(f"Missing {', '.join(missing)}.")
        _check_types(data)
        try:
            metadata: dict[str, Any] = super().extract_client_metadata(request)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:  # whatever slips past
            raise InvalidClientMetadataError("The client metadata is malformed.") from exc
        uris = metadata.get("redirect_uris")
        if not isinstance(uris, list) or not 1 <= len(uris) <= MAX_REDIRECT_URIS:
            raise InvalidClientMetadataError(
                f"redirect_uris must list 1 to {MAX_REDIRECT_URIS} URIs."
            )
        every = [metadata[name] for name in URI_METADATA] + uris
        for uri in every:
            if not isinstance(uri, str) or len(uri) > lengths.URL:
                raise InvalidClientMetadataError(f"Each URI must be at most {lengths.URL} long.")
            parts = urlsplit(uri)
            local = parts.hostname in ("localhost", "127.0.0.1")
            if parts.scheme != "https" and not (parts.scheme == "http" and local):
                raise InvalidClientMetadataError(f"{uri} is not an https URL.")
            if parts.fragment:
                raise InvalidClientMetadataError(f"{uri} has a fragment.")
        if len({_host(uri) for uri in every}) != 1:
            raise InvalidClientMetadataError(
                "client_uri, logo_uri, tos_uri, policy_uri and redirect_uris must all be on "
                "the same host."
            )
        for name, limit in (("client_name", lengths.NAME), ("software_id", 200)):
            if not isinstance(metadata.get(name), str) or len(metadata[name]) > limit:
                raise InvalidClientMetadataError(f"{name} must be text of at most {limit}.")
        if not isinstance(data.get("software_version"), str) or len(data["software_version"]) > 200:
            raise InvalidClientMetadataError("software_version must be text of at most 200.")
        metadata["software_version"] = data["software_version"]
        metadata.setdefault("grant_types", list(GRANT_TYPES))
        metadata.setdefault("response_types", ["code"])
        metadata.setdefault("token_endpoint_auth_method", AUTH_METHOD)
        metadata.setdefault("scope", " ".join(SCOPES))
        if metadata["token_endpoint_auth_method"] != AUTH_METHOD:
            raise InvalidClientMetadataError(f"token_endpoint_auth_method must be {AUTH_METHOD}.")
        return metadata

    def generate_client_id(self, request: JsonRequest) -> str:
        return str(uuid.uuid4())

    def generate_client_secret(self, request: JsonRequest) -> str:
        return secrets.token_urlsafe(32)

    def save_client(
        self, client_info: dict[str, Any], client_metadata: dict[str, Any], request: JsonRequest
    ) -> Client:
        row = OAuthClient(
            client_id=client_info["client_id"],
            client_secret_hash=repository.digest(client_info["client_secret"]),
            client_metadata=json.dumps(client_metadata, ensure_ascii=False),
        )
        session: Session = self.server.session
        session.add(row)
        return Client(row, client_metadata)


# --- the server -----------------------------------------------------------------------------


class Server(AuthorizationServer):  # type: ignore[misc]
    """Authlib's server, bound to one request's session."""

    def __init__(self, session: Session, context: AppContext) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.session = session
        self.context = context
        self.code_pk: uuid.UUID | None = None
        self.register_grant(CodeGrant, [S256Only(required=True)])
        self.register_grant(RefreshGrant)
        self.register_endpoint(Revocation(self))
        self.register_endpoint(Registration(self))
        self.register_token_generator("default", self._generate_token)

    def query_client(self, client_id: str) -> Client | None:
        row = repository.client_by_client_id(self.session, client_id)
        return Client.of(row) if row is not None else None

    @staticmethod
    def _generate_token(
        grant_type: str,
        client: Client,
        user: Any = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        token: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": secrets.token_urlsafe(32),
            "expires_in": int(ACCESS_TTL.total_seconds()),
            "scope": scope or "",
        }
        if include_refresh_token:
            token["refresh_token"] = secrets.token_urlsafe(32)
        return token

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        now = utcnow()
        refresh = token.get("refresh_token")
        self.session.add(
            OAuthToken(
                client_pk=request.client.row.id,
                account_id=request.user.id,
                code_pk=self.code_pk,
                access_token_hash=repository.digest(token["access_token"]),
                refresh_token_hash=repository.digest(refresh) if refresh else None,
                scope=token.get("scope") or "",
                access_expires_at=now + ACCESS_TTL,
                refresh_expires_at=now + REFRESH_TTL if refresh else None,
            )
        )

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        if not isinstance(request, OAuth2Request):
            raise TypeError("pass a FormRequest")
        return request

    def create_json_request(self, request: Any) -> JsonRequest:
        if not isinstance(request, JsonRequest):
            raise TypeError("pass a JsonBody")
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> Response:
        header_map = dict(headers or [])
        if "Location" in header_map:
            return Response(status_code=status, headers=header_map)
        header_map.pop("Content-Type", None)
        return JSONResponse(body, status_code=status, headers=header_map)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None


__all__ = ["AccessDeniedError", "FormRequest", "JsonBody", "Server"]
