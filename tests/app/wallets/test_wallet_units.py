"""Units of the wallet package: key proofs (algorithms, key forms), did:jwk, secrets in logs,
and the per-address rate limit of the public wallet endpoints."""

from __future__ import annotations

import base64
import json
import time

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from scripted_wallet import HolderKey

from app.core.log_redaction import redact
from app.wallets.errors import OAuthError
from app.wallets.key_proof import did_jwk, verify_key_proof
from openbadges.keys import KeyType, SigningKey

AUD = "https://badges.test"


@pytest.mark.parametrize(
    ("kind", "binding", "alg"),
    [("Ed25519", "kid", "EdDSA"), ("Ed25519", "jwk", "Ed25519"), ("P-256", "kid", "ES256")],
)
def test_accepted_key_proofs(kind: str, binding: str, alg: str) -> None:
    holder = HolderKey(kind=kind, binding=binding, alg=alg)
    proof = verify_key_proof(holder.proof(aud=AUD, nonce="n-1"), audience=AUD)
    assert proof.holder_did == holder.did
    assert proof.nonce == "n-1"


def refusal(token: object) -> str:
    with pytest.raises(OAuthError) as caught:
        verify_key_proof(token, audience=AUD)
    assert caught.value.error == "invalid_proof"
    return caught.value.detail


def raw_proof(header: dict[str, object], key: SigningKey, **claims: object) -> str:
    """A proof JWS built by hand: joserfc refuses to sign the malformed headers tested here."""

    def b64(value: object) -> str:
        text = json.dumps(value).encode()
        return base64.urlsafe_b64encode(text).rstrip(b"=").decode()

    body = {"aud": AUD, "iat": int(time.time()), "nonce": "n", **claims}
    signing_input = f"{b64({'typ': 'openid4vci-proof+jwt', 'alg': 'EdDSA', **header})}.{b64(body)}"
    signature = base64.urlsafe_b64encode(key.sign(signing_input.encode())).rstrip(b"=").decode()
    return f"{signing_input}.{signature}"


def test_refused_key_proofs() -> None:
    key = SigningKey.generate(KeyType.ED25519)
    public = key.public_key.to_jwk()
    kid = f"did:key:{key.public_key.multibase}#{key.public_key.multibase}"
    assert verify_key_proof(raw_proof({"kid": kid}, key), audience=AUD).nonce == "n"
    assert "compact JWS" in refusal("not a jwt")
    assert "compact JWS" in refusal(None)
    assert "public JWK" in refusal(raw_proof({"jwk": {**public, "d": "AAAA"}}, key))
    assert "exactly one of kid and jwk" in refusal(raw_proof({"kid": kid, "jwk": public}, key))
    assert "exactly one of kid and jwk" in refusal(raw_proof({}, key))
    assert "x5c" in refusal(raw_proof({"x5c": ["MIIB"]}, key))
    assert "did:key" in refusal(raw_proof({"kid": "did:web:example.com#k"}, key))
    assert "typ" in refusal(raw_proof({"kid": kid, "typ": "JWT"}, key))
    assert "critical" in refusal(raw_proof({"kid": kid, "crit": ["exp"]}, key))
    assert "JSON" in refusal(raw_proof({"kid": kid}, key, iat=float("nan")))  # NaN is no JSON
    assert "alg" in refusal(raw_proof({"kid": kid, "alg": "none"}, key))
    assert "alg" in refusal(raw_proof({"kid": kid, "alg": "HS256"}, key))
    assert "iat" in refusal(raw_proof({"kid": kid}, key, iat=int(time.time()) + 3600))
    assert "iat" in refusal(raw_proof({"kid": kid}, key, iat="yesterday"))
    assert "aud" in refusal(raw_proof({"kid": kid}, key, aud="https://other.example"))
    assert "nonce" in refusal(raw_proof({"kid": kid}, key, nonce=""))
    other = SigningKey.generate(KeyType.ED25519)
    assert "signature" in refusal(raw_proof({"kid": kid}, other))


def test_did_jwk_is_the_public_jwk() -> None:
    holder = HolderKey(kind="P-256", binding="jwk")
    did = did_jwk({**holder.public_jwk, "kid": "ignored", "use": "sig"})
    encoded = did.removeprefix("did:jwk:")
    decoded = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    assert decoded == {k: holder.public_jwk[k] for k in ("crv", "kty", "x", "y")}
    assert did == holder.did


def test_link_secrets_are_redacted_from_logs() -> None:
    line = '"POST /wallets/vcapi/exchange?token=s3cr3t HTTP/1.1" 200'
    assert "s3cr3t" not in redact(line)
    offer = "/wallets/oid4vci/offer?token=s3cr3t"
    assert "s3cr3t" not in redact(offer)


def test_wallet_endpoints_are_rate_limited(app: FastAPI) -> None:
    from app.core.ratelimit import TokenBucketLimiter

    saved = getattr(app.state, "wallet_limiter", None)
    app.state.wallet_limiter = TokenBucketLimiter(60, 2)
    try:
        client = TestClient(app)
        statuses = [client.post("/wallets/oid4vci/nonce").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        limited = client.post("/wallets/oid4vci/nonce")
        assert int(limited.headers["retry-after"]) >= 1
        # metadata is not limited: wallets and verifiers read it freely
        assert client.get("/.well-known/openid-credential-issuer").status_code == 200
    finally:
        app.state.wallet_limiter = saved
