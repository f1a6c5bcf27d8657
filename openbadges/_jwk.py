"""JWK ⇄ ``cryptography`` public keys (private helper of :mod:`openbadges.keys`).

Written by hand rather than through a JOSE library so that every refusal names the member at
fault, and so that a private JWK can never slip through as a public one.

Specs:
    JWK: https://www.rfc-editor.org/rfc/rfc7517
    RSA and EC members: https://www.rfc-editor.org/rfc/rfc7518#section-6
    OKP (Ed25519): https://www.rfc-editor.org/rfc/rfc8037#section-2
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from openbadges.errors import KeyFormatError
from openbadges.multibase import b64url_decode, b64url_encode

PublicCryptoKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey

# RFC 7638 §3.2: the required members per key type that make up the thumbprint.
_REQUIRED = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}
# Members that only a private JWK carries (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2).
_PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth")


def _int_to_b64(value: int) -> str:
    return b64url_encode(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


def public_to_jwk(key: PublicCryptoKey) -> dict[str, str]:
    """Export the public members of a key as a JWK (no ``kid``, never private members)."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)}
    if isinstance(key, ec.EllipticCurvePublicKey):
        numbers = key.public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url_encode(numbers.x.to_bytes(32, "big")),
            "y": b64url_encode(numbers.y.to_bytes(32, "big")),
        }
    numbers_rsa = key.public_numbers()
    return {"kty": "RSA", "n": _int_to_b64(numbers_rsa.n), "e": _int_to_b64(numbers_rsa.e)}


def _member(jwk: Mapping[str, Any], name: str) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str) or not value:
        raise KeyFormatError(f"JWK member {name!r} is missing or not a string", path=f"$.{name}")
    try:
        return b64url_decode(value)
    except KeyFormatError as exc:
        raise KeyFormatError(f"JWK member {name!r}: {exc.message}", path=f"$.{name}") from exc


def _check_shape(jwk: object) -> Mapping[str, Any]:
    if not isinstance(jwk, Mapping):
        raise KeyFormatError(f"a JWK must be a JSON object, got {type(jwk).__name__}")
    leaked = [m for m in _PRIVATE_MEMBERS if m in jwk]
    if leaked:
        raise KeyFormatError(
            f"JWK contains private key members {leaked}; only public JWKs are accepted",
            path=f"$.{leaked[0]}",
        )
    return jwk


def public_from_jwk(jwk: object) -> PublicCryptoKey:
    """Import a public JWK (RSA, EC P-256, OKP Ed25519), refusing private and unknown keys."""
    jwk = _check_shape(jwk)
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "OKP" and crv == "Ed25519":
        x = _member(jwk, "x")
        if len(x) != 32:
            raise KeyFormatError(f"Ed25519 JWK 'x' must be 32 bytes, got {len(x)}", path="$.x")
        return ed25519.Ed25519PublicKey.from_public_bytes(x)
    if kty == "EC" and crv == "P-256":
        return _ec_from_jwk(jwk)
    if kty == "RSA":
        n, e = _member(jwk, "n"), _member(jwk, "e")
        try:
            return rsa.RSAPublicNumbers(
                int.from_bytes(e, "big"), int.from_bytes(n, "big")
            ).public_key()
        except ValueError as exc:
            raise KeyFormatError(f"invalid RSA JWK: {exc}") from exc
    if kty in ("OKP", "EC"):
        raise KeyFormatError(f"unsupported JWK curve {crv!r} for kty {kty!r}", path="$.crv")
    raise KeyFormatError(f"unsupported JWK kty {kty!r} (expected RSA, EC or OKP)", path="$.kty")


def _ec_from_jwk(jwk: Mapping[str, Any]) -> ec.EllipticCurvePublicKey:
    x, y = _member(jwk, "x"), _member(jwk, "y")
    if len(x) != 32 or len(y) != 32:
        raise KeyFormatError("P-256 JWK coordinates 'x' and 'y' must be 32 bytes each")
    numbers = ec.EllipticCurvePublicNumbers(
        int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
    )
    try:
        return numbers.public_key()
    except ValueError as exc:
        raise KeyFormatError(f"P-256 JWK is not a point on the curve: {exc}") from exc


def thumbprint_members(jwk: object) -> dict[str, str]:
    """Return the RFC 7638 required members of a JWK, checked to be present strings."""
    if not isinstance(jwk, Mapping):
        raise KeyFormatError(f"a JWK must be a JSON object, got {type(jwk).__name__}")
    kty = jwk.get("kty")
    if kty not in _REQUIRED:
        raise KeyFormatError(f"unsupported JWK kty {kty!r} for a thumbprint", path="$.kty")
    members: dict[str, str] = {}
    for name in _REQUIRED[kty]:
        value = jwk.get(name)
        if not isinstance(value, str):
            raise KeyFormatError(
                f"JWK member {name!r} is missing or not a string", path=f"$.{name}"
            )
        members[name] = value
    return members
