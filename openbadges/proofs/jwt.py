"""VC-JWT as profiled by Open Badges 3.0 ``integrity.md`` (compact JWS, RS256 / ES256 / EdDSA).

The payload is the credential JSON itself plus the registered claims ``iss`` (issuer id),
``jti`` (credential id), ``sub`` (credentialSubject.id), ``nbf`` (validFrom) and ``exp``
(validUntil). Legacy VC 1.1 tokens, whose credential sits in a ``vc`` claim and whose dates are
``issuanceDate``/``expirationDate``, are read too, as OB verifiers MUST.

What :func:`verify` checks: the header, the signature, and that the claims agree with the
credential. What it does **not** check: whether ``nbf``/``exp`` put *now* outside the validity
window. That needs a clock, which the verifier (:mod:`openbadges.verify`) injects, so it does the
date-window check itself, from :attr:`JwtParts.credential` and :attr:`JwtParts.payload`.

The JWS compact form is built and checked here on top of :mod:`openbadges.keys` rather than
through joserfc, for three reasons: the signatures are the same raw bytes the Data Integrity
code uses (one crypto path to test); joserfc's default 512-byte header limit rejects the
1EdTech conformance tokens (a header ``jwk`` with a 2048-bit RSA modulus is ~530 bytes); and
its ``EdDSA`` algorithm emits a ``SecurityWarning`` (RFC 9864 deprecation) that would have to be
silenced through process-global warning filters. joserfc is used in the tests as an independent
cross-check.

Specs:
    OB 3.0 VC-JWT: https://www.imsglobal.org/spec/ob/v3p0/#jwt-proof
    JWS compact serialization: https://www.rfc-editor.org/rfc/rfc7515#section-7.1
    JWT claims / NumericDate: https://www.rfc-editor.org/rfc/rfc7519#section-4.1
    VC 1.1 JWT encoding: https://www.w3.org/TR/vc-data-model-1.1/#jwt-encoding
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from openbadges.errors import JwtError, KeyFormatError, LimitExceededError
from openbadges.jsonld.limits import loads_bounded
from openbadges.keys import KeyType, PublicKey, SigningKey
from openbadges.multibase import b64url_decode, b64url_encode
from openbadges.proofs._jwt_claims import (
    REGISTERED_CLAIMS,
    check_claims,
    claims_for,
    restore_legacy,
)

__all__ = [
    "ALGORITHMS",
    "MAX_TOKEN_LENGTH",
    "OB_HEADERS",
    "JwtParts",
    "decode_unverified",
    "encode",
    "verify",
]

ALGORITHMS: dict[str, KeyType] = {
    "RS256": KeyType.RSA,
    "ES256": KeyType.P256,
    "EdDSA": KeyType.ED25519,
}
"""The JWS ``alg`` values accepted, and the key type each requires. ``none`` is never accepted."""

OB_HEADERS = frozenset({"alg", "kid", "jwk", "typ"})
"""The only JOSE headers OB 3.0 allows; others are tolerated on read and listed in ``extra_headers``."""

MAX_TOKEN_LENGTH = 1_400_000
"""Refuse larger tokens before decoding: ~1 MB of credential JSON after base64url expansion."""


@dataclass(frozen=True, slots=True)
class JwtParts:
    """A decoded (not yet verified) VC-JWT.

    Attributes:
        header: the JOSE header.
        payload: the full JWT claims set.
        credential: the credential: the payload without the registered JWT claims, or for a
            legacy token the ``vc`` claim with ``issuer``/``id``/dates restored from the claims.
        legacy: True for a VC 1.1 token (credential in a ``vc`` claim).
        signing_input: ``BASE64URL(header) '.' BASE64URL(payload)``, the bytes that were signed.
        signature: the decoded signature bytes.
    """

    header: dict[str, Any]
    payload: dict[str, Any]
    credential: dict[str, Any]
    legacy: bool = False
    signing_input: bytes = field(default=b"", repr=False)
    signature: bytes = field(default=b"", repr=False)

    @property
    def extra_headers(self) -> list[str]:
        """Headers beyond ``alg``/``kid``/``jwk``/``typ``, which OB does not allow (a verifier may warn)."""
        return sorted(set(self.header) - OB_HEADERS)

    @property
    def header_key(self) -> PublicKey | None:
        """The public key embedded as the ``jwk`` header, or None when there is none.

        Raises:
            JwtError: the ``jwk`` header is not a usable public JWK.
        """
        jwk = self.header.get("jwk")
        if jwk is None:
            return None
        try:
            return PublicKey.from_jwk(jwk)
        except KeyFormatError as exc:
            raise JwtError(f"JOSE header 'jwk' is not a usable public key: {exc.message}") from exc


def _json_bytes(value: Mapping[str, Any]) -> bytes:
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise JwtError(f"credential is not JSON-serialisable: {exc}") from exc


def encode(
    credential: Mapping[str, Any],
    key: SigningKey,
    *,
    kid: str | None = None,
    embed_jwk: bool = False,
) -> str:
    """Sign a credential as an OB 3.0 VC-JWT (compact JWS).

    Args:
        credential: the credential JSON (VC 2.0 shape, ``validFrom`` required); any Data
            Integrity proof must already be attached (OB: DI first, then JWT).
        key: the signing key; it picks ``alg`` (RS256, ES256 or EdDSA).
        kid: a URL that dereferences to the public JWK (e.g. ``did:web:…#key-1``).
        embed_jwk: put the public JWK in the header instead of a ``kid``.

    Returns:
        The compact JWS ``header.payload.signature``.

    Raises:
        JwtError: not exactly one of ``kid`` / ``embed_jwk``, or claims that cannot be derived
            (no issuer id, no id, no or unparseable ``validFrom``).
    """
    if kid == "":
        raise JwtError("kid must not be empty")
    if (kid is None) == (not embed_jwk):
        raise JwtError("give exactly one of kid=… or embed_jwk=True (OB: either kid or jwk)")
    header: dict[str, Any] = {"alg": key.key_type.jws_alg, "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    else:
        header["jwk"] = key.public_key.to_jwk()
    payload = {**credential, **claims_for(credential)}
    signing_input = b".".join(
        b64url_encode(_json_bytes(p)).encode("ascii") for p in (header, payload)
    )
    signature = key.sign(signing_input)
    return f"{signing_input.decode('ascii')}.{b64url_encode(signature)}"


def _decode_segment(segment: str, what: str) -> dict[str, Any]:
    """Decode one base64url JSON segment, refusing duplicate member names (RFC 7519 §4).

    The JSON is untrusted, so it gets the structural bounds of any credential JSON
    (:func:`openbadges.jsonld.limits.loads_bounded`): a 10,000-deep header is a clean
    :class:`JwtError`, not a ``RecursionError``.
    """

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            raise JwtError(f"JWT {what} has duplicate member names")
        return dict(pairs)

    try:
        value = loads_bounded(b64url_decode(segment), object_pairs_hook=no_duplicates)
    except KeyFormatError as exc:
        raise JwtError(f"JWT {what} is not valid base64url") from exc
    except LimitExceededError as exc:
        raise JwtError(f"JWT {what} is refused: {exc.message}") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise JwtError(f"JWT {what} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise JwtError(f"JWT {what} must be a JSON object")
    return value


def _check_header(header: Mapping[str, Any]) -> None:
    """Apply the OB header rules that make a token unusable; extra headers are only reported."""
    alg = header.get("alg")
    if not isinstance(alg, str) or alg.lower() == "none":
        raise JwtError("JOSE header 'alg' is missing or 'none'; unsigned tokens are refused")
    if alg not in ALGORITHMS:
        raise JwtError(f"unsupported JWS alg {alg!r}; expected one of {sorted(ALGORITHMS)}")
    if "crit" in header:
        raise JwtError("JOSE header 'crit' names extensions this verifier does not understand")
    typ = header.get("typ")
    if typ is not None and (not isinstance(typ, str) or typ.upper() != "JWT"):
        raise JwtError(f"JOSE header 'typ' must be 'JWT' when present (OB 3.0), got {typ!r}")
    jwk = header.get("jwk")
    if jwk is not None and (not isinstance(jwk, Mapping) or "d" in jwk):
        raise JwtError("JOSE header 'jwk' must be a public JWK object; it must not contain 'd'")
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise JwtError("JOSE header 'kid' must be a string")


def decode_unverified(token: str | bytes) -> JwtParts:
    """Split and decode a VC-JWT without checking its signature.

    Use it to find the key (``kid`` / ``jwk``) before :func:`verify`, or to show what a token
    claims. Header and structure rules are applied; claim agreement is not.

    Raises:
        JwtError: not a three-part compact JWS, bad base64url/JSON, a refused header
            (``alg`` none/unsupported, ``crit``, wrong ``typ``, private ``jwk``), or a ``vc``
            claim that is not an object.
    """
    text = token.decode("ascii", "replace") if isinstance(token, bytes) else token
    if not isinstance(text, str):
        raise JwtError(f"a JWT must be a string, got {type(token).__name__}")
    text = text.strip()
    if len(text) > MAX_TOKEN_LENGTH:
        raise JwtError(f"JWT is longer than {MAX_TOKEN_LENGTH} characters")
    segments = text.split(".")
    if len(segments) != 3 or not all(segments[:2]):
        raise JwtError(
            "not a compact JWS: expected three base64url parts 'header.payload.signature'"
        )
    header = _decode_segment(segments[0], "header")
    _check_header(header)
    payload = _decode_segment(segments[1], "payload")
    try:
        signature = b64url_decode(segments[2])
    except KeyFormatError as exc:
        raise JwtError("JWT signature is not valid base64url") from exc
    credential, legacy = _credential_of(payload)
    return JwtParts(
        header=header,
        payload=payload,
        credential=credential,
        legacy=legacy,
        signing_input=f"{segments[0]}.{segments[1]}".encode("ascii"),
        signature=signature,
    )


def _credential_of(payload: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    if "vc" in payload:
        vc = payload["vc"]
        if not isinstance(vc, dict):
            raise JwtError("JWT 'vc' claim must be a JSON object", path="$.vc")
        return restore_legacy(vc, payload), True
    return {k: v for k, v in payload.items() if k not in REGISTERED_CLAIMS}, False


def verify(token: str | bytes, public_key: PublicKey) -> dict[str, Any]:
    """Verify a VC-JWT's signature and claims, and return the credential.

    The caller chooses the key (from ``kid`` through a resolver, or
    :attr:`JwtParts.header_key`); keys are never trusted because a token names them.
    Validity dates against the current time are **not** checked here (see module docstring).

    Raises:
        JwtError: a malformed token, an ``alg`` that does not fit the key type, a bad
            signature, or a claim that disagrees with the credential (``iss``, ``jti``,
            ``sub``, ``nbf``, ``exp``); the message and ``path`` name it.
    """
    if not isinstance(public_key, PublicKey):
        raise JwtError("no public key to verify the JWT with (kid not resolved, no jwk header?)")
    parts = decode_unverified(token)
    alg = parts.header["alg"]
    if ALGORITHMS[alg] is not public_key.key_type:
        raise JwtError(
            f"alg {alg} needs a {ALGORITHMS[alg].value} key, got {public_key.key_type.value}"
        )
    if not public_key.verify(parts.signature, parts.signing_input):
        raise JwtError("JWT signature does not verify with the given key", code="bad_signature")
    check_claims(parts.payload, parts.credential, legacy=parts.legacy)
    return parts.credential
