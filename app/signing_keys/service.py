"""Signing keys: generation, custody through the keystore, signing, rotation, publication.

Keys are never deleted. Rotation adds a new active key and retires the previous one, which
stays in the DID document so credentials signed with it keep verifying (did:web keeps no
history: did-method-web#85).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from app.audit import service as audit
from app.core import events
from app.core.context import AppContext
from app.core.errors import Conflict
from app.core.urls import issuer_did
from app.events import KeysRotated
from app.hot.issuing import ACTIVE_KEY_CACHE_SECONDS, active_keys, key_generations
from app.hot.verification import DID_DOCUMENT_CACHE_SECONDS, did_documents
from app.models import SigningKey
from app.signing_keys import repository
from openbadges import did as ob_did
from openbadges.jsonld.shared import SharedParts
from openbadges.keys import KeyType, PublicKey, jwk_thumbprint
from openbadges.keys import SigningKey as LibSigningKey
from openbadges.proofs import data_integrity
from openbadges.proofs import jwt as ob_jwt

DATA_INTEGRITY = "data-integrity"
JWT = "jwt"
DEFAULT_KEY_TYPES: dict[str, KeyType] = {DATA_INTEGRITY: KeyType.ED25519, JWT: KeyType.RSA}
"""New issuers sign VC-JWTs with RSA-2048 (RS256): OB 3.0 says "The signing algorithm MUST be
RS256 as a minimum … Support for other algorithms is permitted but their use limits
interoperability" (https://www.imsglobal.org/spec/ob/v3p0/#jwt-proof). Issuers created before
this default keep their P-256 keys; the algorithm follows the active key's type."""

JWT_ALGORITHMS: dict[str, KeyType] = {
    "RS256": KeyType.RSA,
    "ES256": KeyType.P256,
    "EdDSA": KeyType.ED25519,
}
"""The VC-JWT ``alg`` an issuer may choose at creation, and the key type each needs."""


class NoActiveKey(Conflict):
    """The issuer has no active key for the proof asked for."""


class KeyHandle(Protocol):
    """What signing needs of a key: a stored row, or a cached :class:`ActiveKey`."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def verification_method(self) -> str: ...
    @property
    def sealed_private_key(self) -> bytes: ...
    @property
    def kek_id(self) -> str: ...


@dataclass(frozen=True, slots=True)
class ActiveKey:
    """An immutable copy of an active key row's signing columns, safe to share across threads
    (an ORM row is tied to the session that loaded it)."""

    id: uuid.UUID
    verification_method: str
    sealed_private_key: bytes
    kek_id: str


def _verification_method(did: str, public_key: PublicKey) -> str:
    """``<did>#<multibase>`` for Ed25519, ``<did>#<JWK thumbprint>`` otherwise."""
    if public_key.key_type is KeyType.ED25519:
        return f"{did}#{public_key.multibase}"
    return f"{did}#{jwk_thumbprint(public_key.to_jwk())}"


def create_key(
    session: Session,
    context: AppContext,
    issuer_id: uuid.UUID,
    purpose: str,
    key_type: KeyType | None = None,
) -> SigningKey:
    """Generate, seal and add a new active key (flushes; the caller commits)."""
    kind = key_type or DEFAULT_KEY_TYPES[purpose]
    private = LibSigningKey.generate(kind)
    public = private.public_key
    did = issuer_did(context.settings.base_url, issuer_id)
    row = SigningKey(
        id=uuid.uuid4(),
        issuer_id=issuer_id,
        key_type=kind.value,
        purpose=purpose,
        state="active",
        verification_method=_verification_method(did, public),
        public_jwk=public.to_jwk(),
        public_multibase=public.multibase if kind is KeyType.ED25519 else None,
    )
    sealed = context.keystore.seal(private, row.id)
    row.sealed_private_key, row.kek_id = sealed.blob, sealed.kek_id
    session.add(row)
    session.flush()
    return row


def create_initial_keys(
    session: Session,
    context: AppContext,
    issuer_id: uuid.UUID,
    *,
    jwt_key_type: KeyType | None = None,
) -> None:
    """One Data Integrity (Ed25519) and one VC-JWT key (RSA-2048 unless chosen) for a new issuer.

    Rotation keeps the type of the retired key, so the issuer keeps its JWT algorithm.
    """
    create_key(session, context, issuer_id, DATA_INTEGRITY)
    create_key(session, context, issuer_id, JWT, jwt_key_type)


def require_active_key(session: Session, issuer_id: uuid.UUID, purpose: str) -> SigningKey:
    """The active key for ``purpose`` or 409."""
    key = repository.active_key(session, issuer_id, purpose)
    if key is None:
        raise NoActiveKey(f"The issuer has no active {purpose} key; rotate keys to create one.")
    return key


def active_key(session: Session, issuer_id: uuid.UUID, purpose: str) -> ActiveKey:
    """The active key for ``purpose`` or 409, from this worker's short-lived cache when it can.

    See :data:`~app.hot.issuing.ACTIVE_KEY_CACHE_SECONDS` for why a just-retired key is
    acceptable here.
    """
    cached = active_keys.get((issuer_id, purpose))
    if cached is not None:
        return cached
    generation = key_generations.of(issuer_id)
    row = require_active_key(session, issuer_id, purpose)
    key = ActiveKey(row.id, row.verification_method, row.sealed_private_key, row.kek_id)
    with key_generations.lock:
        # Under the lock a rotation's forgetting takes (app.hot.subscribers): no forgetting
        # between check and put.
        if key_generations.of(issuer_id) == generation:
            active_keys.put((issuer_id, purpose), key, ACTIVE_KEY_CACHE_SECONDS)
    return key


def sign_data_integrity(
    context: AppContext,
    key: KeyHandle,
    document: dict[str, Any],
    shared: SharedParts | None = None,
) -> dict[str, Any]:
    """Attach an ``eddsa-rdfc-2022`` proof made with ``key`` (``shared``: the objects a
    batch's documents embed alike, walked once; see :mod:`openbadges.jsonld.shared`)."""
    return sign_data_integrity_with_digest(context, key, document, shared)[0]


def sign_data_integrity_with_digest(
    context: AppContext,
    key: KeyHandle,
    document: dict[str, Any],
    shared: SharedParts | None = None,
) -> tuple[dict[str, Any], bytes]:
    """:func:`sign_data_integrity`, and the digest of the document's canonical form that was
    signed (kept by issuing, sealed: :mod:`app.credentials.seal`)."""
    private = context.keystore.open(key.sealed_private_key, key.id, key.kek_id)
    return data_integrity.sign_with_digest(
        document, private, verification_method=key.verification_method, shared=shared
    )


def sign_jwt(context: AppContext, key: KeyHandle, credential: dict[str, Any]) -> str:
    """Encode ``credential`` as a VC-JWT whose ``kid`` is the key's DID URL."""
    private = context.keystore.open(key.sealed_private_key, key.id, key.kek_id)
    return ob_jwt.encode(credential, private, kid=key.verification_method)


def rotate_keys(
    session: Session,
    context: AppContext,
    issuer_id: uuid.UUID,
    *,
    actor: str,
    purposes: Sequence[str] = (DATA_INTEGRITY, JWT),
    jwt_key_type: KeyType | None = None,
) -> list[SigningKey]:
    """Retire the active keys for ``purposes`` and add new ones; one transaction, audited."""
    now = datetime.now(UTC)
    created: list[SigningKey] = []
    for purpose in dict.fromkeys(purposes):
        old = repository.active_key(session, issuer_id, purpose)
        kind = jwt_key_type if purpose == JWT and jwt_key_type else None
        if old is not None and kind is None:
            kind = KeyType(old.key_type)
        new = create_key(session, context, issuer_id, purpose, kind)
        if old is not None:
            old.state, old.retired_at = "retired", now
        audit.record(
            session,
            actor=actor,
            action="key.rotate",
            subject_type="signing_key",
            subject_id=new.id,
            issuer_id=issuer_id,
            signing_key_id=new.id,
            details={"purpose": purpose, "retired": str(old.id) if old else None},
        )
        created.append(new)
    # Forgotten after the commit (app.hot.subscribers): forgetting earlier would let a
    # concurrent issuance in this worker cache the old key again before the new one is visible.
    events.record(session, KeysRotated(issuer_id=issuer_id))
    session.commit()
    return created


def list_keys(session: Session, issuer_id: uuid.UUID) -> Sequence[SigningKey]:
    """Every key of the issuer."""
    return repository.list_for_issuer(session, issuer_id)


def did_document(session: Session, context: AppContext, issuer_id: uuid.UUID) -> dict[str, Any]:
    """The DID document: every key the issuer ever had, active or retired."""
    did = issuer_did(context.settings.base_url, issuer_id)
    methods = [
        ob_did.VerificationMethod(
            id=key.verification_method,
            controller=did,
            public_key=PublicKey.from_jwk(key.public_jwk),
        )
        for key in repository.list_for_issuer(session, issuer_id)
    ]
    return ob_did.did_document(did, methods)


def cached_did_document(
    session: Session, context: AppContext, issuer_id: uuid.UUID
) -> dict[str, Any]:
    """:func:`did_document` kept for :data:`~app.hot.verification.DID_DOCUMENT_CACHE_SECONDS`
    (treat as read-only).

    Only documents with keys are kept: an id without any (no such issuer) is not remembered.
    """
    cached = did_documents.get(issuer_id)
    if cached is not None:
        return cached
    generation = key_generations.of(issuer_id)
    document = did_document(session, context, issuer_id)
    with key_generations.lock:
        if document.get("verificationMethod") and key_generations.of(issuer_id) == generation:
            did_documents.put(issuer_id, document, DID_DOCUMENT_CACHE_SECONDS)
    return document


def jwks(session: Session) -> dict[str, Any]:
    """The service-wide JWK Set; each ``kid`` is the key's DID URL."""
    keys = [
        {**key.public_jwk, "kid": key.verification_method} for key in repository.list_all(session)
    ]
    return {"keys": keys}
