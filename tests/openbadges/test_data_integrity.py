"""eddsa-rdfc-2022: published vectors byte for byte, round trips, tampering, legacy suites."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import base58
import pytest
from cachetools import LRUCache
from shared_corpus import OB30_CORPUS

from openbadges.errors import LimitExceededError, SigningError, UndefinedTermError
from openbadges.jsonld import _pyld, loader
from openbadges.jsonld.canonical import canonicalize_reference
from openbadges.keys import PublicKey, SigningKey
from openbadges.proofs import data_integrity as di

VECTORS = Path(__file__).parent / "vectors"
OB = VECTORS / "obv3p0"
W3C = VECTORS / "vc-di-eddsa"
RDFC = W3C / "eddsa-rdfc-2022"
CONFORMANCE = OB30_CORPUS
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"


def load(path: Path) -> Any:
    return json.loads(path.read_text())


@pytest.fixture
def ob_vector() -> dict[str, Any]:
    return load(OB / "vector.json")


@pytest.fixture
def ob_key(ob_vector: dict[str, Any]) -> SigningKey:
    return SigningKey.from_ed25519_seed(bytes.fromhex(ob_vector["privateKeyHex"])[:32])


@pytest.fixture
def credential() -> dict[str, Any]:
    return load(OB / "credential.json")


@pytest.fixture
def examples_context(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Serve the W3C examples context the W3C vectors need, for this test only."""
    examples = load(W3C / "credentials-examples-v2.jsonld")

    def test_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        if url == EXAMPLES_V2:
            return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(examples)}
        return loader.document_loader(url, options)

    monkeypatch.setattr(_pyld, "document_loader", test_loader)
    monkeypatch.setattr(_pyld, "_CONTEXT_CACHE", LRUCache(maxsize=32))
    di._build_template.cache_clear()
    yield
    di._build_template.cache_clear()


# --- OB 3.0 implementation guide vector -------------------------------------------------------


def test_ob_vector_key_matches_its_multikey(ob_key: SigningKey, ob_vector: dict[str, Any]) -> None:
    assert ob_key.public_key.multibase == ob_vector["publicKeyMultibase"]


def test_ob_vector_hashes(credential: dict[str, Any], ob_vector: dict[str, Any]) -> None:
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": ob_vector["created"],
        "verificationMethod": ob_vector["verificationMethod"],
        "proofPurpose": "assertionMethod",
    }
    hash_data = di.proof_hash_data(credential, options)
    assert hash_data.hex() == ob_vector["proofHash"] + ob_vector["documentHash"]


def test_ob_vector_proof_value_byte_for_byte(
    credential: dict[str, Any], ob_key: SigningKey, ob_vector: dict[str, Any]
) -> None:
    signed = di.sign(
        credential,
        ob_key,
        verification_method=ob_vector["verificationMethod"],
        created=ob_vector["created"],
    )
    assert signed["proof"] == {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": ob_vector["created"],
        "verificationMethod": ob_vector["verificationMethod"],
        "proofPurpose": "assertionMethod",
        "proofValue": ob_vector["proofValue"],
    }
    signature = base58.b58decode(signed["proof"]["proofValue"][1:]).hex()
    assert signature.startswith(ob_vector["signatureHexPrefix"])
    assert signature.endswith(ob_vector["signatureHexSuffix"])
    assert "proof" not in credential  # the input is not modified


def _vector_proof(ob_vector: dict[str, Any]) -> tuple[dict[str, Any], PublicKey]:
    """The vector's proof and the public key it verifies with."""
    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": ob_vector["created"],
        "verificationMethod": ob_vector["verificationMethod"],
        "proofPurpose": "assertionMethod",
        "proofValue": ob_vector["proofValue"],
    }
    return proof, PublicKey.from_ed25519_bytes(bytes.fromhex(ob_vector["publicKeyHex"]))


def test_ob_vector_verifies_with_its_public_key(
    credential: dict[str, Any], ob_vector: dict[str, Any]
) -> None:
    proof, key = _vector_proof(ob_vector)
    assert di.verify_proof({**credential, "proof": proof}, proof, key)


def test_verify_proof_bounds_the_document_unless_the_caller_already_did(
    credential: dict[str, Any], ob_vector: dict[str, Any]
) -> None:
    proof, key = _vector_proof(ob_vector)
    deep: Any = "bottom"
    for _ in range(200):
        deep = {"nested": deep}
    document = {**credential, "extra": deep, "proof": proof}
    seen: list[Any] = []

    def watch(doc: Any, *args: Any, **kwargs: Any) -> None:
        seen.append(doc)
        raise LimitExceededError("too deep", code="too_deep", path="$")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(di, "check_structure", watch)
        with pytest.raises(LimitExceededError):
            di.verify_proof_vetted(document, proof, key)
        assert len(seen) == 1  # a library caller's document is bounded before canonicalising
        assert di.verify_proof_vetted({**credential, "proof": proof}, proof, key, bounded=True) == (
            True,
            True,
        )
        assert len(seen) == 1  # the verifier's envelope was bounded when it was opened


def test_signing_gives_the_canonical_digest_it_signed_over(
    credential: dict[str, Any], ob_key: SigningKey
) -> None:
    method = "did:example:issuer#key-1"
    signed, digest = di.sign_with_digest(credential, ob_key, verification_method=method)
    assert digest == di.canonical_digest(credential) == di.canonical_digest(signed)
    again = di.sign(
        credential, ob_key, verification_method=method, created=signed["proof"]["created"]
    )
    assert again == signed  # sign() is sign_with_digest() without the digest


def test_a_recorded_digest_replaces_canonicalisation_and_a_wrong_one_fails(
    credential: dict[str, Any], ob_key: SigningKey
) -> None:
    signed, digest = di.sign_with_digest(
        credential, ob_key, verification_method="did:example:issuer#key-1"
    )
    proof, public = signed["proof"], ob_key.public_key
    with pytest.MonkeyPatch.context() as patch:

        def no_canonicalising(*args: Any, **kwargs: Any) -> None:
            raise AssertionError("canonicalised although the digest was given")

        patch.setattr(di, "canonicalize_defined", no_canonicalising)
        patch.setattr(di, "canonicalize_checked", no_canonicalising)
        assert di.verify_proof_vetted(signed, proof, public, canonical_digest=digest) == (
            True,
            True,
        )
        # The digest of another document (or any other bytes) fails the signature, never passes it.
        other = di.canonical_digest({**credential, "name": "Another credential"})
        assert di.verify_proof_vetted(signed, proof, public, canonical_digest=other)[0] is False
        assert di.verify_proof_vetted(signed, proof, public, canonical_digest=bytes(32))[0] is False
    # A digest of the wrong length is ignored: the document is canonicalised as without one.
    assert di.verify_proof_vetted(signed, proof, public, canonical_digest=b"short") == (True, True)


# --- W3C vc-di-eddsa vectors ------------------------------------------------------------------


@pytest.mark.usefixtures("examples_context")
def test_w3c_proof_configuration_canon_and_hashes() -> None:
    config = load(RDFC / "proofConfigDataInt.json")
    canon = canonicalize_reference(config)
    assert canon == (RDFC / "proofCanonDataInt.txt").read_text()
    assert hashlib.sha256(canon.encode()).hexdigest() == (RDFC / "proofHashDataInt.txt").read_text()

    signed = load(RDFC / "signedDataInt.json")
    options = {k: v for k, v in config.items() if k != "@context"}
    combined = di.proof_hash_data(signed, options).hex()
    assert combined == (RDFC / "combinedHashDataInt.txt").read_text()


@pytest.mark.usefixtures("examples_context")
def test_w3c_signature_reproduced_byte_for_byte() -> None:
    signed = load(RDFC / "signedDataInt.json")
    key_pair = load(W3C / "keyPair.json")
    key = SigningKey.from_multibase(key_pair["privateKeyMultibase"])
    assert key.public_key.multibase == key_pair["publicKeyMultibase"]
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    # The examples context's own @vocab defines AlumniCredential and alumniOf, so the full
    # sign() path (including ensure_defined) applies.
    ours = di.sign(
        unsecured,
        key,
        verification_method=signed["proof"]["verificationMethod"],
        created=signed["proof"]["created"],
    )
    assert ours == signed
    assert ours["proof"]["proofValue"] == (RDFC / "sigBTC58DataInt.txt").read_text()
    public = PublicKey.from_multibase(key_pair["publicKeyMultibase"])
    assert di.verify_proof(signed, signed["proof"], public)


@pytest.mark.usefixtures("examples_context")
def test_issuer_dependent_vocab_does_not_count_as_defined() -> None:
    signed = load(RDFC / "signedDataInt.json")
    key = SigningKey.from_multibase(load(W3C / "keyPair.json")["privateKeyMultibase"])
    # The same document, but its terms resolved only through the draft VC 2.0 @vocab.
    signed["@context"] = [
        "https://www.w3.org/ns/credentials/v2",
        {"@vocab": "https://www.w3.org/ns/credentials/issuer-dependent#"},
    ]
    with pytest.raises(UndefinedTermError) as info:
        di.sign(signed, key, verification_method=signed["proof"]["verificationMethod"])
    assert info.value.path == "$.type[1]"


# --- round trips and tampering ----------------------------------------------------------------


def test_round_trip_with_generated_key(credential: dict[str, Any]) -> None:
    key = SigningKey.generate("Ed25519")
    signed = di.sign(credential, key, verification_method="did:example:issuer#key-1")
    assert signed["proof"]["proofValue"].startswith("z")
    assert di.verify_proof(signed, signed["proof"], key.public_key)
    assert not di.verify_proof(signed, signed["proof"], SigningKey.generate("Ed25519").public_key)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d.__setitem__("name", "Teamwork Badge!"),
        lambda d: d["credentialSubject"]["achievement"].__setitem__("name", "Leadership"),
        lambda d: d.__setitem__("validFrom", "2010-01-02T00:00:00Z"),
        lambda d: d["proof"].__setitem__("created", "2010-01-01T19:23:25Z"),
        lambda d: d["proof"].__setitem__("verificationMethod", "did:example:other#key-1"),
        lambda d: d["proof"].__setitem__("proofPurpose", "authentication"),
    ],
)
def test_any_change_breaks_the_signature(
    credential: dict[str, Any], ob_key: SigningKey, ob_vector: dict[str, Any], tamper: Any
) -> None:
    signed = di.sign(credential, ob_key, verification_method=ob_vector["verificationMethod"])
    assert di.verify_proof(signed, signed["proof"], ob_key.public_key)
    tamper(signed)
    assert not di.verify_proof(signed, signed["proof"], ob_key.public_key)


@pytest.mark.parametrize(
    "proof_value",
    ["", "not-multibase", "uAAAA", "z", "z0OIl", "z" + base58.b58encode(b"\x01" * 63).decode(), 42],
)
def test_malformed_proof_value_is_false_not_a_crash(
    credential: dict[str, Any], ob_key: SigningKey, proof_value: Any
) -> None:
    signed = di.sign(credential, ob_key, verification_method="did:example:i#k")
    signed["proof"]["proofValue"] = proof_value
    assert di.verify_proof(signed, signed["proof"], ob_key.public_key) is False


@pytest.mark.parametrize(
    "proof",
    [
        {"type": "DataIntegrityProof", "cryptosuite": "ecdsa-sd-2023", "proofValue": "z1"},
        {"type": "RsaSignature2018", "proofValue": "z1"},
        {"type": "Ed25519Signature2020", "cryptosuite": "eddsa-rdfc-2022", "proofValue": "z1"},
        {"cryptosuite": "eddsa-rdfc-2022", "proofValue": "z1"},
    ],
)
def test_unsupported_proofs_are_named(
    credential: dict[str, Any], ob_key: SigningKey, proof: dict[str, Any]
) -> None:
    with pytest.raises(SigningError) as info:
        di.verify_proof(credential, proof, ob_key.public_key)
    assert info.value.code == "unsupported_proof"


def test_proof_array_and_proof_sets(credential: dict[str, Any], ob_key: SigningKey) -> None:
    first = di.sign(credential, ob_key, verification_method="did:example:i#k1")
    second_key = SigningKey.generate("Ed25519")
    both = di.sign(first, second_key, verification_method="did:example:i#k2")
    assert isinstance(both["proof"], list)
    assert len(both["proof"]) == 2
    # Each proof of a set signs the document without any proof (vc-data-integrity §2.1.2).
    assert di.verify_proof(both, both["proof"][0], ob_key.public_key)
    assert di.verify_proof(both, both["proof"][1], second_key.public_key)
    assert first["proof"] == both["proof"][0]


def test_sign_refuses_undefined_terms(credential: dict[str, Any], ob_key: SigningKey) -> None:
    credential["credentialSubject"]["nickname"] = "Sam"
    with pytest.raises(UndefinedTermError) as info:
        di.sign(credential, ob_key, verification_method="did:example:i#k")
    assert info.value.path == "$.credentialSubject.nickname"


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        (datetime(2024, 5, 6, 7, 8, 9, 999, tzinfo=UTC), "2024-05-06T07:08:09Z"),
        (
            datetime(2024, 5, 6, 9, 8, 9, tzinfo=timezone(timedelta(hours=2))),
            "2024-05-06T07:08:09Z",
        ),
        ("2024-05-06T07:08:09.123+02:00", "2024-05-06T07:08:09.123+02:00"),
    ],
)
def test_created_forms(
    credential: dict[str, Any], ob_key: SigningKey, created: Any, expected: str
) -> None:
    signed = di.sign(credential, ob_key, verification_method="did:example:i#k", created=created)
    assert signed["proof"]["created"] == expected
    assert di.verify_proof(signed, signed["proof"], ob_key.public_key)


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"created": "yesterday"}, "$.proof.created"),
        ({"created": datetime(2024, 1, 1)}, "$.proof.created"),  # naive: refused
        ({"verification_method": "key-1"}, "$.proof.verificationMethod"),
        ({"verification_method": "https://x.example/a b"}, "$.proof.verificationMethod"),
    ],
)
def test_bad_sign_arguments(
    credential: dict[str, Any], ob_key: SigningKey, kwargs: dict[str, Any], path: str
) -> None:
    arguments: dict[str, Any] = {"verification_method": "did:example:i#k", **kwargs}
    with pytest.raises(SigningError) as info:
        di.sign(credential, ob_key, **arguments)
    assert info.value.path == path


def test_sign_refuses_a_non_ed25519_key(credential: dict[str, Any]) -> None:
    with pytest.raises(SigningError):
        di.sign(credential, SigningKey.generate("P-256"), verification_method="did:example:i#k")


def test_default_created_is_now(credential: dict[str, Any], ob_key: SigningKey) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    signed = di.sign(credential, ob_key, verification_method="did:example:i#k")
    created = datetime.fromisoformat(signed["proof"]["created"])
    assert before <= created <= datetime.now(UTC)


# --- the templated proof configuration equals the canonicalised one ---------------------------


@pytest.mark.parametrize(
    "contexts",
    [
        ["https://www.w3.org/ns/credentials/v2"],
        [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
        ],
        [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        [
            "https://www.w3.org/2018/credentials/v1",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            "https://w3id.org/security/data-integrity/v2",
        ],
    ],
)
@pytest.mark.parametrize(
    ("created", "method"),
    [
        (
            "2010-01-01T19:23:24Z",
            "https://example.edu/issuers/565049#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",
        ),
        ("2030-12-31T23:59:59.999+05:30", "did:web:badges.example.edu:issuers:42#key-1"),
        ("2024-02-29T00:00:00-00:00", "urn:uuid:5b0e0c0a-1111-4222-8333-944455556666"),
    ],
)
@pytest.mark.parametrize("purpose", ["assertionMethod", "authentication"])
def test_template_equals_canonicalised_proof_configuration(
    contexts: list[str], created: str, method: str, purpose: str
) -> None:
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": created,
        "verificationMethod": method,
        "proofPurpose": purpose,
    }
    assert di._template_for(options, contexts) is not None
    templated = di._canonical_proof_config(options, contexts)
    reference = canonicalize_reference({"@context": contexts, **options}).encode()
    assert templated == reference


def test_template_is_bypassed_for_unusual_options() -> None:
    contexts = ["https://www.w3.org/ns/credentials/v2"]
    base = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2010-01-01T19:23:24Z",
        "verificationMethod": "did:example:i#k",
        "proofPurpose": "assertionMethod",
    }
    for options in (
        {**base, "nonce": "abc"},
        {**base, "verificationMethod": 'did:example:i#"k"'},
        {**base, "created": "2010-01-01T19:23:24Z\n"},
    ):
        assert di._template_for(options, contexts) is None
    assert di._template_for(base, [*contexts, {"ex": "https://ex.example/"}]) is None


# --- legacy suites and the conformance corpus -------------------------------------------------


def fragment_key(proof: dict[str, Any]) -> PublicKey:
    return PublicKey.from_multibase(proof["verificationMethod"].split("#", 1)[1])


@pytest.mark.parametrize(
    ("file_name", "suite"),
    [
        ("simple.json", "eddsa-rdfc-2022"),
        ("simple-eddsa-2022.json", "eddsa-2022"),
        ("simple_v1.json", "Ed25519Signature2020"),
        ("endorsement-valid.json", "eddsa-rdfc-2022"),
    ],
)
def test_conformance_fixture_proof_verifies(file_name: str, suite: str) -> None:
    if not CONFORMANCE.is_dir():
        pytest.skip("conformance corpus not present")
    document = load(CONFORMANCE / file_name)
    proofs = document["proof"] if isinstance(document["proof"], list) else [document["proof"]]
    (proof,) = proofs
    assert proof.get("cryptosuite", proof["type"]) == suite
    assert di.verify_proof(document, proof, fragment_key(proof))


def test_conformance_bad_proof_value_does_not_verify() -> None:
    if not CONFORMANCE.is_dir():
        pytest.skip("conformance corpus not present")
    document = load(CONFORMANCE / "simple-err-proof-value.json")
    (proof,) = document["proof"]
    assert not di.verify_proof(document, proof, fragment_key(proof))


# --- what signing refuses, cheaply, with the fast path present ------------------------------

METHOD = "did:web:example.edu#key-1"


def test_undefined_terms_are_refused_even_where_the_fast_path_answers(
    credential: dict[str, Any], ob_key: SigningKey
) -> None:
    from openbadges.jsonld.fast import fast_canonicalize

    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    unsecured["credentialSubject"]["nickname"] = "dropped by JSON-LD expansion"
    assert fast_canonicalize(unsecured) is not None  # the fast path does not refuse it itself
    with pytest.raises(UndefinedTermError) as info:
        di.sign(unsecured, ob_key, verification_method=METHOD, created="2025-01-01T00:00:00Z")
    assert info.value.path == "$.credentialSubject.nickname"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("name", {"@value": "عمل", "@language": "ar", "@direction": "rtl"}, "base_direction"),
        ("name", {"@value": "Teamwork", "@language": "not a tag!"}, "invalid_language_tag"),
        ("awardedDate", 2**64 + 1, "unsafe_integer"),
        ("awardedDate", 1e-7, "unsafe_double"),
    ],
)
def test_values_jsonld_processors_sign_differently_are_refused(
    credential: dict[str, Any], ob_key: SigningKey, field: str, value: Any, code: str
) -> None:
    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    unsecured[field] = value
    with pytest.raises(UndefinedTermError) as info:
        di.sign(unsecured, ob_key, verification_method=METHOD, created="2025-01-01T00:00:00Z")
    assert info.value.code == code
    assert info.value.path is not None
    assert info.value.path.startswith(f"$.{field}")


def test_an_iri_with_a_space_is_refused(credential: dict[str, Any], ob_key: SigningKey) -> None:
    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    unsecured["credentialSubject"]["achievement"]["image"] = {
        "id": "https://example.edu/a b.png",
        "type": "Image",
    }
    with pytest.raises(UndefinedTermError) as info:
        di.sign(unsecured, ob_key, verification_method=METHOD, created="2025-01-01T00:00:00Z")
    assert info.value.path == "$.credentialSubject.achievement.image.id"


def test_verify_refuses_rather_than_judges_unportable_values(
    credential: dict[str, Any], ob_key: SigningKey
) -> None:
    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    signed = di.sign(unsecured, ob_key, verification_method=METHOD, created="2025-01-01T00:00:00Z")
    assert di.verify_proof(signed, signed["proof"], ob_key.public_key) is True
    signed["credentialSubject"]["creditsEarned"] = 1e-7  # as a JavaScript issuer might sign it
    with pytest.raises(UndefinedTermError):
        di.verify_proof(signed, signed["proof"], ob_key.public_key)


def test_control_characters_sign_over_the_escaped_form(
    credential: dict[str, Any], ob_key: SigningKey
) -> None:
    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    unsecured["description"] = "form\ffeed, bell\u0007"
    signed = di.sign(unsecured, ob_key, verification_method=METHOD, created="2025-01-01T00:00:00Z")
    canonical = canonicalize_reference(unsecured)
    assert '"form\\ffeed, bell\\u0007"' in canonical
    expected = di.proof_hash_data(unsecured, signed["proof"])[32:]
    assert expected == hashlib.sha256(canonical.encode()).digest()
    assert di.verify_proof(signed, signed["proof"], ob_key.public_key) is True
