"""The public read path of credentials: signed bytes cached in-process, lean state lookups.

A signed credential never changes after issuance, so ``/credentials/{id}.json`` and ``.jwt``
serve bytes cached per id without touching the database or the thread pool. What can change is
visibility (a learner hides a credential): the entry is dropped in this process at once, after
the change commits (:mod:`app.hot.subscribers`), and other worker processes keep
answering for at most :data:`VISIBILITY_TTL_S`, the same trade-off the QR codes make.

Revocation and suspension are not in these bytes: verifiers read them from the status list,
which is re-signed before a revoke call returns. The credential page shows them from
:func:`public_state`, which asks the database at most once per :data:`STATE_TTL_S` per
credential and worker: a popular page (a link shared on social media) is then answered from
memory on the event loop, with no query and no thread hop, and a revocation shows at once in
the worker that made it and within a second in the others. The stores are declared in
:mod:`app.hot.public`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.credentials import repository
from app.credentials.service import CredentialNotFound
from app.hot import public as hot
from app.hot.public import STATE_TTL_S, VISIBILITY_TTL_S

__all__ = [
    "STATE_TTL_S",
    "VISIBILITY_TTL_S",
    "PageCredential",
    "PublicState",
    "PublishedCredential",
]


@dataclass(frozen=True, slots=True)
class PublishedCredential:
    """The stored signed forms of a visible credential."""

    id: uuid.UUID
    json: bytes | None
    """The signed JSON (None for credentials issued as VC-JWT only)."""
    jwt: str | None


@dataclass(frozen=True, slots=True)
class PublicState:
    """What the credential page needs to find its cached rendering (no document)."""

    id: uuid.UUID
    issuer_id: uuid.UUID
    achievement_id: uuid.UUID
    """Whose credential, of which achievement version: what a page view is counted under."""
    proof_format: str
    jwt: bool
    recipient_name: str | None
    valid_from: datetime
    valid_until: datetime | None
    revoked_at: datetime | None
    suspended_at: datetime | None


@dataclass(frozen=True, slots=True)
class PageCredential:
    """The columns of a visible credential its page reads, without an ORM object.

    A page not yet cached on SQLite reads these with one statement (:func:`page_credential_alone`):
    loading the ORM row in a session cost ~0.2 ms of the page's ~2 ms. The page's code reads
    a :class:`~app.models.Credential` and this alike (same attribute names).
    """

    id: uuid.UUID
    issuer_id: uuid.UUID
    achievement_id: uuid.UUID
    document: str
    jwt: str | None
    proof_format: str
    recipient_name: str | None
    recipient_email: str | None
    recipient_did: str | None
    valid_from: datetime
    valid_until: datetime | None
    revoked_at: datetime | None
    suspended_at: datetime | None
    idempotency_key: str | None
    bound_from_id: uuid.UUID | None
    canonical_seal: str | None


_STATE_FIELDS = tuple(name for name in PublicState.__dataclass_fields__ if name != "jwt")


def page_credential_alone(engine: Engine, credential_id: uuid.UUID) -> PageCredential:
    """The page's columns of a visible credential, read by one statement on the SQLite
    ``engine``'s driver connection, its state remembered as :func:`public_state` does;
    :class:`CredentialNotFound` when it is missing or hidden."""
    row = repository.page_row_alone(engine, credential_id)
    if row is None:
        _remember(credential_id, None)  # forgets its state, and raises CredentialNotFound
        raise CredentialNotFound("No such credential.")  # (for the type checker)
    state = {name: row[name] for name in _STATE_FIELDS}
    _remember(credential_id, {**state, "jwt": row["jwt"] is not None})
    return PageCredential(**row)


def cached(credential_id: uuid.UUID) -> PublishedCredential | None:
    """The cached signed forms, or None (then call :func:`load`)."""
    return hot.published.get(credential_id)


def load(session: Session, credential_id: uuid.UUID) -> PublishedCredential:
    """Read the signed forms of a visible credential (one primary-key query) and cache them."""
    row = repository.published_forms(session, credential_id)
    if row is None:
        raise CredentialNotFound("No such credential.")
    document, jwt, proof_format = row
    published = PublishedCredential(
        id=credential_id,
        json=None if proof_format == "jwt" else document.encode("utf-8"),
        jwt=jwt,
    )
    hot.published.put(credential_id, published, VISIBILITY_TTL_S)
    return published


def cached_state(credential_id: uuid.UUID) -> PublicState | None:
    """The state read less than :data:`STATE_TTL_S` ago, or None (then :func:`public_state`)."""
    return hot.public_states.get(credential_id)


def public_state(session: Session, credential_id: uuid.UUID) -> PublicState:
    """The small state of a visible credential, read now (404 when missing or hidden)."""
    return _remember(credential_id, repository.public_state(session, credential_id))


def _remember(credential_id: uuid.UUID, row: dict[str, Any] | None) -> PublicState:
    """The state of a row just read, cached (a missing or hidden one is forgotten: 404)."""
    if row is None:
        hot.public_states.discard(credential_id)
        raise CredentialNotFound("No such credential.")
    state = PublicState(**row)
    hot.public_states.put(credential_id, state, STATE_TTL_S)
    return state
