"""The Open Badges API's resources for an authorized app: credentials and the profile.

An app reaches a learner's data only with an access token bound to that learner's account,
that app (client) and the scopes the learner granted; :func:`authorize` checks all three for
each call (RFC 6750 errors: 401 ``invalid_token``, 403 ``insufficient_scope``).
"""

from __future__ import annotations

import importlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import hosted
from app.core.context import AppContext
from app.core.errors import AppError
from app.models import Credential, LearnerAccount, OAuthClient, lengths, utcnow
from app.obapi import repository
from app.obapi.schemas import OB_CONTEXT, PREFIX

REALM = "Open Badges API"


class BearerError(AppError):
    """RFC 6750 §3: a missing, unknown, expired or revoked token (401) or too few scopes
    (403); ``WWW-Authenticate`` says which."""

    def __init__(self, status: int, error: str | None, detail: str, scope: str | None = None):
        challenge = f'Bearer realm="{REALM}"'
        if error:
            challenge += f', error="{error}", error_description="{detail}"'
        if scope:
            challenge += f', scope="{scope}"'
        super().__init__(detail, headers={"WWW-Authenticate": challenge})
        self.status = status


class InvalidProfile(AppError):
    """A Profile the service does not accept (``PUT /profile``)."""


@dataclass(frozen=True)
class Grant:
    """Who is calling: the learner's account, through which app, with which scopes."""

    account: LearnerAccount
    client: OAuthClient
    scopes: frozenset[str]


def authorize(session: Session, authorization: str | None, scope: str) -> Grant:
    """The grant behind ``Authorization: Bearer …`` when it has ``scope``; raises
    :class:`BearerError`."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise BearerError(401, None, "An access token is required.")
    row = repository.token_by_access(session, token.strip())
    if row is None or row.revoked_at is not None or row.access_expires_at <= utcnow():
        raise BearerError(401, "invalid_token", "The access token is unknown, expired or revoked.")
    scopes = frozenset(row.scope.split())
    if scope not in scopes:
        raise BearerError(403, "insufficient_scope", "The token lacks the scope.", scope)
    account = session.get(LearnerAccount, row.account_id)
    client = session.get(OAuthClient, row.client_pk)
    if account is None or client is None:
        raise BearerError(401, "invalid_token", "The access token is unknown, expired or revoked.")
    return Grant(account, client, scopes)


# --- credentials ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One credential of the listing: its JSON-LD form or its compact JWS."""

    at: datetime
    document: dict[str, Any] | None
    compact_jws: str | None


def _issued(session: Session, account_id: uuid.UUID) -> list[Credential]:
    """The credentials this service issued to the account's verified addresses
    (``app.accounts.service.issued_credentials`` when the accounts package has it)."""
    try:
        accounts = importlib.import_module("app.accounts.service")
    except ModuleNotFoundError as exc:
        if exc.name != "app.accounts.service":
            raise
        accounts = None
    if accounts is not None and hasattr(accounts, "issued_credentials"):
        found: list[Credential] = accounts.issued_credentials(session, account_id)
        return found
    emails = repository.verified_emails(session, account_id)
    if not emails:
        return []
    return list(
        session.scalars(
            select(Credential)
            .where(Credential.recipient_email.in_(emails), Credential.hidden.is_(False))
            .order_by(Credential.created_at.desc())
        )
    )


def _issued_at(credential: Credential) -> datetime:
    return max(
        (t for t in (credential.created_at, credential.revoked_at, credential.suspended_at) if t),
    )


def _issued_item(credential: Credential) -> Item:
    at = _issued_at(credential)
    if credential.proof_format == "jwt" and credential.jwt:
        return Item(at, None, credential.jwt)
    return Item(at, json.loads(credential.document), None)


def credentials(
    session: Session,
    account_id: uuid.UUID,
    *,
    since: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[Item], int]:
    """One page of the account's credentials, newest first, and how many there are: issued
    here (hidden ones left out by the accounts package) and hosted (not hidden). Hosted ones
    are paged in SQL; only the page's documents are read and parsed."""
    issued = [c for c in _issued(session, account_id) if not c.hidden]
    stamped: list[tuple[datetime, Credential | uuid.UUID]] = [(_issued_at(c), c) for c in issued]
    if since is not None:
        stamped = [pair for pair in stamped if pair[0] > since]
    total = len(stamped) + hosted.count_hosted(session, account_id, since=since)
    window = min(offset + limit, total)
    index = hosted.hosted_index(session, account_id, since=since, limit=max(window, 1))
    stamped += [(at, row_id) for row_id, at in index]
    stamped.sort(key=lambda pair: pair[0], reverse=True)  # stable: issued first on a tie
    page = stamped[offset : offset + limit]
    rows = hosted.hosted_by_ids(
        session, account_id, [ref for _, ref in page if isinstance(ref, uuid.UUID)]
    )
    items: list[Item] = []
    for at, ref in page:
        if not isinstance(ref, uuid.UUID):
            items.append(_issued_item(ref))
            continue
        row = rows.get(ref)
        if row is None:  # deleted between the two reads
            continue
        if row.compact_jws:
            items.append(Item(at, None, row.compact_jws))
        else:
            items.append(Item(at, json.loads(row.document), None))
    return items, total


def upsert(
    session: Session,
    context: AppContext,
    grant: Grant,
    *,
    document: dict[str, Any] | None,
    compact_jws: str | None,
) -> bool:
    """Keep the app's credential for the learner; True when it was new (201), False when it
    replaced an equal one (200). The caller commits."""
    _, created = hosted.upsert_hosted(
        session,
        context,
        grant.account.id,
        document=document,
        compact_jws=compact_jws,
        source=f"app:{grant.client.client_id}",
    )
    return created


# --- profile --------------------------------------------------------------------------------


def profile_id(context: AppContext, account_id: uuid.UUID) -> str:
    """The learner's Profile id: a URL of this service naming the account (it is not a
    public document; the profile is read with a token at ``GET /profile``)."""
    return f"{context.settings.base_url}{PREFIX}/profiles/{account_id}"


def profile(session: Session, context: AppContext, account: LearnerAccount) -> dict[str, Any]:
    """OB 3.0 ``Profile`` of the learner: ``id``, ``name`` (when set) and ``email`` (the first
    verified address)."""
    document: dict[str, Any] = {
        "@context": [OB_CONTEXT],
        "type": "Profile",
        "id": profile_id(context, account.id),
    }
    if account.name:
        document["name"] = account.name
    emails = repository.verified_emails(session, account.id)
    if emails:
        document["email"] = emails[0]
    return document


def update_profile(
    session: Session, context: AppContext, account: LearnerAccount, body: Any
) -> dict[str, Any]:
    """``PUT /profile``: the whole Profile. ``name`` is kept (at most ``lengths.NAME``);
    ``email`` must be one of the learner's verified addresses (the service does not take an
    unverified one from an app); other properties are not kept. The caller commits."""
    if not isinstance(body, dict):
        raise InvalidProfile("The body must be a Profile object.", field="$")
    types = body.get("type")
    if types != "Profile" and not (isinstance(types, list) and "Profile" in types):
        raise InvalidProfile("type must be Profile.", field="type")
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > lengths.NAME):
        raise InvalidProfile(f"name must be text of at most {lengths.NAME}.", field="name")
    email = body.get("email")
    if email is not None:
        verified = repository.verified_emails(session, account.id)
        if not isinstance(email, str) or email.strip().lower() not in verified:
            raise InvalidProfile(
                "email must be one of the learner's verified addresses.", field="email"
            )
    account.name = (name.strip() or None) if isinstance(name, str) else None
    session.flush()
    return profile(session, context, account)


# --- connected apps -------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectedApp:
    client_id: str
    name: str
    host: str
    logo_uri: str | None
    since: datetime


def connected_apps(session: Session, account_id: uuid.UUID) -> list[ConnectedApp]:
    """The apps holding a live token of the learner, newest grant first."""
    apps = []
    for client, since in repository.authorized_clients(session, account_id, utcnow()):
        metadata = json.loads(client.client_metadata)
        apps.append(
            ConnectedApp(
                client_id=client.client_id,
                name=str(metadata.get("client_name") or client.client_id),
                host=urlsplit(str(metadata.get("client_uri") or "")).hostname or "",
                logo_uri=metadata.get("logo_uri"),
                since=since,
            )
        )
    return apps


def revoke_app(session: Session, account_id: uuid.UUID, client_id: str) -> int:
    """Revoke every token of the app for the learner (the caller commits)."""
    client = repository.client_by_client_id(session, client_id)
    if client is None:
        return 0
    return repository.revoke_client_tokens(session, account_id, client.id)
