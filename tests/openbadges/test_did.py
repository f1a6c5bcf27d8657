"""did:key, did:web URL mapping, DID documents and verification-method lookup."""

from __future__ import annotations

from typing import Any

import pytest

from openbadges.did import (
    VerificationMethod,
    did_document,
    did_key,
    did_key_verification_method,
    did_web_to_url,
    find_verification_method,
    resolve_did_key,
    url_to_did_web,
    verification_method_from_json,
)
from openbadges.errors import KeyFormatError
from openbadges.keys import PublicKey, SigningKey

W3C_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
ISSUER = "did:web:example.edu:issuers:565049"


class TestDidKey:
    def test_w3c_vector_verification_method(self) -> None:
        key = PublicKey.from_multibase(W3C_PUBLIC)
        assert did_key(key) == f"did:key:{W3C_PUBLIC}"
        # vc-di-eddsa proofConfigDataInt.json uses this verificationMethod
        assert did_key_verification_method(key) == f"did:key:{W3C_PUBLIC}#{W3C_PUBLIC}"

    @pytest.mark.parametrize("kind", ["Ed25519", "P-256"])
    def test_round_trip(self, kind: str) -> None:
        key = SigningKey.generate(kind).public_key
        assert resolve_did_key(did_key(key)) == key
        assert resolve_did_key(did_key_verification_method(key)) == key

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("did:web:example.edu", "not a did:key"),
            (
                f"did:key:{W3C_PUBLIC}#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",
                "does not match",
            ),
            (f"did:key:{W3C_PUBLIC}/path", "no path or query"),
            ("did:key:", "no path or query"),
            ("did:key:u7QE", "must start with 'z'"),
        ],
    )
    def test_bad_did_key(self, value: str, message: str) -> None:
        with pytest.raises(KeyFormatError, match=message):
            resolve_did_key(value)

    def test_rsa_has_no_did_key(self) -> None:
        with pytest.raises(KeyFormatError):
            did_key(SigningKey.generate("RSA").public_key)


class TestDidWeb:
    @pytest.mark.parametrize(
        ("did", "url"),
        [
            ("did:web:example.edu", "https://example.edu/.well-known/did.json"),
            (ISSUER, "https://example.edu/issuers/565049/did.json"),
            (
                "did:web:example.com%3A3000:user:alice",
                "https://example.com:3000/user/alice/did.json",
            ),
            (
                "did:web:example.edu:issuers:565049#key-1",
                "https://example.edu/issuers/565049/did.json",
            ),
            ("did:web:localhost%3A8000:issuers:7", "http://localhost:8000/issuers/7/did.json"),
            ("did:web:127.0.0.1%3A8000", "http://127.0.0.1:8000/.well-known/did.json"),
            ("did:web:localhost.example.com", "https://localhost.example.com/.well-known/did.json"),
        ],
    )
    def test_to_url_and_back(self, did: str, url: str) -> None:
        assert did_web_to_url(did) == url
        assert url_to_did_web(url) == did.partition("#")[0]

    @pytest.mark.parametrize(
        ("did", "message"),
        [
            ("did:key:z6Mk", "not a did:web"),
            ("did:web:", "empty identifier"),
            ("did:web:10.0.0.1", "not an IP address"),
            ("did:web:[::1]", "not a valid host name"),
            ("did:web:example.edu%3A99999", "not a valid port"),
            ("did:web:example.edu:..:secret", "dot segment"),
            ("did:web:example.edu:a%2Fb", "holds a slash"),
            ("did:web:example.edu::x", "empty"),
            ("did:web:exa_mple.edu", "not a valid host name"),
            ("did:web:user%40evil.com", "not a valid host name"),
        ],
    )
    def test_bad_did_web(self, did: str, message: str) -> None:
        with pytest.raises(KeyFormatError, match=message) as info:
            did_web_to_url(did)
        assert info.value.code == "invalid_did"

    def test_from_base_url_and_segments(self) -> None:
        assert url_to_did_web("https://example.edu/", "issuers", "565049") == ISSUER
        assert url_to_did_web("https://Example.EDU:8443") == "did:web:example.edu%3A8443"

    def test_http_base_url_gives_a_did_that_resolves_over_https(self) -> None:
        did = url_to_did_web("http://testserver", "issuers", "1")
        assert did_web_to_url(did) == "https://testserver/issuers/1/did.json"

    @pytest.mark.parametrize(
        "url",
        [
            "ftp://example.edu",
            "https://example.edu/?q=1",
            "https://u@example.edu",
            "https://10.1.2.3",
        ],
    )
    def test_bad_urls(self, url: str) -> None:
        with pytest.raises(KeyFormatError):
            url_to_did_web(url)


def _methods() -> list[VerificationMethod]:
    return [
        VerificationMethod("#key-1", ISSUER, SigningKey.generate("Ed25519").public_key),
        VerificationMethod(f"{ISSUER}#key-2", ISSUER, SigningKey.generate("P-256").public_key),
        VerificationMethod("#key-3", ISSUER, SigningKey.generate("RSA").public_key),
    ]


class TestDidDocument:
    def test_shape(self) -> None:
        doc = did_document(ISSUER, _methods())
        assert doc["@context"] == [
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/multikey/v1",
            "https://w3id.org/security/jwk/v1",
        ]
        ids = [f"{ISSUER}#key-{n}" for n in (1, 2, 3)]
        assert [m["id"] for m in doc["verificationMethod"]] == ids
        assert doc["assertionMethod"] == ids == doc["authentication"]
        assert [m["type"] for m in doc["verificationMethod"]] == [
            "Multikey",
            "JsonWebKey",
            "JsonWebKey",
        ]
        assert doc["verificationMethod"][0]["publicKeyMultibase"].startswith("z6Mk")
        assert "d" not in doc["verificationMethod"][2]["publicKeyJwk"]

    def test_ed25519_only_has_no_jwk_context(self) -> None:
        doc = did_document(ISSUER, _methods()[:1])
        assert "https://w3id.org/security/jwk/v1" not in doc["@context"]

    @pytest.mark.parametrize("vm_id", ["#key-1", f"{ISSUER}#key-2", "#key-3"])
    def test_find_each_method(self, vm_id: str) -> None:
        methods = _methods()
        doc = did_document(ISSUER, methods)
        wanted = next(m for m in methods if m.id.endswith(vm_id[-5:]))
        assert find_verification_method(doc, vm_id) == wanted.public_key

    def test_unknown_id_is_none(self) -> None:
        assert find_verification_method(did_document(ISSUER, _methods()), "#key-9") is None

    def test_not_listed_under_assertion_method(self) -> None:
        doc = did_document(ISSUER, _methods())
        doc["assertionMethod"] = [f"{ISSUER}#key-2"]
        with pytest.raises(KeyFormatError, match="not listed under assertionMethod") as info:
            find_verification_method(doc, "#key-1")
        assert info.value.code == "vm_not_authorized"
        assert find_verification_method(doc, "#key-2") is not None

    def test_embedded_method_in_assertion_method(self) -> None:
        key = SigningKey.generate().public_key
        doc = {
            "id": ISSUER,
            "assertionMethod": [
                {
                    "id": "#emb",
                    "type": "Multikey",
                    "controller": ISSUER,
                    "publicKeyMultibase": key.multibase,
                }
            ],
        }
        assert find_verification_method(doc, f"{ISSUER}#emb") == key


class TestLegacyMethodTypes:
    def _doc(self, method: dict[str, Any]) -> dict[str, Any]:
        return {"id": ISSUER, "verificationMethod": [method], "assertionMethod": [method["id"]]}

    def test_ed25519_verification_key_2020(self) -> None:
        key = PublicKey.from_multibase(W3C_PUBLIC)
        method = {
            "id": "#k",
            "type": "Ed25519VerificationKey2020",
            "publicKeyMultibase": W3C_PUBLIC,
        }
        assert find_verification_method(self._doc(method), "#k") == key

    def test_json_web_key_2020(self) -> None:
        key = SigningKey.generate("P-256").public_key
        method = {"id": f"{ISSUER}#k", "type": "JsonWebKey2020", "publicKeyJwk": key.to_jwk()}
        assert find_verification_method(self._doc(method), "#k") == key

    def test_ed25519_2020_with_p256_key_refused(self) -> None:
        key = SigningKey.generate("P-256").public_key
        method = {
            "id": "#k",
            "type": "Ed25519VerificationKey2020",
            "publicKeyMultibase": key.multibase,
        }
        with pytest.raises(KeyFormatError, match="non-Ed25519"):
            find_verification_method(self._doc(method), "#k")

    @pytest.mark.parametrize(
        ("method", "message"),
        [
            (
                {"id": "#k", "type": "EcdsaSecp256k1VerificationKey2019"},
                "unsupported verification method type",
            ),
            ({"id": "#k", "type": "Multikey"}, "no string 'publicKeyMultibase'"),
            ({"id": "#k", "type": "JsonWebKey", "publicKeyJwk": "x"}, "no publicKeyJwk object"),
            (
                {"id": "#k", "type": "JsonWebKey", "publicKeyJwk": {"kty": "RSA", "d": "x"}},
                "private",
            ),
        ],
    )
    def test_bad_methods(self, method: dict[str, Any], message: str) -> None:
        with pytest.raises(KeyFormatError, match=message):
            find_verification_method(self._doc(method), "#k")

    def test_method_without_id(self) -> None:
        with pytest.raises(KeyFormatError, match="string 'id'"):
            verification_method_from_json({"type": "Multikey"})

    def test_controller_defaults_to_document(self) -> None:
        method = verification_method_from_json(
            {"id": "#k", "type": "Multikey", "publicKeyMultibase": W3C_PUBLIC}, base=ISSUER
        )
        assert (method.id, method.controller) == (f"{ISSUER}#k", ISSUER)
