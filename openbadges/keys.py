"""Signing and public keys: Ed25519, ECDSA P-256 and RSA-2048, with Multikey and JWK forms.

The rest of the library never touches ``cryptography`` key objects directly: it holds a
:class:`SigningKey` (private, only where signing happens) or a :class:`PublicKey` (anything that
verifies). Signatures are always in the *raw* form JOSE and Data Integrity expect, so ECDSA
signatures are ``r || s`` (64 bytes), not DER.

Specs:
    Ed25519 (pure EdDSA): https://www.rfc-editor.org/rfc/rfc8032
    JWK: https://www.rfc-editor.org/rfc/rfc7517, OKP: https://www.rfc-editor.org/rfc/rfc8037
    JWS algorithms (ES256 raw r||s): https://www.rfc-editor.org/rfc/rfc7518#section-3.4
    JWK thumbprint: https://www.rfc-editor.org/rfc/rfc7638
    Multikey: https://www.w3.org/TR/controller-document/#multikey
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Hashable, Mapping
from enum import StrEnum
from typing import Any, TypeAlias

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from nacl.bindings import crypto_sign_open
from nacl.exceptions import CryptoError

from openbadges import _jwk
from openbadges import multibase as mb
from openbadges._memo import BoundedMemo
from openbadges.errors import KeyFormatError

__all__ = ["KeyType", "PublicKey", "SigningKey", "jwk_thumbprint", "jwks", "select_jwk"]

_PrivateKey: TypeAlias = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
_PublicKey: TypeAlias = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey

RSA_MIN_BITS = 2048
"""Smaller RSA keys are refused everywhere: they are below every current recommendation."""


class KeyType(StrEnum):
    """The kinds of key this library signs and verifies with."""

    ED25519 = "Ed25519"
    P256 = "P-256"
    RSA = "RSA"

    @property
    def jws_alg(self) -> str:
        """The JWS ``alg`` for this key type (RFC 7518 §3.1, RFC 8037 §3.1)."""
        return {"Ed25519": "EdDSA", "P-256": "ES256", "RSA": "RS256"}[self.value]


def _key_type_of(key: _PrivateKey | _PublicKey) -> KeyType:
    """Classify a ``cryptography`` key, refusing curves and sizes we do not support."""
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return KeyType.ED25519
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise KeyFormatError(f"unsupported elliptic curve {key.curve.name}; only P-256 is")
        return KeyType.P256
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        if key.key_size < RSA_MIN_BITS:
            raise KeyFormatError(f"RSA key of {key.key_size} bits; at least {RSA_MIN_BITS} needed")
        return KeyType.RSA
    raise KeyFormatError(f"unsupported key kind {type(key).__name__}")


def _ed25519_verifies(public_key: bytes, signature: bytes, data: bytes) -> bool:
    """Check an Ed25519 signature (RFC 8032 §5.1.7) with libsodium.

    libsodium (through PyNaCl) checks one in about half the time OpenSSL's takes through
    ``cryptography`` (55 against 110-134 us measured here): every page not yet cached checks
    one, a tenth of its CPU. It is also the stricter of the two: besides a non-canonical ``S``
    (both refuse it) it refuses a small-order public key or ``R``, with which a signature can
    hold for messages its holder never signed (libsodium's ``crypto_sign_verify_detached``).
    """
    if len(signature) != 64:
        return False
    try:
        crypto_sign_open(signature + data, public_key)
    except (CryptoError, ValueError, TypeError):
        return False
    return True


class PublicKey:
    """A public key that verifies signatures and exports itself as JWK or Multikey."""

    __slots__ = ("_ed25519", "_key", "_type")

    def __init__(self, key: _PublicKey) -> None:
        """Wrap a ``cryptography`` public key.

        Raises:
            KeyFormatError: the key is of an unsupported curve or too small.
        """
        self._type = _key_type_of(key)
        self._key = key
        self._ed25519: bytes | None = None
        if isinstance(key, ed25519.Ed25519PublicKey):
            self._ed25519 = key.public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )

    @property
    def key_type(self) -> KeyType:
        """Which of the supported kinds this key is."""
        return self._type

    @property
    def crypto_key(self) -> _PublicKey:
        """The underlying ``cryptography`` key, for code that needs it directly."""
        return self._key

    def verify(self, signature: bytes, data: bytes) -> bool:
        """Check a raw signature (Ed25519 64 B, ES256 ``r||s`` 64 B, RS256 PKCS#1 v1.5).

        Returns ``False`` rather than raising for any bad or malformed signature, because a
        verifier reports a bad signature; it is not an error in the caller.
        """
        if self._ed25519 is not None:
            return _ed25519_verifies(self._ed25519, signature, data)
        try:
            if isinstance(self._key, ec.EllipticCurvePublicKey):
                if len(signature) != 64:
                    return False
                r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
                self._key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
            elif isinstance(self._key, rsa.RSAPublicKey):
                self._key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            else:  # an Ed25519 key without its raw bytes: cannot be (see __init__)
                return False
        except (InvalidSignature, ValueError, TypeError):
            return False
        return True

    def to_jwk(self, kid: str | None = None) -> dict[str, str]:
        """Export as a public JWK (never contains ``d``), with ``kid`` when given."""
        jwk = _jwk.public_to_jwk(self._key)
        if kid is not None:
            jwk["kid"] = kid
        return jwk

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> PublicKey:
        """Import a public JWK: RSA, EC P-256 or OKP Ed25519.

        Raises:
            KeyFormatError: not an object, a private JWK (``d``), an unknown ``kty``/``crv``,
                or missing/malformed members.
        """
        key = _jwk_memo_key(cls, jwk)
        if key is None:
            return cls(_jwk.public_from_jwk(jwk))
        return _DECODED_KEYS.recall(key, lambda: cls(_jwk.public_from_jwk(jwk)))

    @property
    def multibase(self) -> str:
        """The Multikey ``publicKeyMultibase``: ``z6Mk…`` (Ed25519) or ``zDn…`` (P-256).

        Raises:
            KeyFormatError: for RSA, which has no Multikey form in this library.
        """
        if isinstance(self._key, ed25519.Ed25519PublicKey):
            raw = self._key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            return mb.encode(mb.add_multicodec(mb.ED25519_PUB, raw))
        if isinstance(self._key, ec.EllipticCurvePublicKey):
            point = self._key.public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
            )
            return mb.encode(mb.add_multicodec(mb.P256_PUB, point))
        raise KeyFormatError("RSA keys have no Multikey encoding; publish them as JWK")

    @classmethod
    def from_multibase(cls, value: str) -> PublicKey:
        """Decode a Multikey ``publicKeyMultibase`` (``z`` + multicodec ed25519-pub or p256-pub).

        Raises:
            KeyFormatError: wrong multibase prefix, unknown multicodec, or wrong key length.
        """
        if type(value) is not str:
            return cls._decode_multibase(value)
        return _DECODED_KEYS.recall((cls, value), lambda: cls._decode_multibase(value))

    @classmethod
    def _decode_multibase(cls, value: str) -> PublicKey:
        codec, body = mb.split_multicodec(mb.decode(value, expected=mb.BASE58BTC))
        if codec == mb.ED25519_PUB:
            return cls.from_ed25519_bytes(body)
        if codec == mb.P256_PUB:
            if len(body) != 33 or body[0] not in (2, 3):
                raise KeyFormatError(
                    f"P-256 Multikey must hold a 33-byte compressed point, got {len(body)} bytes"
                )
            try:
                return cls(ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), body))
            except ValueError as exc:
                raise KeyFormatError(f"P-256 Multikey is not a point on the curve: {exc}") from exc
        raise KeyFormatError("publicKeyMultibase holds a private key; refusing it")

    @classmethod
    def from_ed25519_bytes(cls, raw: bytes) -> PublicKey:
        """Build an Ed25519 key from its 32 raw bytes (as in test vectors)."""
        if len(raw) != 32:
            raise KeyFormatError(f"Ed25519 public key must be 32 bytes, got {len(raw)}")
        return cls(ed25519.Ed25519PublicKey.from_public_bytes(raw))

    def _spki(self) -> bytes:
        return self._key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def __eq__(self, other: object) -> bool:
        """Two keys are equal when their SubjectPublicKeyInfo bytes are."""
        if self is other:  # the same decoding (see _DECODED_KEYS)
            return True
        return isinstance(other, PublicKey) and self._spki() == other._spki()

    def __hash__(self) -> int:
        """Hash consistent with :meth:`__eq__`."""
        return hash(self._spki())

    def __repr__(self) -> str:
        """Show the type and a short thumbprint, never the key material."""
        return f"PublicKey({self._type.value}, {jwk_thumbprint(self.to_jwk())[:12]}…)"


class SigningKey:
    """A private key. Keep instances out of logs; :meth:`__repr__` shows only the public part."""

    __slots__ = ("_key", "_public", "_type")

    def __init__(self, key: _PrivateKey) -> None:
        """Wrap a ``cryptography`` private key.

        Raises:
            KeyFormatError: the key is of an unsupported curve or too small.
        """
        self._type = _key_type_of(key)
        self._key = key
        self._public = PublicKey(key.public_key())

    @classmethod
    def generate(cls, kind: KeyType | str = KeyType.ED25519) -> SigningKey:
        """Create a fresh key: Ed25519, P-256 or RSA-2048 (public exponent 65537)."""
        kind = _parse_key_type(kind)
        if kind is KeyType.ED25519:
            return cls(ed25519.Ed25519PrivateKey.generate())
        if kind is KeyType.P256:
            return cls(ec.generate_private_key(ec.SECP256R1()))
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=RSA_MIN_BITS))

    @classmethod
    def from_ed25519_seed(cls, seed: bytes) -> SigningKey:
        """Rebuild an Ed25519 key from its 32-byte seed (RFC 8032 §5.1.5), for test vectors."""
        if len(seed) != 32:
            raise KeyFormatError(f"Ed25519 seed must be 32 bytes, got {len(seed)}")
        return cls(ed25519.Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def key_type(self) -> KeyType:
        """Which of the supported kinds this key is."""
        return self._type

    @property
    def public_key(self) -> PublicKey:
        """The matching public key."""
        return self._public

    def sign(self, data: bytes) -> bytes:
        """Sign bytes: pure Ed25519, ECDSA P-256/SHA-256 as raw ``r||s``, or RSA PKCS#1 v1.5 SHA-256.

        ECDSA is returned as 64 raw bytes because both JWS ES256 (RFC 7518 §3.4) and Data
        Integrity expect that form, not DER.
        """
        if isinstance(self._key, ed25519.Ed25519PrivateKey):
            return self._key.sign(data)
        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            r, s = decode_dss_signature(self._key.sign(data, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def to_pem(self, password: bytes | None = None) -> bytes:
        """Serialise as PKCS#8 PEM, encrypted with the best available scheme when a password is given.

        Raises:
            KeyFormatError: an empty password, which would otherwise silently write a clear key.
        """
        if password is not None and not password:
            raise KeyFormatError("empty PEM password; pass None for an unencrypted key")
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password)
            if password
            else serialization.NoEncryption()
        )
        return self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )

    @classmethod
    def from_pem(cls, data: bytes | str, password: bytes | None = None) -> SigningKey:
        """Load a PEM private key (PKCS#8 or traditional).

        Raises:
            KeyFormatError: not a PEM private key, a wrong or missing password, or an
                unsupported key kind.
        """
        raw = data.encode("ascii", "replace") if isinstance(data, str) else data
        try:
            key = serialization.load_pem_private_key(raw, password=password or None)
        except TypeError as exc:  # password given for a clear key, or missing for an encrypted one
            raise KeyFormatError(f"PEM password problem: {exc}") from exc
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise KeyFormatError(
                f"not a usable PEM private key (or wrong password): {exc}"
            ) from exc
        if not isinstance(
            key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
        ):
            raise KeyFormatError(f"unsupported private key kind {type(key).__name__}")
        return cls(key)

    def to_multibase(self) -> str:
        """Export an Ed25519 key as Multikey ``secretKeyMultibase`` (``z`` + 0x8026 + seed).

        Never publish this value; it exists for test vectors and key import/export.
        """
        if not isinstance(self._key, ed25519.Ed25519PrivateKey):
            raise KeyFormatError("secretKeyMultibase is supported for Ed25519 keys only")
        seed = self._key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return mb.encode(mb.add_multicodec(mb.ED25519_PRIV, seed))

    @classmethod
    def from_multibase(cls, value: str) -> SigningKey:
        """Import a Multikey ``secretKeyMultibase`` for Ed25519 (prefix 0x8026, 32-byte seed).

        Raises:
            KeyFormatError: wrong multibase prefix, another multicodec, or wrong length.
        """
        codec, body = mb.split_multicodec(mb.decode(value, expected=mb.BASE58BTC))
        if codec != mb.ED25519_PRIV:
            raise KeyFormatError("secretKeyMultibase must use the ed25519-priv multicodec (0x8026)")
        return cls.from_ed25519_seed(body)

    def __repr__(self) -> str:
        """Never show private material."""
        return f"SigningKey({self._type.value}, public={self._public!r})"


_DECODED_KEYS: BoundedMemo[Hashable, PublicKey] = BoundedMemo(256)
"""Public keys decoded from a Multikey or a JWK, keyed by the whole value (and the class): a
verifier meets the same few issuer keys in every credential and DID document, and decoding one
(base58, then the curve point) costs more than the signature check. A :class:`PublicKey` is
immutable, so one instance may serve every caller; a changed key is a different value."""


def _jwk_memo_key(cls: type[PublicKey], jwk: object) -> Hashable | None:
    """The memo key of a JWK whose every member is a string (the whole JWK), else None."""
    if not isinstance(jwk, Mapping):
        return None
    items = []
    for name, member in jwk.items():
        if type(name) is not str or type(member) is not str:
            return None  # e.g. key_ops, a list: decoded each time
        items.append((name, member))
    return (cls, "jwk", tuple(sorted(items)))


def _parse_key_type(kind: KeyType | str) -> KeyType:
    try:
        return KeyType(kind)
    except ValueError:
        allowed = ", ".join(k.value for k in KeyType)
        raise KeyFormatError(f"unknown key type {kind!r}; expected one of {allowed}") from None


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """Compute the RFC 7638 SHA-256 thumbprint of a JWK, base64url-encoded.

    Only the required members of the key type take part, serialised with sorted keys and no
    whitespace, so ``kid``, ``alg`` and ``use`` do not change the result.
    https://www.rfc-editor.org/rfc/rfc7638#section-3

    Raises:
        KeyFormatError: an unknown ``kty`` or a missing required member.
    """
    members = _jwk.thumbprint_members(jwk)
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return mb.b64url_encode(hashlib.sha256(canonical.encode("utf-8")).digest())


def jwks(keys: Mapping[str, PublicKey]) -> dict[str, list[dict[str, str]]]:
    """Build a JWK Set (RFC 7517 §5) from ``{kid: public_key}``, as served at ``/.well-known/jwks.json``."""
    return {"keys": [key.to_jwk(kid=kid) for kid, key in keys.items()]}


def select_jwk(jwk_set: Mapping[str, Any], kid: str) -> PublicKey:
    """Find the key with ``kid`` in a JWK Set.

    Raises:
        KeyFormatError: the set is malformed, or holds no (or more than one) key with that kid.
    """
    entries = jwk_set.get("keys") if isinstance(jwk_set, Mapping) else None
    if not isinstance(entries, list):
        raise KeyFormatError("a JWK Set must be an object with a 'keys' array")
    found = [e for e in entries if isinstance(e, Mapping) and e.get("kid") == kid]
    if len(found) != 1:
        raise KeyFormatError(
            f"JWK Set holds {len(found)} keys with kid {kid!r}; expected exactly one"
        )
    return PublicKey.from_jwk(found[0])
