"""Data Integrity proofs with the ``eddsa-rdfc-2022`` cryptosuite (create and verify).

The algorithm (W3C vc-di-eddsa, https://www.w3.org/TR/vc-di-eddsa/#eddsa-rdfc-2022):

1. Transformation (§3.3.2): RDFC-1.0 canonical N-Quads of the document without ``proof``.
2. Proof configuration (§3.3.5): the proof options (no ``proofValue``) with the document's
   ``@context``, canonicalised the same way.
3. Hashing (§3.3.3): ``SHA-256(canonical proof config) || SHA-256(canonical document)``.
4. Serialisation (§3.3.6): Ed25519 over those 64 bytes; ``proofValue`` is the signature as
   multibase base58btc (``z…``).

Verification (§3.3.2 "Verify Proof") redoes 1–3 and checks the signature. Two older suites that
the 1EdTech conformance corpus still uses are verified (never created) by the same steps:
``DataIntegrityProof``/``eddsa-2022`` (the suite's earlier name) and ``Ed25519Signature2020``
(https://w3c-ccg.github.io/lds-ed25519-2020/, whose proof type comes from the ed25519-2020
context the document must include).

Canonicalising the proof configuration costs about as much as a small document, yet it only ever
varies in ``created`` and ``verificationMethod``; :func:`_canonical_proof_config` therefore builds
it from a per-context template when the values are plain enough to substitute safely (proven
equal to the canonicalised form in ``tests/openbadges/test_data_integrity.py``).
"""

from __future__ import annotations

import copy
import hashlib
import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol

import base58

from openbadges.errors import OpenBadgesError, SigningError
from openbadges.jsonld.canonical import canonicalize, canonicalize_checked, canonicalize_defined
from openbadges.jsonld.limits import check_structure
from openbadges.jsonld.loader import CONTEXT_FILES
from openbadges.jsonld.safe import ensure_portable, ensure_signable
from openbadges.jsonld.shared import SharedParts
from openbadges.multibase import base58btc_decode

__all__ = [
    "CRYPTOSUITE",
    "VERIFIABLE_SUITES",
    "Signer",
    "Verifier",
    "canonical_digest",
    "proof_hash_data",
    "sign",
    "sign_with_digest",
    "verify_proof",
]

CRYPTOSUITE = "eddsa-rdfc-2022"
PROOF_TYPE = "DataIntegrityProof"
LEGACY_2020_TYPE = "Ed25519Signature2020"
VERIFIABLE_SUITES = frozenset({CRYPTOSUITE, "eddsa-2022", LEGACY_2020_TYPE})
"""Suites :func:`verify_proof` checks: the ``cryptosuite`` of a DataIntegrityProof, or the 2020 type."""

# XML Schema dateTime (https://www.w3.org/TR/xmlschema11-2/#dateTime), the form `created` takes.
_DATETIME = re.compile(
    r"-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?"
    r"(Z|[+-](0\d|1[0-3]):[0-5]\d|[+-]14:00)?"
)
# Values substituted into a proof-configuration template: only characters N-Quads writes as is
# (no quotes, backslashes, angle brackets, spaces or controls), so no escaping can differ.
_PLAIN_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]+")
_TEMPLATE_KEYS = frozenset({"type", "cryptosuite", "created", "verificationMethod", "proofPurpose"})
_SENTINEL_CREATED = "1999-12-31T23:59:59Z"
_SENTINEL_METHOD = "urn:openbadges:template:verification-method"
_SHA256_BYTES = 32


class Signer(Protocol):
    """Anything that signs bytes with Ed25519 (``openbadges.keys.SigningKey`` does)."""

    def sign(self, data: bytes) -> bytes:
        """Return the 64-byte Ed25519 signature of ``data``."""
        ...


class Verifier(Protocol):
    """Anything that checks an Ed25519 signature (``openbadges.keys.PublicKey`` does)."""

    def verify(self, signature: bytes, data: bytes) -> bool:
        """Return whether ``signature`` is valid for ``data``."""
        ...


def sign(
    document: dict[str, Any],
    key: Signer,
    *,
    verification_method: str,
    created: str | datetime | None = None,
    proof_purpose: str = "assertionMethod",
    shared: SharedParts | None = None,
) -> dict[str, Any]:
    """Add an ``eddsa-rdfc-2022`` DataIntegrityProof (vc-di-eddsa §3.3.1 "Create Proof").

    :func:`sign_with_digest` takes the same arguments and also returns the digest of the
    document's canonical form.

    Args:
        document: the unsecured credential; not modified. An existing ``proof`` is kept and the
            new one is appended to it (a proof set, vc-data-integrity §2.1.2).
        key: an Ed25519 signer.
        verification_method: the URL of the public key (``did:web:…#key-1``).
        created: the proof's creation time (a ``datetime`` is written in UTC to the second);
            defaults to now.
        proof_purpose: the proof purpose; credentials use ``assertionMethod``.
        shared: objects that the documents of one run (a batch) embed unchanged, walked once
            for all of them (:mod:`openbadges.jsonld.shared`); the signature is the same.

    Returns:
        A new document with ``proof`` set.

    Raises:
        UndefinedTermError: a term the contexts do not define (it would not be signed), or a
            value JSON-LD processors sign differently (``@direction``, a malformed
            ``@language``, integers beyond ±(2^53 − 1), doubles such as 1e-7; see
            :func:`openbadges.jsonld.safe.find_unportable_values`), with its JSON ``path``.
        SigningError: a bad ``created``, ``verification_method`` or key.
        ContextError, LimitExceededError, CanonicalizationError: from canonicalisation.
    """
    signed, _ = sign_with_digest(
        document,
        key,
        verification_method=verification_method,
        created=created,
        proof_purpose=proof_purpose,
        shared=shared,
    )
    return signed


def sign_with_digest(
    document: dict[str, Any],
    key: Signer,
    *,
    verification_method: str,
    created: str | datetime | None = None,
    proof_purpose: str = "assertionMethod",
    shared: SharedParts | None = None,
) -> tuple[dict[str, Any], bytes]:
    """:func:`sign`, and the SHA-256 of the document's canonical form (without ``proof``):
    the second half of what was signed (§3.3.3), as :func:`canonical_digest` computes it.

    A signer that keeps it, bound to the bytes it stores (a MAC under its own secret), can
    later verify its own document's proof without canonicalising it again
    (:func:`verify_proof_vetted`'s ``canonical_digest``).
    """
    _check_signer(key)
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    check_structure(unsecured, shared=shared)
    ensure_portable(unsecured, shared=shared)
    # One walk gives the canonical form and proves every term defined; when it cannot (an
    # undefined term, or a document outside the fast profile), the term check names the
    # problem and the reference path canonicalises.
    canonical = canonicalize_defined(unsecured, shared=shared)
    if canonical is None:
        ensure_signable(unsecured)
        canonical = canonicalize_checked(unsecured)
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": _format_created(created),
        "verificationMethod": _check_method(verification_method),
        "proofPurpose": proof_purpose,
    }
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()
    signature = key.sign(_hash_data(digest, proof, unsecured.get("@context")))
    if not isinstance(signature, bytes) or len(signature) != 64:
        raise SigningError("the key did not produce a 64-byte Ed25519 signature")
    proof["proofValue"] = "z" + base58.b58encode(signature).decode("ascii")
    signed: dict[str, Any] = _copy_json(unsecured)
    signed["proof"] = _append_proof(document.get("proof"), proof)
    return signed, digest


def verify_proof(document: dict[str, Any], proof: dict[str, Any], public_key: Verifier) -> bool:
    """Check one proof of a document (vc-di-eddsa §3.3.2 "Verify Proof").

    The caller chooses the proof (``document["proof"]`` may be an object or an array) and the key;
    whether the key belongs to the issuer, and whether the purpose is acceptable, are the
    caller's policy.

    Args:
        document: the secured or unsecured document; any ``proof`` in it is ignored.
        proof: the proof object to check.
        public_key: the Ed25519 key named by ``proof["verificationMethod"]``.

    Returns:
        True when the signature matches; False for a wrong signature or an undecodable or
        wrong-length ``proofValue``.

    Raises:
        SigningError: ``code="unsupported_proof"`` for a proof type or cryptosuite outside
            :data:`VERIFIABLE_SUITES`, or a proof that is not an object.
        UndefinedTermError: the document holds values JSON-LD processors sign differently
            (:func:`openbadges.jsonld.safe.find_unportable_values`), so no verdict is possible.
        ContextError, LimitExceededError, CanonicalizationError: the document cannot be
            canonicalised (it is unusable rather than forged).
    """
    return verify_proof_vetted(document, proof, public_key)[0]


def verify_proof_vetted(
    document: dict[str, Any],
    proof: dict[str, Any],
    public_key: Verifier,
    *,
    bounded: bool = False,
    canonical_digest: bytes | None = None,
) -> tuple[bool, bool]:
    """:func:`verify_proof`, and whether its canonicalisation proved every term of the document
    defined (False: not known; run :func:`openbadges.jsonld.safe.find_undefined_terms`).

    A verifier reports terms the context does not define (they are not signed); the walk that
    canonicalises a document of the Open Badges profile finds them anyway, so a page verifying
    a credential needs no second walk for it. ``bounded``: the caller has already applied
    :func:`~openbadges.jsonld.limits.check_structure` to the document (or to a document it is
    part of) under the limits in force, so it is not walked again.

    ``canonical_digest``: the SHA-256 of this document's canonical form, as its signer
    recorded it (:func:`sign_with_digest`). The document is then neither checked nor
    canonicalised (its digest is the signer's word for it, and every term is taken as defined,
    as signing proved): pass it only for a document known to be byte for byte the one the
    digest was made of, e.g. by a MAC the signer made over both. A digest of another document
    makes the signature fail, never pass.

    Raises:
        What :func:`verify_proof` raises.
    """
    _check_verifiable(proof)
    signature = _decode_proof_value(proof.get("proofValue"))
    if signature is None:
        return False, False
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    ensure_portable(options)
    if canonical_digest is not None and len(canonical_digest) == _SHA256_BYTES:
        data = _hash_data(canonical_digest, options, document.get("@context"))
        return bool(public_key.verify(signature, data)), True
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    ensure_portable(unsecured)
    if not bounded:
        check_structure(unsecured)
    canonical = canonicalize_defined(unsecured)
    defined = canonical is not None
    if canonical is None:
        canonical = canonicalize_checked(unsecured)
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()
    data = _hash_data(digest, options, unsecured.get("@context"))
    return bool(public_key.verify(signature, data)), defined


def proof_hash_data(document: dict[str, Any], proof_options: dict[str, Any]) -> bytes:
    """The 64 bytes that are signed (vc-di-eddsa §3.3.3 "Hashing (eddsa-rdfc-2022)").

    Args:
        document: the unsecured document (a ``proof`` in it is ignored).
        proof_options: the proof without ``proofValue`` (a ``proofValue`` is ignored); its
            ``@context`` is replaced by the document's, as §3.3.5 prescribes.

    Returns:
        ``SHA-256(canonical proof configuration) || SHA-256(canonical document)``.

    Raises:
        ContextError, LimitExceededError, CanonicalizationError: from canonicalisation.
    """
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    return _hash_data(canonical_digest(unsecured), proof_options, unsecured.get("@context"))


def canonical_digest(document: dict[str, Any]) -> bytes:
    """SHA-256 of the canonical N-Quads of ``document`` without ``proof`` (the second half of
    the signed data, §3.3.3).

    Raises:
        ContextError, LimitExceededError, CanonicalizationError: from canonicalisation.
    """
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    return hashlib.sha256(canonicalize(unsecured).encode("utf-8")).digest()


def _hash_data(document_digest: bytes, proof_options: dict[str, Any], context: Any) -> bytes:
    """The hashing step (§3.3.3) from the document's canonical digest and the proof options."""
    options = {k: v for k, v in proof_options.items() if k not in ("proofValue", "@context")}
    config_hash = hashlib.sha256(_canonical_proof_config(options, context))
    return config_hash.digest() + document_digest


def _copy_json(value: Any) -> Any:
    """A deep copy of parsed JSON (dicts, lists, scalars), several times faster than deepcopy."""
    if isinstance(value, dict):
        return {k: _copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_json(v) for v in value]
    return value


def _canonical_proof_config(options: dict[str, Any], context: Any) -> bytes:
    """Canonical N-Quads of the proof configuration (§3.3.5), templated when safe."""
    template = _template_for(options, context)
    if template is not None:
        created, method = options["created"], options["verificationMethod"]
        return (
            template.replace(_SENTINEL_CREATED, created).replace(_SENTINEL_METHOD, method).encode()
        )
    config = {"@context": copy.deepcopy(context), **options} if context is not None else options
    return canonicalize(config).encode("utf-8")


def _template_for(options: dict[str, Any], context: Any) -> str | None:
    """The cached template for these options' shape, or None when they must be canonicalised."""
    if set(options) != _TEMPLATE_KEYS or not _is_context_key(context):
        return None
    created, method = options["created"], options["verificationMethod"]
    if not (isinstance(created, str) and _DATETIME.fullmatch(created)):
        return None
    if not (isinstance(method, str) and _PLAIN_IRI.fullmatch(method)):
        return None
    shape = (options["type"], options["cryptosuite"], options["proofPurpose"])
    if not all(isinstance(part, str) and len(part) <= 64 for part in shape):
        return None
    contexts = tuple(context) if isinstance(context, list) else (context,)
    return _build_template(contexts, *shape)


@lru_cache(maxsize=64)
def _build_template(
    contexts: tuple[str, ...], proof_type: str, suite: str, purpose: str
) -> str | None:
    """Canonicalise a proof configuration holding sentinels once per context list and shape."""
    config = {
        "@context": list(contexts),
        "type": proof_type,
        "cryptosuite": suite,
        "created": _SENTINEL_CREATED,
        "verificationMethod": _SENTINEL_METHOD,
        "proofPurpose": purpose,
    }
    try:
        canonical = canonicalize(config)
    except OpenBadgesError:
        return None  # let the real call raise with the real values
    ok = canonical.count(_SENTINEL_CREATED) == 1 and canonical.count(_SENTINEL_METHOD) == 1
    return canonical if ok else None


def _is_context_key(context: Any) -> bool:
    """Only contexts made of bundled context URLs can key the template cache: the key must not
    hold whatever strings a document brings (a verifier reads anonymous input)."""
    urls = [context] if isinstance(context, str) else context
    return (
        isinstance(urls, list)
        and len(urls) <= _MAX_TEMPLATE_CONTEXTS
        and all(isinstance(c, str) and c in CONTEXT_FILES for c in urls)
    )


_MAX_TEMPLATE_CONTEXTS = 8


def _check_verifiable(proof: Any) -> None:
    """Refuse proofs of a suite this module cannot verify."""
    if not isinstance(proof, dict):
        raise SigningError("a proof must be a JSON object", code="unsupported_proof")
    proof_type = proof.get("type")
    suite = proof.get("cryptosuite") if proof_type == PROOF_TYPE else proof_type
    if suite not in VERIFIABLE_SUITES or (
        proof_type == LEGACY_2020_TYPE and "cryptosuite" in proof
    ):
        raise SigningError(
            f"proof type {proof_type!r} with cryptosuite {proof.get('cryptosuite')!r} is not "
            f"supported (supported: {', '.join(sorted(VERIFIABLE_SUITES))})",
            code="unsupported_proof",
        )


def _decode_proof_value(value: Any) -> bytes | None:
    """Decode a base58btc multibase ``proofValue`` to 64 bytes, or None if it is not one."""
    if not isinstance(value, str) or not value.startswith("z"):
        return None
    try:
        decoded = base58btc_decode(value[1:])
    except ValueError:
        return None
    return decoded if len(decoded) == 64 else None


def _format_created(created: str | datetime | None) -> str:
    """``created`` as an XML Schema dateTime; a datetime becomes UTC ``…Z`` to the second."""
    if created is None:
        created = datetime.now(UTC)
    if isinstance(created, datetime):
        if created.tzinfo is None:
            raise SigningError("created must be timezone-aware", path="$.proof.created")
        return created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if not _DATETIME.fullmatch(created):
        raise SigningError(
            f"created {created!r} is not an XML Schema dateTime", path="$.proof.created"
        )
    return created


def _check_method(verification_method: str) -> str:
    """The verification method must be an absolute IRI (else it would not be signed)."""
    if not isinstance(verification_method, str) or not _PLAIN_IRI.fullmatch(verification_method):
        raise SigningError(
            f"verificationMethod {verification_method!r} is not an absolute IRI",
            path="$.proof.verificationMethod",
        )
    return verification_method


def _check_signer(key: Any) -> None:
    """eddsa-rdfc-2022 is Ed25519 only; refuse keys that say they are something else."""
    key_type = getattr(key, "key_type", None)
    if key_type is not None and str(key_type) != "Ed25519":
        raise SigningError(f"eddsa-rdfc-2022 needs an Ed25519 key, not {key_type}")
    if not callable(getattr(key, "sign", None)):
        raise SigningError("the key has no sign(bytes) method")


def _append_proof(existing: Any, proof: dict[str, Any]) -> dict[str, Any] | list[Any]:
    """Keep earlier proofs: the new proof joins them as a proof set."""
    if existing is None:
        return proof
    earlier = existing if isinstance(existing, list) else [existing]
    return [*copy.deepcopy(earlier), proof]
