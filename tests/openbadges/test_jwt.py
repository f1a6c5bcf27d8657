"""VC-JWT: round trips, refusals, claim rules, interop with joserfc, and the 1EdTech corpus."""

from __future__ import annotations

import json
import re
import struct
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import ECKey, RSAKey
from joserfc.jws import JWSRegistry
from shared_corpus import OB30_CORPUS

from openbadges.errors import JwtError
from openbadges.keys import KeyType, PublicKey, SigningKey
from openbadges.multibase import b64url_decode, b64url_encode
from openbadges.proofs.jwt import decode_unverified, encode, verify

CORPUS = OB30_CORPUS
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="conformance corpus not available")


def credential(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "https://badges.example.edu/credentials/0b1c",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": "did:web:badges.example.edu:issuers:1",
            "type": ["Profile"],
            "name": "Uni",
        },
        "validFrom": "2024-03-01T12:00:00Z",
        "name": "团队合作 Teamwork",
        "credentialSubject": {"id": "did:example:learner", "type": ["AchievementSubject"]},
    }
    doc.update(changes)
    return {k: v for k, v in doc.items() if v is not None}


def _seg(text: str) -> str:
    return b64url_encode(text.encode())


_ES256 = _seg('{"alg":"ES256"}')


def sign_raw(header: dict[str, Any], payload: dict[str, Any], key: SigningKey) -> str:
    """Sign arbitrary header/payload, to build tokens encode() would never produce."""
    parts = [b64url_encode(json.dumps(p).encode()) for p in (header, payload)]
    signing_input = ".".join(parts)
    return f"{signing_input}.{b64url_encode(key.sign(signing_input.encode()))}"


@pytest.fixture(scope="module", params=list(KeyType), ids=lambda k: k.value)
def key(request: pytest.FixtureRequest) -> SigningKey:
    return SigningKey.generate(request.param)


@pytest.fixture(scope="module")
def ed_key() -> SigningKey:
    return SigningKey.generate(KeyType.ED25519)


class TestEncode:
    def test_round_trip_with_kid(self, key: SigningKey) -> None:
        token = encode(credential(), key, kid="did:web:badges.example.edu:issuers:1#key-1")
        parts = decode_unverified(token)
        assert parts.header == {
            "alg": {"Ed25519": "EdDSA", "P-256": "ES256", "RSA": "RS256"}[key.key_type.value],
            "typ": "JWT",
            "kid": "did:web:badges.example.edu:issuers:1#key-1",
        }
        assert verify(token, key.public_key) == credential()

    def test_round_trip_with_embedded_jwk(self, key: SigningKey) -> None:
        parts = decode_unverified(encode(credential(), key, embed_jwk=True))
        assert "kid" not in parts.header
        assert "d" not in parts.header["jwk"]
        assert parts.header_key == key.public_key

    def test_claims(self, ed_key: SigningKey) -> None:
        doc = credential(validUntil="2030-01-01T00:00:00Z")
        payload = decode_unverified(encode(doc, ed_key, kid="k")).payload
        assert payload["iss"] == "did:web:badges.example.edu:issuers:1"
        assert payload["jti"] == doc["id"]
        assert payload["sub"] == "did:example:learner"
        assert payload["nbf"] == 1709294400
        assert payload["exp"] == 1893456000
        assert {
            k: v for k, v in payload.items() if k not in {"iss", "jti", "sub", "nbf", "exp"}
        } == doc

    def test_string_issuer_and_no_subject_id(self, ed_key: SigningKey) -> None:
        doc = credential(
            issuer="https://example.edu/issuers/1",
            credentialSubject={"type": ["AchievementSubject"]},
        )
        payload = decode_unverified(encode(doc, ed_key, kid="k")).payload
        assert payload["iss"] == "https://example.edu/issuers/1"
        assert "sub" not in payload

    @pytest.mark.parametrize(("kid", "embed"), [(None, False), ("k", True)])
    def test_exactly_one_of_kid_or_jwk(
        self, ed_key: SigningKey, kid: str | None, embed: bool
    ) -> None:
        with pytest.raises(JwtError, match="exactly one"):
            encode(credential(), ed_key, kid=kid, embed_jwk=embed)

    def test_empty_kid(self, ed_key: SigningKey) -> None:
        with pytest.raises(JwtError, match="kid must not be empty"):
            encode(credential(), ed_key, kid="")

    @pytest.mark.parametrize(
        ("changes", "path"),
        [
            ({"issuer": {"name": "no id"}}, "$.issuer"),
            ({"id": None}, "$.id"),
            ({"validFrom": None}, "$.validFrom"),
            ({"validFrom": "yesterday"}, "$.validFrom"),
            ({"validUntil": 5}, "$.validUntil"),
        ],
    )
    def test_underivable_claims(
        self, ed_key: SigningKey, changes: dict[str, Any], path: str
    ) -> None:
        with pytest.raises(JwtError) as info:
            encode(credential(**changes), ed_key, kid="k")
        assert info.value.path == path


class TestVerifyRefusals:
    def test_tampered_payload(self, key: SigningKey) -> None:
        header, _, signature = encode(credential(), key, kid="k").split(".")
        forged = b64url_encode(json.dumps({**credential(), "name": "Forged"}).encode())
        with pytest.raises(JwtError, match="signature does not verify") as info:
            verify(f"{header}.{forged}.{signature}", key.public_key)
        assert info.value.code == "bad_signature"

    def test_wrong_key_same_type(self, key: SigningKey) -> None:
        token = encode(credential(), key, kid="k")
        with pytest.raises(JwtError, match="signature does not verify"):
            verify(token, SigningKey.generate(key.key_type).public_key)

    def test_key_type_must_fit_alg(self, ed_key: SigningKey) -> None:
        token = encode(credential(), ed_key, kid="k")
        with pytest.raises(JwtError, match="alg EdDSA needs a Ed25519 key, got P-256"):
            verify(token, SigningKey.generate("P-256").public_key)

    def test_alg_none(self) -> None:
        header = b64url_encode(b'{"alg":"none","typ":"JWT"}')
        payload = b64url_encode(json.dumps(credential()).encode())
        with pytest.raises(JwtError, match="'none'"):
            decode_unverified(f"{header}.{payload}.")

    def test_header_jwk_with_private_member(self, ed_key: SigningKey) -> None:
        jwk = {**ed_key.public_key.to_jwk(), "d": "AAAA"}
        token = sign_raw({"alg": "EdDSA", "jwk": jwk}, credential(), ed_key)
        with pytest.raises(JwtError, match="must not contain 'd'"):
            decode_unverified(token)

    def test_malformed_header_jwk(self, ed_key: SigningKey) -> None:
        token = sign_raw(
            {"alg": "EdDSA", "jwk": {"kty": "OKP", "crv": "Ed448", "x": "AA"}}, credential(), ed_key
        )
        with pytest.raises(JwtError, match="not a usable public key"):
            _ = decode_unverified(token).header_key

    @pytest.mark.parametrize(
        ("header", "message"),
        [
            ({"alg": "HS256"}, "unsupported JWS alg 'HS256'"),
            ({"typ": "JWT"}, "'alg' is missing"),
            ({"alg": "EdDSA", "typ": "vc+jwt"}, "'typ' must be 'JWT'"),
            ({"alg": "EdDSA", "crit": ["b64"], "b64": False}, "'crit'"),
            ({"alg": "EdDSA", "kid": 7}, "'kid' must be a string"),
        ],
    )
    def test_refused_headers(
        self, ed_key: SigningKey, header: dict[str, Any], message: str
    ) -> None:
        with pytest.raises(JwtError, match=message):
            decode_unverified(sign_raw(header, credential(), ed_key))

    def test_extra_headers_are_reported_not_refused(self, ed_key: SigningKey) -> None:
        doc = credential()
        token = sign_raw({"alg": "EdDSA", "kid": "k", "cty": "vc"}, {**doc, **_claims(doc)}, ed_key)
        assert decode_unverified(token).extra_headers == ["cty"]
        assert verify(token, ed_key.public_key) == doc

    @pytest.mark.parametrize(
        ("token", "message"),
        [
            ("", "three base64url parts"),
            ("abc.def", "three base64url parts"),
            ("a.b.c.d", "three base64url parts"),
            ("@@@.e30.", "header is not valid base64url"),
            (_seg("not json") + ".e30.", "header is not valid JSON"),
            (_seg("[1]") + ".e30.", "header must be a JSON object"),
            (_seg("{}") + ".e30.", "'alg' is missing"),
            (_seg('{"alg":"ES256","alg":"none"}') + ".e30.", "duplicate"),
            (_ES256 + "." + _seg("[]") + ".", "payload must be a JSON object"),
            (_ES256 + "." + _seg('{"vc":1}') + ".", "'vc' claim"),
            (_ES256 + ".e30.+/+", "signature is not valid base64url"),
        ],
    )
    def test_malformed_tokens(self, token: str, message: str) -> None:
        with pytest.raises(JwtError, match=message):
            decode_unverified(token)

    def test_missing_key(self, ed_key: SigningKey) -> None:
        with pytest.raises(JwtError, match="no public key"):
            verify(encode(credential(), ed_key, kid="k"), None)  # type: ignore[arg-type]

    def test_non_string_token(self) -> None:
        with pytest.raises(JwtError, match="must be a string"):
            decode_unverified(123)  # type: ignore[arg-type]


def _claims(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "iss": doc["issuer"]["id"],
        "jti": doc["id"],
        "sub": "did:example:learner",
        "nbf": 1709294400,
    }


class TestClaimRules:
    @pytest.mark.parametrize(
        ("override", "message", "path"),
        [
            ({"iss": "did:web:evil.example"}, "'iss' is 'did:web:evil.example'", "$.issuer"),
            ({"iss": None}, "'iss' is missing", "$.iss"),
            ({"jti": "urn:uuid:other"}, "'jti'", "$.id"),
            ({"jti": None}, "'jti' is missing", "$.jti"),
            ({"sub": "did:example:someone-else"}, "'sub'", "$.credentialSubject.id"),
            ({"nbf": 1709294401}, "'nbf' .* does not equal validFrom", "$.validFrom"),
            ({"nbf": None}, "'nbf' is missing", "$.nbf"),
            ({"nbf": "2024"}, "NumericDate", "$.nbf"),
        ],
    )
    def test_disagreeing_claim_is_named(
        self, ed_key: SigningKey, override: dict[str, Any], message: str, path: str
    ) -> None:
        doc = credential()
        payload = {k: v for k, v in {**doc, **_claims(doc), **override}.items() if v is not None}
        with pytest.raises(JwtError, match=message) as info:
            verify(sign_raw({"alg": "EdDSA", "kid": "k"}, payload, ed_key), ed_key.public_key)
        assert info.value.path == path

    def test_exp_must_equal_valid_until(self, ed_key: SigningKey) -> None:
        doc = credential(validUntil="2030-01-01T00:00:00Z")
        payload = {**doc, **_claims(doc), "exp": 1893456000 + 3600}
        with pytest.raises(JwtError, match=r"'exp'.*validUntil"):
            verify(sign_raw({"alg": "EdDSA", "kid": "k"}, payload, ed_key), ed_key.public_key)

    def test_fractional_seconds_compare_by_whole_second(self, ed_key: SigningKey) -> None:
        doc = credential(validFrom="2024-03-01T12:00:00.750Z")
        token = sign_raw({"alg": "EdDSA", "kid": "k"}, {**doc, **_claims(doc)}, ed_key)
        assert verify(token, ed_key.public_key)["validFrom"] == "2024-03-01T12:00:00.750Z"

    def test_dates_are_not_checked_against_now(self, ed_key: SigningKey) -> None:
        expired = credential(validFrom="2001-01-01T00:00:00Z", validUntil="2002-01-01T00:00:00Z")
        assert verify(encode(expired, ed_key, kid="k"), ed_key.public_key) == expired


class TestLegacyVc11:
    def test_vc_claim_is_read_and_restored(self, ed_key: SigningKey) -> None:
        vc = {
            "@context": ["https://www.w3.org/2018/credentials/v1"],
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": {"id": "https://example.edu/issuers/1"},
            "credentialSubject": {"type": ["AchievementSubject"]},
        }
        payload = {
            "vc": vc,
            "iss": "https://example.edu/issuers/1",
            "jti": "urn:uuid:91537dba",
            "sub": "did:example:learner",
            "nbf": 1262304000,
            "exp": 1893456000,
        }
        parts = decode_unverified(sign_raw({"alg": "EdDSA", "kid": "k"}, payload, ed_key))
        assert parts.legacy
        restored = verify(
            sign_raw({"alg": "EdDSA", "kid": "k"}, payload, ed_key), ed_key.public_key
        )
        assert restored["id"] == "urn:uuid:91537dba"
        assert restored["issuanceDate"] == "2010-01-01T00:00:00Z"
        assert restored["expirationDate"] == "2030-01-01T00:00:00Z"
        assert restored["credentialSubject"]["id"] == "did:example:learner"

    def test_out_of_range_numeric_date(self, ed_key: SigningKey) -> None:
        payload = {
            "vc": {"issuer": "https://example.edu/i"},
            "iss": "https://example.edu/i",
            "nbf": 1e20,
        }
        with pytest.raises(JwtError, match="out of range"):
            decode_unverified(sign_raw({"alg": "EdDSA", "kid": "k"}, payload, ed_key))

    def test_legacy_issuance_date_must_match_nbf(self, ed_key: SigningKey) -> None:
        vc = {
            "issuer": "https://example.edu/i",
            "id": "urn:x",
            "issuanceDate": "2011-01-01T00:00:00Z",
        }
        payload = {"vc": vc, "iss": "https://example.edu/i", "jti": "urn:x", "nbf": 1262304000}
        with pytest.raises(JwtError, match="issuanceDate"):
            verify(sign_raw({"alg": "EdDSA", "kid": "k"}, payload, ed_key), ed_key.public_key)


class TestInteropWithJoserfc:
    """An independent JOSE implementation must accept our tokens, and we must accept its tokens."""

    registry = JWSRegistry(algorithms=["RS256", "ES256"])

    @pytest.mark.parametrize("kind", ["RSA", "P-256"])
    def test_joserfc_verifies_ours(self, kind: str) -> None:
        key = SigningKey.generate(kind)
        token = encode(credential(), key, kid="k")
        jwk: dict[str, str | list[str]] = dict(key.public_key.to_jwk())
        jose_key = (RSAKey if kind == "RSA" else ECKey).import_key(jwk)
        obj = jws.deserialize_compact(token, jose_key, registry=self.registry)
        assert json.loads(obj.payload)["jti"] == credential()["id"]

    @pytest.mark.parametrize("kind", ["RSA", "P-256"])
    def test_we_verify_joserfcs(self, kind: str) -> None:
        key = SigningKey.generate(kind)
        jose_key = (RSAKey if kind == "RSA" else ECKey).import_key(key.to_pem())
        doc = credential()
        alg = key.key_type.jws_alg
        token = jws.serialize_compact(
            {"alg": alg, "kid": "k"},
            json.dumps({**doc, **_claims(doc)}),
            jose_key,
            registry=self.registry,
        )
        assert verify(token, key.public_key) == doc


def _svg_token(name: str) -> str:
    match = re.search(r'verify="([^"]+)"', (CORPUS / name).read_text(encoding="utf-8"))
    assert match, f"no verify attribute in {name}"
    return match.group(1)


def _png_token(name: str) -> str:
    """Read the iTXt 'openbadgecredential' chunk (uncompressed, empty language and keyword)."""
    data, offset = (CORPUS / name).read_bytes(), 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, body = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        if kind == b"iTXt" and body.startswith(b"openbadgecredential\x00"):
            return body.split(b"\x00", 5)[-1].decode("utf-8")
        offset += 12 + length
    raise AssertionError(f"no openbadgecredential chunk in {name}")


@needs_corpus
class TestConformanceCorpus:
    @pytest.mark.parametrize(
        ("name", "legacy"),
        [
            ("simple-jwt.svg", False),
            ("simple-jwt.png", False),
            ("simple-jwt_v1.svg", True),
            ("simple-jwt_v1.png", True),
        ],
    )
    def test_baked_tokens_verify_with_their_header_jwk(self, name: str, legacy: bool) -> None:
        token = _svg_token(name) if name.endswith(".svg") else _png_token(name)
        parts = decode_unverified(token)
        assert parts.header["alg"] == "RS256"
        assert parts.legacy is legacy
        key = parts.header_key
        assert isinstance(key, PublicKey)
        credential_out = verify(token, key)
        assert credential_out["id"] == parts.payload["jti"]
        assert "iss" not in credential_out

    def test_tampered_corpus_token_fails(self) -> None:
        header, payload, signature = _svg_token("simple-jwt.svg").split(".")
        claims = json.loads(b64url_decode(payload))
        claims["name"] = "Not the Teamwork Badge"
        forged = f"{header}.{b64url_encode(json.dumps(claims).encode())}.{signature}"
        with pytest.raises(JwtError, match="signature"):
            verify(forged, decode_unverified(forged).header_key)  # type: ignore[arg-type]

    def test_simple_jwt_has_no_key(self) -> None:
        parts = decode_unverified((CORPUS / "simple.jwt").read_text())
        assert parts.legacy
        assert parts.header_key is None
        assert "kid" not in parts.header
        assert parts.credential["issuer"]["id"] == parts.payload["iss"]

    def test_velocity_jwt_decodes_with_a_did_kid(self) -> None:
        parts = decode_unverified((CORPUS / "velocity.jwt").read_text())
        assert parts.legacy
        assert parts.header["kid"].startswith("did:velocity:")
