"""Verification of ``ecdsa-sd-2023`` derived proofs (selective disclosure; verify only).

A holder derives, from the issuer's base proof, a credential that reveals only some of its
statements. What the verifier receives carries a *derived* proof (W3C vc-di-ecdsa §3.5,
https://www.w3.org/TR/vc-di-ecdsa/#ecdsa-sd-2023) whose ``proofValue`` holds:

* ``baseSignature``: the issuer's P-256 signature over
  ``proofHash || publicKey || mandatoryHash`` (§3.5.2 "serializeSignData");
* ``publicKey``: a per-credential ephemeral P-256 Multikey (multicodec bytes);
* ``signatures``: one ephemeral-key signature per non-mandatory N-Quad revealed;
* ``labelMap``: canonical blank-node label (``c14nN``) → HMAC label the issuer signed with;
* ``mandatoryIndexes``: which of the revealed N-Quads are mandatory.

Verification ("Verify Derived Proof", §3.5.x; "createVerifyData", "parseDerivedProofValue"):

1. Decode ``proofValue``: multibase base64url (``u``), the 3-byte header ``0xd9 0x5d 0x01``,
   then an untagged CBOR array of the five components (RFC 8949).
2. ``proofHash`` = SHA-256 of the RDFC-1.0 canonical proof configuration (the proof without
   ``proofValue``, with the document's ``@context``).
3. Canonicalise the revealed document (RDFC-1.0), replace each canonical blank-node label with
   its HMAC label from ``labelMap`` ("labelReplacementCanonicalizeJsonLd" with
   "createLabelMapFunction"), and sort the N-Quads again (code point order).
4. Split them by ``mandatoryIndexes``; ``mandatoryHash`` = SHA-256 of the mandatory N-Quads
   joined.
5. The base signature must verify with the issuer's key, and ``signatures[i]`` with the
   ephemeral key over the UTF-8 bytes of the ``i``-th non-mandatory N-Quad.

The relabelling in step 3 composes the canonical issuer's map with the label map, so only the
canonical output is needed: an input blank node that RDFC-1.0 named ``c14nN`` is renamed
``labelMap[c14nN]``. Blank-node terms are replaced, never text inside literals or IRIs.

Only P-256 (SHA-256) is supported: :mod:`openbadges.keys` has no P-384 keys.

Specs:
    https://www.w3.org/TR/vc-di-ecdsa/#ecdsa-sd-2023
    https://www.w3.org/TR/vc-di-ecdsa/#verify-derived-proof-ecdsa-sd-2023
    https://www.w3.org/TR/vc-di-ecdsa/#parsederivedproofvalue
    https://www.w3.org/TR/vc-di-ecdsa/#createverifydata
    https://www.rfc-editor.org/rfc/rfc8949 (CBOR)
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from openbadges import multibase as mb
from openbadges.errors import SigningError
from openbadges.jsonld.canonical import canonicalize
from openbadges.keys import KeyType, PublicKey

__all__ = [
    "CRYPTOSUITE",
    "DerivedProofValue",
    "VerifyData",
    "create_verify_data",
    "parse_derived_proof_value",
    "verify_derived_proof",
]

CRYPTOSUITE = "ecdsa-sd-2023"
PROOF_TYPE = "DataIntegrityProof"

# https://www.w3.org/TR/vc-di-ecdsa/#parsederivedproofvalue: the disclosure proof header.
# (0xd9 0x5d 0x00 starts a base proof, which only the holder ever sees.)
_DERIVED_HEADER = b"\xd9\x5d\x01"
_SIGNATURE_BYTES = 64  # P-256 r||s
_HMAC_LABEL_BYTES = 32  # HMAC-SHA-256 output
_MAX_CBOR_DEPTH = 4  # array → array/map → byte string is all a derived proof needs

# In a canonical N-Quad, a literal ("…", escapes included) or an IRI (<…>) is taken whole, so a
# "_:" inside one is never mistaken for a blank node; group 1 is a blank-node label.
_TERMS = re.compile(r'"(?:[^"\\]|\\.)*"|<[^>]*>|_:(\S+)')


class _ProofValueError(ValueError):
    """The proofValue is not a well-formed ecdsa-sd-2023 derived proof (internal)."""


@dataclass(frozen=True, slots=True)
class DerivedProofValue:
    """The five components of a derived ``proofValue`` (label map decompressed).

    Attributes:
        base_signature: the issuer's 64-byte P-256 signature (``r||s``).
        public_key: the ephemeral key as Multikey bytes (multicodec ``p256-pub`` + point).
        signatures: one 64-byte signature per non-mandatory N-Quad, in order.
        label_map: ``"c14nN"`` → ``"u<base64url HMAC>"`` (labels without ``_:``).
        mandatory_indexes: positions of the mandatory N-Quads among the revealed ones.
    """

    base_signature: bytes
    public_key: bytes
    signatures: tuple[bytes, ...]
    label_map: dict[str, str]
    mandatory_indexes: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class VerifyData:
    """What "createVerifyData" returns (vc-di-ecdsa §3.5).

    Attributes:
        proof_hash: SHA-256 of the canonical proof configuration.
        mandatory_hash: SHA-256 of the mandatory N-Quads joined.
        non_mandatory: the non-mandatory N-Quads (each ending in ``\\n``), in order.
        nquads: every revealed N-Quad after relabelling, sorted.
        proof_value: the parsed proof value.
    """

    proof_hash: bytes
    mandatory_hash: bytes
    non_mandatory: tuple[str, ...]
    nquads: tuple[str, ...]
    proof_value: DerivedProofValue


def verify_derived_proof(
    document: dict[str, Any], proof: dict[str, Any], public_key: PublicKey
) -> bool:
    """Check an ``ecdsa-sd-2023`` derived proof (vc-di-ecdsa "Verify Derived Proof").

    The caller chooses the proof and the key; whether the key belongs to the issuer and whether
    the proof purpose is acceptable are the caller's policy.

    Args:
        document: the revealed (derived) credential; any ``proof`` in it is ignored.
        proof: the derived proof object.
        public_key: the issuer's P-256 :class:`~openbadges.keys.PublicKey`, named by
            ``proof["verificationMethod"]``.

    Returns:
        True when the base signature and every per-statement signature verify. False for a
        wrong signature, a key that is not P-256, a base (not derived) proof, or a
        ``proofValue`` that cannot be decoded (never raises for those).

    Raises:
        SigningError: ``code="unsupported_proof"`` when ``proof`` is not an object or not a
            ``DataIntegrityProof`` with cryptosuite ``ecdsa-sd-2023``.
        ContextError, LimitExceededError, CanonicalizationError: the document cannot be
            canonicalised (it is unusable rather than forged).
    """
    _check_suite(proof)
    if public_key.key_type is not KeyType.P256:
        return False
    try:
        data = create_verify_data(document, proof)
        ephemeral = _ephemeral_key(data.proof_value.public_key)
    except _ProofValueError:
        return False
    parsed = data.proof_value
    if len(parsed.signatures) != len(data.non_mandatory):
        return False
    to_verify = data.proof_hash + parsed.public_key + data.mandatory_hash
    if not public_key.verify(parsed.base_signature, to_verify):
        return False
    return all(
        ephemeral.verify(signature, nquad.encode("utf-8"))
        for signature, nquad in zip(parsed.signatures, data.non_mandatory, strict=True)
    )


def create_verify_data(document: dict[str, Any], proof: dict[str, Any]) -> VerifyData:
    """vc-di-ecdsa "createVerifyData" for a derived proof.

    Args:
        document: the revealed credential (``proof`` in it is ignored).
        proof: the derived proof (its ``proofValue`` is parsed; the rest is the configuration).

    Returns:
        The hashes and N-Quads the signatures are checked against.

    Raises:
        _ProofValueError: the ``proofValue`` is malformed, a blank node has no entry in the
            label map, or a mandatory index is out of range (all mean "does not verify").
        ContextError, LimitExceededError, CanonicalizationError: from canonicalisation.
    """
    parsed = _parse(proof.get("proofValue"))
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options = {k: v for k, v in proof.items() if k not in ("proofValue", "@context")}
    context = unsecured.get("@context")
    config = {"@context": context, **options} if context is not None else options
    proof_hash = hashlib.sha256(canonicalize(config).encode("utf-8")).digest()

    nquads = _relabel(canonicalize(unsecured), parsed.label_map)
    mandatory_set = set(parsed.mandatory_indexes)
    if any(index >= len(nquads) for index in mandatory_set):
        raise _ProofValueError("a mandatory index points past the revealed statements")
    mandatory = [q for i, q in enumerate(nquads) if i in mandatory_set]
    non_mandatory = tuple(q for i, q in enumerate(nquads) if i not in mandatory_set)
    mandatory_hash = hashlib.sha256("".join(mandatory).encode("utf-8")).digest()
    return VerifyData(proof_hash, mandatory_hash, non_mandatory, tuple(nquads), parsed)


def parse_derived_proof_value(proof_value: Any) -> DerivedProofValue:
    """vc-di-ecdsa "parseDerivedProofValue".

    Args:
        proof_value: the ``proofValue`` string (``u`` + base64url).

    Returns:
        The components, with the label map decompressed
        (integer ``N`` → ``"c14nN"``, bytes → ``"u" + base64url``).

    Raises:
        SigningError: ``code="invalid_proof_value"`` with the reason.
    """
    try:
        return _parse(proof_value)
    except _ProofValueError as exc:
        raise SigningError(str(exc), code="invalid_proof_value", path="$.proof.proofValue") from exc


# --- parsing -------------------------------------------------------------------------------


def _parse(proof_value: Any) -> DerivedProofValue:
    if not isinstance(proof_value, str) or not proof_value.startswith(mb.BASE64URL):
        raise _ProofValueError("proofValue must be a multibase base64url ('u') string")
    try:
        raw = mb.decode(proof_value, expected=mb.BASE64URL)
    except Exception as exc:  # KeyFormatError: bad alphabet or length
        raise _ProofValueError(f"proofValue is not base64url: {exc}") from exc
    if raw[:3] != _DERIVED_HEADER:
        raise _ProofValueError("proofValue does not start with the derived-proof header d95d01")
    components = _CborReader(raw[3:]).read_all()
    if not isinstance(components, list) or len(components) != 5:
        raise _ProofValueError("a derived proof value is a CBOR array of five components")
    base_signature, public_key, signatures, compressed, mandatory = components
    if not (isinstance(base_signature, bytes) and len(base_signature) == _SIGNATURE_BYTES):
        raise _ProofValueError("baseSignature must be 64 bytes")
    if not isinstance(public_key, bytes):
        raise _ProofValueError("publicKey must be a byte string")
    if not isinstance(signatures, list) or not all(
        isinstance(s, bytes) and len(s) == _SIGNATURE_BYTES for s in signatures
    ):
        raise _ProofValueError("signatures must be an array of 64-byte strings")
    if not isinstance(compressed, dict):
        raise _ProofValueError("labelMap must be a map")
    label_map: dict[str, str] = {}
    for key, value in compressed.items():
        if not (isinstance(key, int) and isinstance(value, bytes)):
            raise _ProofValueError("labelMap must map integers to byte strings")
        if len(value) != _HMAC_LABEL_BYTES:
            raise _ProofValueError("labelMap values must be 32-byte HMAC labels")
        label_map[f"c14n{key}"] = mb.encode(value, mb.BASE64URL)
    if not isinstance(mandatory, list) or not all(isinstance(i, int) for i in mandatory):
        raise _ProofValueError("mandatoryIndexes must be an array of integers")
    return DerivedProofValue(
        base_signature, public_key, tuple(signatures), label_map, tuple(mandatory)
    )


class _CborReader:
    """A strict decoder for the CBOR subset a derived proof uses (RFC 8949 §3).

    Unsigned integers, byte strings, arrays and maps, all of definite length; anything else
    (tags — which vc-di-ecdsa forbids on the components —, text, negatives, floats,
    indefinite lengths) is refused, as are trailing bytes. Lengths are checked against the
    bytes left before anything is allocated.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def read_all(self) -> Any:
        item = self._item(0)
        if self.pos != len(self.data):
            raise _ProofValueError("trailing bytes after the CBOR value")
        return item

    def _take(self, count: int) -> bytes:
        if count > len(self.data) - self.pos:
            raise _ProofValueError("CBOR value is truncated")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def _argument(self, info: int) -> int:
        if info < 24:
            return info
        if info in (24, 25, 26, 27):
            return int.from_bytes(self._take(1 << (info - 24)), "big")
        raise _ProofValueError("indefinite or reserved CBOR length")

    def _item(self, depth: int) -> Any:
        if depth > _MAX_CBOR_DEPTH:
            raise _ProofValueError("CBOR nesting is too deep for a derived proof")
        initial = self._take(1)[0]
        major, value = initial >> 5, self._argument(initial & 0x1F)
        if major == 0:
            return value
        if major == 2:
            return self._take(value)
        remaining = len(self.data) - self.pos
        if major == 4:
            if value > remaining:  # every item takes at least one byte
                raise _ProofValueError("CBOR array is longer than the data")
            return [self._item(depth + 1) for _ in range(value)]
        if major == 5:
            if 2 * value > remaining:
                raise _ProofValueError("CBOR map is longer than the data")
            result: dict[Any, Any] = {}
            for _ in range(value):
                key = self._item(depth + 1)
                if not isinstance(key, int) or key in result:
                    raise _ProofValueError("CBOR map keys must be distinct integers")
                result[key] = self._item(depth + 1)
            return result
        raise _ProofValueError(f"unexpected CBOR major type {major} in a derived proof")


def _ephemeral_key(multikey: bytes) -> PublicKey:
    """The ephemeral P-256 key from its Multikey bytes (``0x8024`` + compressed point)."""
    if multikey[:2] != mb.P256_PUB or len(multikey) != 35 or multikey[2] not in (2, 3):
        raise _ProofValueError("publicKey must be a P-256 Multikey (compressed point)")
    try:
        point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), multikey[2:])
    except ValueError as exc:
        raise _ProofValueError(f"publicKey is not a point on P-256: {exc}") from exc
    return PublicKey(point)


# --- label replacement ---------------------------------------------------------------------


def _relabel(canonical: str, label_map: dict[str, str]) -> list[str]:
    """Canonical N-Quads with each ``_:c14nN`` renamed ``_:`` + ``label_map[c14nN]``, sorted.

    This is "labelReplacementCanonicalizeJsonLd" with "createLabelMapFunction" (vc-di-ecdsa
    §3.4, https://www.w3.org/TR/vc-di-ecdsa/#labelreplacementcanonicalizejsonld): the
    canonical issuer maps input label → ``c14nN``, the label map ``c14nN`` → HMAC label.
    """

    def replace(match: re.Match[str]) -> str:
        label = match.group(1)
        if label is None:
            return match.group(0)  # a literal or an IRI: left as is
        new = label_map.get(label)
        if new is None:
            raise _ProofValueError(f"blank node _:{label} has no entry in the label map")
        return "_:" + new

    # Every canonical N-Quad ends in "\n" (a newline inside a literal is escaped). Not
    # str.splitlines: it also splits at U+0085 and U+2028, which literals hold unescaped.
    lines = canonical.split("\n")[:-1]
    return sorted(_TERMS.sub(replace, line) + "\n" for line in lines)


def _check_suite(proof: Any) -> None:
    """Refuse anything but a DataIntegrityProof with cryptosuite ecdsa-sd-2023."""
    if not isinstance(proof, dict):
        raise SigningError("a proof must be a JSON object", code="unsupported_proof")
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise SigningError(
            f"proof type {proof.get('type')!r} with cryptosuite {proof.get('cryptosuite')!r} "
            f"is not {PROOF_TYPE}/{CRYPTOSUITE}",
            code="unsupported_proof",
        )
