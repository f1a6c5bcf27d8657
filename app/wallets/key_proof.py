"""The ``jwt`` key proof of an OpenID4VCI credential request (1.0 final, Appendix F.1 and F.4:
https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html#name-jwt-proof-type).

Checked here: ``typ`` is ``openid4vci-proof+jwt``; ``alg`` is an asymmetric algorithm we accept
and fits the key (``EdDSA``/``Ed25519`` for Ed25519, ``ES256`` for P-256); the key comes from
exactly one of ``kid`` (a did:key URL) or ``jwk`` (a public JWK, which makes the holder a
did:jwk); the signature verifies; ``aud`` is our Credential Issuer Identifier; ``iat`` is
recent; ``nonce`` is present (whether it is a live ``c_nonce`` is the caller's database check).
"""

from __future__ import annotations

import base64
import json
import math
import time
from dataclasses import dataclass
from typing import Any

from app.wallets.errors import invalid_proof
from openbadges.did import resolve_did_key
from openbadges.errors import OpenBadgesError
from openbadges.keys import KeyType, PublicKey

PROOF_TYP = "openid4vci-proof+jwt"
ALGORITHMS: dict[str, KeyType] = {
    "EdDSA": KeyType.ED25519,
    "Ed25519": KeyType.ED25519,  # RFC 9864's fully-specified name
    "ES256": KeyType.P256,
}
"""Accepted ``alg`` values and the key type each needs (declared in the issuer metadata)."""
MAX_AGE_S = 600
"""How old ``iat`` may be; the single-use ``c_nonce`` is the real freshness check."""
MAX_SKEW_S = 60
"""How far in the future ``iat`` may be (the wallet's clock may run ahead)."""
MAX_PROOF_CHARS = 8_192


@dataclass(frozen=True, slots=True)
class KeyProof:
    """What a verified key proof tells: the holder's DID and the nonce it used."""

    holder_did: str
    nonce: str


def _b64_json(segment: str, what: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        value = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: [[[[…
        raise invalid_proof(f"The key proof's {what} is not base64url JSON.") from exc
    if not isinstance(value, dict):
        raise invalid_proof(f"The key proof's {what} is not a JSON object.")
    return value


def _refuse_constant(name: str) -> Any:
    """JSON has no NaN or Infinity (RFC 8259 §6); Python's parser accepts them, and an
    ``iat`` of NaN would pass every comparison."""
    raise ValueError(f"{name} is not JSON")


def did_jwk(jwk: dict[str, Any]) -> str:
    """``did:jwk:`` + base64url of the public JWK's members (did:jwk spec §2.2)."""
    public = {k: jwk[k] for k in ("crv", "kty", "x", "y") if k in jwk}
    text = json.dumps(public, separators=(",", ":"), sort_keys=True)
    return "did:jwk:" + base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def _holder_key(header: dict[str, Any]) -> tuple[PublicKey, str]:
    """The key the proof names and the holder DID it gives."""
    kid, jwk = header.get("kid"), header.get("jwk")
    if "x5c" in header:
        raise invalid_proof("x5c key proofs are not supported; use kid (did:key) or jwk.")
    if (kid is None) == (jwk is None):
        raise invalid_proof("The key proof header needs exactly one of kid and jwk.")
    try:
        if jwk is not None:
            if not isinstance(jwk, dict) or "d" in jwk:
                raise invalid_proof("The jwk header must be a public JWK (no private part).")
            return PublicKey.from_jwk(jwk), did_jwk(jwk)
        if not isinstance(kid, str) or not kid.startswith("did:key:") or "#" not in kid:
            raise invalid_proof("kid must be a did:key URL (did:key:z...#z...).")
        return resolve_did_key(kid), kid.partition("#")[0]
    except OpenBadgesError as exc:
        raise invalid_proof(f"The key proof's key is unusable: {exc}") from exc


def _check_claims(claims: dict[str, Any], audience: str, now: float) -> str:
    """``aud``, ``iat`` and ``nonce`` of the payload; returns the nonce."""
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if audience not in audiences:
        raise invalid_proof(f"The key proof's aud must be the credential issuer {audience}.")
    iat = claims.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, (int, float)) or not math.isfinite(iat):
        raise invalid_proof("The key proof needs a numeric iat.")
    if iat > now + MAX_SKEW_S or iat < now - MAX_AGE_S:
        raise invalid_proof("The key proof's iat is too far from now.")
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise invalid_proof("The key proof needs the c_nonce from the nonce endpoint.")
    return nonce


def verify_key_proof(token: Any, *, audience: str, now: float | None = None) -> KeyProof:
    """Verify one ``jwt`` key proof; raises :class:`~app.wallets.errors.OAuthError`
    ``invalid_proof`` naming what is wrong."""
    if not isinstance(token, str) or len(token) > MAX_PROOF_CHARS or token.count(".") != 2:
        raise invalid_proof("The key proof must be a compact JWS.")
    header_b64, payload_b64, signature_b64 = token.split(".")
    header = _b64_json(header_b64, "header")
    if header.get("typ") != PROOF_TYP:
        raise invalid_proof(f"The key proof's typ must be {PROOF_TYP}.")
    if "crit" in header:  # RFC 7515 §4.1.11: no extension is understood here
        raise invalid_proof(
            "The key proof names critical header parameters this issuer does not understand."
        )
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise invalid_proof(f"The key proof's alg must be one of {', '.join(ALGORITHMS)}.")
    key, holder = _holder_key(header)
    if key.key_type is not ALGORITHMS[alg]:
        raise invalid_proof(f"alg {alg} does not fit the key's type {key.key_type.value}.")
    try:
        signature = base64.urlsafe_b64decode(signature_b64 + "=" * (-len(signature_b64) % 4))
    except ValueError as exc:
        raise invalid_proof("The key proof's signature is not base64url.") from exc
    if not key.verify(signature, f"{header_b64}.{payload_b64}".encode("ascii")):
        raise invalid_proof("The key proof's signature does not verify with its key.")
    claims = _b64_json(payload_b64, "payload")
    nonce = _check_claims(claims, audience, time.time() if now is None else now)
    return KeyProof(holder_did=holder, nonce=nonce)
