"""Which key checks a proof, and is that key really the issuer's?

A credential can name any key it likes, so a key is never trusted because the credential names
it (spec-digest §3 security note; OB 3.0 ``integrity.md`` "Dereferencing the Public Key"). The
key must be *bound* to the issuer: found in the issuer's DID document, the controller document
of the verification method (whose ``controller`` is the issuer), the issuer profile, or the JWK
Set published next to it.

Two policies (``docs/design.md``):

* ``"bound"`` (the service): the binding is always established from the issuer's own documents,
  fetched through the :class:`~openbadges.resolver.Resolver`. When they cannot be fetched the
  binding is ``unknown``; when they do not list the key it is ``invalid``.
* ``"validator"`` (conformance): reproduces 1EdTech's validator, which takes the key from a
  ``<issuer.id>#z6Mk…`` fragment without fetching anything, accepts any did:key, and accepts a
  JWT header ``jwk``. Every such acceptance says so in the detail.

Failures to obtain *any* key are raised: :class:`~openbadges.errors.KeyFormatError` when the
reference is malformed or names no key (the proof is ``invalid``) and
:class:`~openbadges.errors.ResolutionError` when the document holding the key could not be
fetched (the proof is ``unknown``).

Specs:
    https://www.imsglobal.org/spec/ob/v3p0/#dereferencing-the-public-key
    https://www.w3.org/TR/vc-data-integrity/#retrieve-verification-method
    https://www.w3.org/TR/did-core/#assertion
    https://w3c-ccg.github.io/did-method-web/#read-resolve
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from openbadges.did import (
    VerificationMethod,
    did_web_to_url,
    find_verification_method,
    resolve_did_key,
    verification_method_from_json,
)
from openbadges.errors import KeyFormatError, ResolutionError
from openbadges.keys import PublicKey, select_jwk
from openbadges.resolver import Resolver
from openbadges.verification.report import CheckStatus

__all__ = [
    "KeyPolicy",
    "ResolvedKey",
    "issuer_published_keys",
    "resolve_jwt_key",
    "resolve_verification_method",
]

KeyPolicy = Literal["bound", "validator"]

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_KEY_DOC_TYPES = frozenset(
    {"Multikey", "Ed25519VerificationKey2020", "JsonWebKey", "JsonWebKey2020"}
)


@dataclass(frozen=True, slots=True)
class ResolvedKey:
    """A key to check a signature with, and whether it is bound to the issuer.

    Attributes:
        public_key: the key material.
        binding: ``valid`` (bound to the issuer), ``invalid`` (provably not the issuer's) or
            ``unknown`` (the issuer's documents could not be fetched).
        detail: a sentence explaining the binding.
    """

    public_key: PublicKey
    binding: CheckStatus
    detail: str


def resolve_verification_method(
    vm_url: object, issuer_id: str | None, resolver: Resolver, *, policy: KeyPolicy = "bound"
) -> ResolvedKey:
    """Obtain the key of a Data Integrity ``verificationMethod`` and judge its binding.

    Args:
        vm_url: the proof's ``verificationMethod`` (a DID URL or an http(s) URL).
        issuer_id: the credential's ``issuer.id``.
        resolver: fetches DID documents and controller documents.
        policy: ``"bound"`` or ``"validator"`` (see the module docstring).

    Returns:
        The key and its binding.

    Raises:
        KeyFormatError: the reference is not a URI, uses an unknown scheme, or names no key.
        ResolutionError: the document holding the key could not be fetched.
    """
    if not isinstance(vm_url, str) or not _URI.match(vm_url):
        raise KeyFormatError(
            f"The verification method {vm_url!r} is not a URI, so it cannot name a key.",
            code="vm_not_uri",
        )
    base, _, fragment = vm_url.partition("#")
    if base.startswith("did:key:"):
        return _did_key_binding(resolve_did_key(vm_url), base, issuer_id, policy)
    fragment_key = _multikey_or_none(fragment)
    if policy == "validator" and fragment_key is not None:
        return _shortcut_binding(fragment_key, base, issuer_id)
    document_url = _document_url(base)
    try:
        document = resolver.fetch_json(document_url)
    except ResolutionError as exc:
        if fragment_key is None:
            raise
        return ResolvedKey(
            fragment_key,
            "unknown",
            f"The key is written into the proof, but the issuer's document {document_url} "
            f"could not be fetched to confirm it ({exc.message}).",
        )
    if "kty" in document or "keys" in document:
        return _bind_jwk_document(document, vm_url, issuer_id, resolver, policy)
    return _bind_from_document(document, vm_url, base, fragment_key, issuer_id, resolver)


def resolve_jwt_key(
    header: Mapping[str, Any],
    issuer_id: str | None,
    resolver: Resolver,
    *,
    policy: KeyPolicy = "bound",
) -> ResolvedKey:
    """Obtain the key of a VC-JWT from its JOSE header (``kid`` or ``jwk``) and judge its binding.

    OB 3.0 ``integrity.md`` (VC-JWT "Verify"): the key is the one ``kid`` dereferences to, or
    the header ``jwk``. A header ``jwk`` is chosen by whoever made the token, so under
    ``"bound"`` it must also appear among the issuer's published keys.

    Raises:
        KeyFormatError: no ``kid``/``jwk``, or one that is malformed.
        ResolutionError: the ``kid`` document could not be fetched and there is no ``jwk``.
    """
    kid, jwk = header.get("kid"), header.get("jwk")
    embedded = PublicKey.from_jwk(jwk) if isinstance(jwk, Mapping) else None
    if isinstance(kid, str):
        try:
            return resolve_verification_method(kid, issuer_id, resolver, policy=policy)
        except ResolutionError:
            if embedded is None:
                raise
    if embedded is None:
        raise KeyFormatError(
            "The JWT header names neither a key id (kid) nor a key (jwk), so there is no key "
            "to check the signature with.",
            code="jwt_no_key",
        )
    if policy == "validator":
        return ResolvedKey(
            embedded,
            "valid",
            "The key was taken from the JWT header (jwk) and accepted under the 1EdTech "
            "validator policy; the issuer's published keys were not consulted.",
        )
    return _bind_to_published(embedded, issuer_id, resolver, "The key in the JWT header")


def issuer_published_keys(issuer_id: str, resolver: Resolver) -> tuple[list[PublicKey], str]:
    """Collect the assertion keys an issuer publishes, and say where they came from.

    * did:key — the key it encodes (no network).
    * did:web — the ``assertionMethod`` keys of its DID document.
    * http(s) — the keys of the profile document at ``issuer_id`` plus the JWK Set at the
      origin's ``/.well-known/jwks.json`` (the OB implementation guide's recommendation).

    Raises:
        ResolutionError: nothing could be fetched, or the identifier kind has no key discovery.
    """
    if issuer_id.startswith("did:key:"):
        return [resolve_did_key(issuer_id)], issuer_id
    if issuer_id.startswith("did:web:"):
        url = did_web_to_url(issuer_id)
        return _document_keys(resolver.fetch_json(url), strict=True), url
    if urlsplit(issuer_id).scheme in ("http", "https"):
        return _profile_and_jwks_keys(issuer_id, resolver)
    raise ResolutionError(
        f"The issuer {issuer_id} is neither a did:key, a did:web nor a web address, so this "
        "verifier cannot look up its keys.",
        code="unsupported_issuer_id",
    )


def _multikey_or_none(fragment: str) -> PublicKey | None:
    if not fragment.startswith("z"):
        return None
    try:
        return PublicKey.from_multibase(fragment)
    except KeyFormatError:
        return None


def _document_url(base: str) -> str:
    """Map the part before ``#`` to the URL of the document that holds the key."""
    if base.startswith("did:web:"):
        return did_web_to_url(base)
    if base.startswith("did:"):
        method = base.split(":")[1] if base.count(":") >= 2 else ""
        raise ResolutionError(
            f"The key is named by a did:{method} identifier, a DID method this verifier cannot "
            "resolve (supported: did:key, did:web).",
            code="unsupported_did_method",
        )
    if urlsplit(base).scheme in ("http", "https"):
        return base
    raise KeyFormatError(
        f"The verification method {base!r} uses a scheme that cannot be dereferenced "
        "(supported: did:key, did:web, https).",
        code="vm_unknown_scheme",
    )


def _did_key_binding(
    key: PublicKey, did: str, issuer_id: str | None, policy: KeyPolicy
) -> ResolvedKey:
    if issuer_id is None:
        return _no_issuer(key)
    if issuer_id == did:
        return ResolvedKey(key, "valid", f"The issuer is the did:key {did}, which is its own key.")
    if policy == "validator":
        return ResolvedKey(
            key,
            "valid",
            f"The proof uses the did:key {did}, which is not the issuer ({issuer_id}); it was "
            "accepted only under the 1EdTech validator policy, which does not compare them.",
        )
    return ResolvedKey(
        key,
        "invalid",
        f"The proof uses the did:key {did}, but a did:key speaks only for itself and the "
        f"issuer is {issuer_id}.",
    )


def _no_issuer(key: PublicKey) -> ResolvedKey:
    return ResolvedKey(key, "invalid", "The credential names no issuer, so no key can be its key.")


def _shortcut_binding(key: PublicKey, base: str, issuer_id: str | None) -> ResolvedKey:
    if issuer_id is None:
        return _no_issuer(key)
    if base == issuer_id:
        return ResolvedKey(
            key,
            "valid",
            "The key was read from the verification method's #fragment, whose address equals "
            "the issuer id; accepted under the 1EdTech validator policy without consulting "
            "the issuer's documents.",
        )
    return ResolvedKey(
        key,
        "invalid",
        f"The verification method belongs to {base}, not to the issuer {issuer_id}.",
    )


def _bind_from_document(
    document: dict[str, Any],
    vm_url: str,
    base: str,
    fragment_key: PublicKey | None,
    issuer_id: str | None,
    resolver: Resolver,
) -> ResolvedKey:
    """Find the method in the fetched document and check that its controller is the issuer.

    A method's ``controller`` is believed only in the controller's own document, the one at
    the issuer's address (Controlled Identifiers 1.0 §3.3 "Retrieve Verification Method": the
    method's controller must be the id of the document it was retrieved from). Anyone can
    publish a document elsewhere naming the issuer as controller of their own key, so a method
    found at another address is bound only when the issuer's documents list its key.
    """
    method = _find_method(document, vm_url, base, fragment_key)
    if method is None:
        if fragment_key is not None:
            return ResolvedKey(
                fragment_key,
                "invalid",
                f"The issuer's document {base} does not list the key named in the proof.",
            )
        raise KeyFormatError(
            f"The document {base} holds no verification method {vm_url}.", code="vm_not_found"
        )
    if issuer_id is None:
        return _no_issuer(method.public_key)
    if method.controller == issuer_id and base == issuer_id:
        return ResolvedKey(
            method.public_key,
            "valid",
            f"The key {method.id} is published by the issuer {issuer_id} in its own document.",
        )
    if method.controller == issuer_id:
        return _bind_to_published(
            method.public_key, issuer_id, resolver, f"The key {method.id} (described at {base})"
        )
    return ResolvedKey(
        method.public_key,
        "invalid",
        f"The key {method.id} is controlled by {method.controller or 'nobody named'}, not by "
        f"the issuer {issuer_id}.",
    )


def _find_method(
    document: dict[str, Any], vm_url: str, base: str, fragment_key: PublicKey | None
) -> VerificationMethod | None:
    """Locate ``vm_url`` in a controller document (or the document *is* the method)."""
    if document.get("type") in _KEY_DOC_TYPES and document.get("id") == vm_url:
        return verification_method_from_json(document)
    doc_id = document.get("id") if isinstance(document.get("id"), str) else base
    strict = base.startswith("did:") or "assertionMethod" in document
    if strict:
        # Raises vm_not_authorized when the method exists but may not sign credentials.
        find_verification_method({**document, "id": doc_id}, vm_url)
    for method in _document_methods(document, str(doc_id), strict=strict):
        if method.id == vm_url or (fragment_key is not None and method.public_key == fragment_key):
            return method
    return None


def _document_methods(
    document: Mapping[str, Any], doc_id: str, *, strict: bool
) -> list[VerificationMethod]:
    """Parse the usable methods of a document; with ``strict`` only those under assertionMethod."""
    assertion = document.get("assertionMethod")
    listed = assertion if isinstance(assertion, list) else []
    referenced = {_absolute(x, doc_id) for x in listed if isinstance(x, str)}
    candidates = [x for x in listed if isinstance(x, Mapping)]
    for entry in _as_list(document.get("verificationMethod")):
        if isinstance(entry, Mapping):
            if not strict or _absolute(str(entry.get("id")), doc_id) in referenced:
                candidates.append(entry)
    methods = []
    for entry in candidates:
        try:
            methods.append(verification_method_from_json(entry, base=doc_id))
        except KeyFormatError:
            continue  # one unusable entry must not hide the others
    return methods


def _document_keys(document: Mapping[str, Any], *, strict: bool) -> list[PublicKey]:
    doc_id = str(document.get("id", ""))
    return [m.public_key for m in _document_methods(document, doc_id, strict=strict)]


def _bind_jwk_document(
    document: dict[str, Any],
    vm_url: str,
    issuer_id: str | None,
    resolver: Resolver,
    policy: KeyPolicy,
) -> ResolvedKey:
    """A ``kid`` that dereferences to a bare JWK or a JWK Set: no controller is named in it."""
    if "kty" in document:
        key = PublicKey.from_jwk(document)
    else:
        key = _select_from_set(document, vm_url)
    if policy == "validator":
        return ResolvedKey(
            key,
            "valid",
            f"The key was fetched from {vm_url} and accepted under the 1EdTech validator policy, "
            "which does not check that the issuer publishes it.",
        )
    return _bind_to_published(key, issuer_id, resolver, f"The key at {vm_url}")


def _select_from_set(document: Mapping[str, Any], kid: str) -> PublicKey:
    try:
        return select_jwk(document, kid)
    except KeyFormatError:
        return select_jwk(document, kid.partition("#")[2])


def _bind_to_published(
    key: PublicKey, issuer_id: str | None, resolver: Resolver, what: str
) -> ResolvedKey:
    if issuer_id is None:
        return _no_issuer(key)
    try:
        keys, source = issuer_published_keys(issuer_id, resolver)
    except (ResolutionError, KeyFormatError) as exc:
        return ResolvedKey(
            key, "unknown", f"{what} could not be matched with the issuer's keys: {exc.message}"
        )
    if key in keys:
        return ResolvedKey(
            key, "valid", f"{what} is one of the keys the issuer publishes ({source})."
        )
    return ResolvedKey(
        key, "invalid", f"{what} is not among the keys the issuer publishes ({source})."
    )


def _profile_and_jwks_keys(issuer_id: str, resolver: Resolver) -> tuple[list[PublicKey], str]:
    parts = urlsplit(issuer_id)
    jwks_url = f"{parts.scheme}://{parts.netloc}/.well-known/jwks.json"
    keys: list[PublicKey] = []
    sources: list[str] = []
    errors: list[str] = []
    for url in (issuer_id.partition("#")[0], jwks_url):
        try:
            document = resolver.fetch_json(url)
        except ResolutionError as exc:
            errors.append(exc.message)
            continue
        sources.append(url)
        keys.extend(
            _jwks_keys(document) if url == jwks_url else _document_keys(document, strict=False)
        )
    if not sources:
        raise ResolutionError(" ".join(errors), code="issuer_keys_unavailable")
    return keys, " and ".join(sources)


def _jwks_keys(document: Mapping[str, Any]) -> list[PublicKey]:
    keys = []
    for entry in _as_list(document.get("keys")):
        try:
            keys.append(PublicKey.from_jwk(entry))
        except KeyFormatError:
            continue
    return keys


def _absolute(ref: str, base: str) -> str:
    return f"{base}{ref}" if ref.startswith("#") else ref


def _as_list(value: object) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]
