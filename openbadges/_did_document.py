"""DID documents: build them, and find a verification method in one (re-exported by :mod:`openbadges.did`).

Errors follow :mod:`openbadges.did`: ``vm_not_authorized`` when a method exists but is not listed
under the required verification relationship, ``key_format_error`` for bad key material.

Specs:
    DID Core §5: https://www.w3.org/TR/did-core/#did-document-properties
    Multikey / JsonWebKey: https://www.w3.org/TR/controller-document/#verification-methods
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openbadges.errors import KeyFormatError
from openbadges.keys import KeyType, PublicKey

DID_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
JWK_CONTEXT = "https://w3id.org/security/jwk/v1"

_MULTIBASE_TYPES = frozenset({"Multikey", "Ed25519VerificationKey2020"})
_JWK_TYPES = frozenset({"JsonWebKey", "JsonWebKey2020"})


@dataclass(frozen=True, slots=True)
class VerificationMethod:
    """A key published in a DID document or controller document.

    Attributes:
        id: absolute (``did:web:…#key-1``) or relative (``#key-1``) id.
        controller: the DID (or URL) that controls the key, normally the document's id.
        public_key: the key itself.
    """

    id: str
    controller: str
    public_key: PublicKey

    def to_json(self, base: str | None = None) -> dict[str, Any]:
        """Serialise: Ed25519 as ``Multikey``, P-256 and RSA as ``JsonWebKey``.

        Args:
            base: when given, a relative id (``#key-1``) is made absolute against it.
        """
        vm_id = _absolute(self.id, base)
        if self.public_key.key_type is KeyType.ED25519:
            material: dict[str, Any] = {
                "type": "Multikey",
                "publicKeyMultibase": self.public_key.multibase,
            }
        else:
            material = {"type": "JsonWebKey", "publicKeyJwk": self.public_key.to_jwk()}
        return {"id": vm_id, "controller": self.controller, **material}


def _absolute(vm_id: str, base: str | None) -> str:
    return f"{base}{vm_id}" if base and vm_id.startswith("#") else vm_id


def did_document(did: str, methods: Sequence[VerificationMethod]) -> dict[str, Any]:
    """Build a DID document listing every method under assertionMethod and authentication.

    The JWK context is added only when a ``JsonWebKey`` method is present, so Ed25519-only
    documents stay minimal. Keep retired keys in ``methods``: removing one makes every
    credential signed with it unverifiable (did:web keeps no history).
    https://www.w3.org/TR/did-core/#did-document-properties
    """
    entries = [m.to_json(base=did) for m in methods]
    context = [DID_CONTEXT, MULTIKEY_CONTEXT]
    if any(e["type"] == "JsonWebKey" for e in entries):
        context.append(JWK_CONTEXT)
    ids = [e["id"] for e in entries]
    return {
        "@context": context,
        "id": did,
        "verificationMethod": entries,
        "assertionMethod": list(ids),
        "authentication": list(ids),
    }


def verification_method_from_json(entry: object, *, base: str | None = None) -> VerificationMethod:
    """Parse one verification method object (Multikey, JsonWebKey, JsonWebKey2020, Ed25519VerificationKey2020).

    Args:
        entry: the JSON object.
        base: the document id, to make a relative ``id`` absolute.

    Raises:
        KeyFormatError: not an object, no id, an unknown type, or bad key material.
    """
    if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str):
        raise KeyFormatError("a verification method must be an object with a string 'id'")
    vm_type = entry.get("type")
    if vm_type in _MULTIBASE_TYPES:
        key = PublicKey.from_multibase(_require_str(entry, "publicKeyMultibase"))
        if vm_type == "Ed25519VerificationKey2020" and key.key_type is not KeyType.ED25519:
            raise KeyFormatError("Ed25519VerificationKey2020 holds a non-Ed25519 key")
    elif vm_type in _JWK_TYPES:
        jwk = entry.get("publicKeyJwk")
        if not isinstance(jwk, Mapping):
            raise KeyFormatError(f"verification method {entry['id']!r} has no publicKeyJwk object")
        key = PublicKey.from_jwk(jwk)
    else:
        raise KeyFormatError(f"unsupported verification method type {vm_type!r}")
    controller = entry.get("controller")
    return VerificationMethod(
        id=_absolute(entry["id"], base),
        controller=controller if isinstance(controller, str) else (base or ""),
        public_key=key,
    )


def _require_str(entry: Mapping[str, Any], name: str) -> str:
    value = entry.get(name)
    if not isinstance(value, str):
        raise KeyFormatError(f"verification method {entry.get('id')!r} has no string {name!r}")
    return value


def find_verification_method(
    document: Mapping[str, Any], vm_id: str, *, purpose: str = "assertionMethod"
) -> PublicKey | None:
    """Find the key ``vm_id`` in a DID (or controller) document and check it may sign credentials.

    Ids may be absolute or relative (``#key-1``); both are resolved against the document's
    ``id``. Methods may sit in ``verificationMethod`` and be referenced by id from ``purpose``,
    or be embedded in ``purpose`` directly (DID Core §5.3).

    Returns:
        The key, or ``None`` when the document holds no method with that id at all.

    Raises:
        KeyFormatError: code ``vm_not_authorized`` when the method exists but is not listed
            under ``purpose`` (the reason a verifier must report), or ``key_format_error`` when
            its key material is malformed or of an unsupported type.
    """
    base = document.get("id") if isinstance(document.get("id"), str) else None
    wanted = _absolute(vm_id, base)
    authorized, embedded = _relationship(document, purpose, base)
    if wanted in embedded:
        return embedded[wanted].public_key
    for entry in _as_list(document.get("verificationMethod")):
        if isinstance(entry, Mapping) and _absolute(str(entry.get("id")), base) == wanted:
            if wanted not in authorized:
                raise KeyFormatError(
                    f"verification method {wanted} is not listed under {purpose}",
                    code="vm_not_authorized",
                )
            return verification_method_from_json(entry, base=base).public_key
    return None


def _relationship(
    document: Mapping[str, Any], purpose: str, base: str | None
) -> tuple[set[str], dict[str, VerificationMethod]]:
    """Return the referenced ids and the embedded methods of a verification relationship."""
    referenced: set[str] = set()
    embedded: dict[str, VerificationMethod] = {}
    for item in _as_list(document.get(purpose)):
        if isinstance(item, str):
            referenced.add(_absolute(item, base))
        elif isinstance(item, Mapping) and isinstance(item.get("id"), str):
            vm = verification_method_from_json(item, base=base)
            embedded[vm.id] = vm
    return referenced, embedded


def _as_list(value: object) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]
