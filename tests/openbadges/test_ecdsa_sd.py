"""ecdsa-sd-2023 derived-proof verification (openbadges.proofs.ecdsa_sd).

Fixtures: 1EdTech's conformance sample ``sd/derivedcredential.json`` (valid per their validator)
and the W3C vc-di-ecdsa test vector ``TestVectors/ecdsa-sd-2023/derivedRevealDocument.json``
with its key material (copied into ``vectors/ecdsa-sd-2023/``).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from openbadges import multibase as mb
from openbadges.errors import SigningError
from openbadges.keys import KeyType, PublicKey, SigningKey
from openbadges.proofs import ecdsa_sd
from openbadges.proofs.ecdsa_sd import (
    create_verify_data,
    parse_derived_proof_value,
    verify_derived_proof,
)

VECTORS = Path(__file__).parent / "vectors" / "ecdsa-sd-2023"
CONFORMANCE_SD = (
    Path(__file__).parents[2].parent
    / "shared"
    / "conformance"
    / "ob30"
    / "sd"
    / "derivedcredential.json"
)
needs_corpus = pytest.mark.skipif(
    not CONFORMANCE_SD.is_file(), reason="conformance corpus not present"
)


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def obv3() -> tuple[dict[str, Any], dict[str, Any], PublicKey]:
    """The 1EdTech derived credential, its proof, and the key in its verificationMethod."""
    if not CONFORMANCE_SD.is_file():
        pytest.skip("conformance corpus not present")
    doc = _load(CONFORMANCE_SD)
    proof = doc["proof"][0]
    key = PublicKey.from_multibase(proof["verificationMethod"].split("#", 1)[1])
    return doc, proof, key


@pytest.fixture
def w3c() -> tuple[dict[str, Any], dict[str, Any], PublicKey]:
    """The W3C derived reveal document, its proof and the issuer's (base) key."""
    doc = _load(VECTORS / "derivedRevealDocument.json")
    material = _load(VECTORS / "SDKeyMaterial.json")
    key = PublicKey.from_multibase(material["baseKeyPair"]["publicKeyMultibase"])
    return doc, doc["proof"], key


# --- a tiny CBOR encoder (the subset derived proofs use), to build altered proof values ------


def _head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([major << 5 | value])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 1 << (8 * size):
            return bytes([major << 5 | info]) + value.to_bytes(size, "big")
    raise ValueError(value)


def _cbor(item: Any) -> bytes:
    if isinstance(item, bool):
        raise TypeError(item)
    if isinstance(item, int):
        return _head(0, item)
    if isinstance(item, bytes):
        return _head(2, len(item)) + item
    if isinstance(item, list | tuple):
        return _head(4, len(item)) + b"".join(_cbor(x) for x in item)
    if isinstance(item, dict):
        return _head(5, len(item)) + b"".join(_cbor(k) + _cbor(v) for k, v in item.items())
    raise TypeError(item)


def _components(proof_value: str) -> list[Any]:
    """The five components, label map compressed again (as it is on the wire)."""
    parsed = parse_derived_proof_value(proof_value)
    compressed = {
        int(label.removeprefix("c14n")): mb.decode(value)
        for label, value in parsed.label_map.items()
    }
    return [
        parsed.base_signature,
        parsed.public_key,
        list(parsed.signatures),
        compressed,
        list(parsed.mandatory_indexes),
    ]


def _encode(components: list[Any], header: bytes = b"\xd9\x5d\x01") -> str:
    return mb.encode(header + _cbor(components), mb.BASE64URL)


def _with_value(proof: dict[str, Any], value: Any) -> dict[str, Any]:
    return {**proof, "proofValue": value}


# --- genuine proofs verify ------------------------------------------------------------------


@needs_corpus
def test_1edtech_derived_credential_verifies(
    obv3: tuple[dict[str, Any], dict[str, Any], PublicKey],
) -> None:
    doc, proof, key = obv3
    assert key.key_type is KeyType.P256
    assert verify_derived_proof(doc, proof, key) is True


def test_w3c_derived_vector_verifies(w3c: tuple[dict[str, Any], dict[str, Any], PublicKey]) -> None:
    doc, proof, key = w3c
    assert verify_derived_proof(doc, proof, key) is True


def test_w3c_vector_shape(w3c: tuple[dict[str, Any], dict[str, Any], PublicKey]) -> None:
    """The vector has blank nodes (sails, boards), mandatory statements and selective ones."""
    doc, proof, _ = w3c
    data = create_verify_data(doc, proof)
    parsed = data.proof_value
    assert parsed.mandatory_indexes
    assert len(data.non_mandatory) == len(parsed.signatures)
    assert len(data.nquads) == len(parsed.mandatory_indexes) + len(data.non_mandatory)
    # Every blank node of the revealed document carries its HMAC label, none a c14n one.
    text = "".join(data.nquads)
    assert "_:c14n" not in text
    for label in parsed.label_map.values():
        assert f"_:{label} " in text
    assert list(data.nquads) == sorted(data.nquads)


@needs_corpus
def test_cbor_round_trip_matches_fixture(
    obv3: tuple[dict[str, Any], dict[str, Any], PublicKey],
) -> None:
    """Our test encoder rebuilds the exact bytes, so the altered values below are well-formed."""
    _, proof, _ = obv3
    assert _encode(_components(proof["proofValue"])) == proof["proofValue"]


# --- tampering fails ------------------------------------------------------------------------


@needs_corpus
@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("credentialSubject", "achievement", "name"), "Teamwork!"),
        (("credentialSubject", "achievement", "criteria", "narrative"), "Anyone can have it."),
        (("issuer", "name"), "Another Corp"),
        (("validFrom",), "2009-01-01T00:00:00Z"),
        (("credentialSubject", "id"), "did:example:someone-else"),
    ],
)
def test_tampered_revealed_value_fails(
    obv3: tuple[dict[str, Any], dict[str, Any], PublicKey], path: tuple[str, ...], value: str
) -> None:
    doc, proof, key = obv3
    tampered = copy.deepcopy(doc)
    target = tampered
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    assert verify_derived_proof(tampered, proof, key) is False


@needs_corpus
def test_dropping_or_adding_a_statement_fails(
    obv3: tuple[dict[str, Any], dict[str, Any], PublicKey],
) -> None:
    doc, proof, key = obv3
    dropped = copy.deepcopy(doc)
    del dropped["credentialSubject"]["achievement"]["description"]
    assert verify_derived_proof(dropped, proof, key) is False
    added = copy.deepcopy(doc)
    added["validUntil"] = "2030-01-01T00:00:00Z"
    assert verify_derived_proof(added, proof, key) is False


def test_w3c_tampered_selective_value_fails(
    w3c: tuple[dict[str, Any], dict[str, Any], PublicKey],
) -> None:
    doc, proof, key = w3c
    tampered = copy.deepcopy(doc)
    tampered["credentialSubject"]["boards"][1]["year"] = 2018
    assert verify_derived_proof(tampered, proof, key) is False


@needs_corpus
def test_changed_proof_options_fail(obv3: tuple[dict[str, Any], dict[str, Any], PublicKey]) -> None:
    doc, proof, key = obv3
    assert verify_derived_proof(doc, {**proof, "created": "2011-01-01T19:23:24Z"}, key) is False


@needs_corpus
def test_wrong_keys_fail(obv3: tuple[dict[str, Any], dict[str, Any], PublicKey]) -> None:
    doc, proof, _ = obv3
    assert verify_derived_proof(doc, proof, SigningKey.generate("P-256").public_key) is False
    assert verify_derived_proof(doc, proof, SigningKey.generate("Ed25519").public_key) is False
    # The ephemeral key signs statements only, never the base signature.
    ephemeral = parse_derived_proof_value(proof["proofValue"]).public_key
    as_key = PublicKey.from_multibase(mb.encode(ephemeral))
    assert verify_derived_proof(doc, proof, as_key) is False


@needs_corpus
def test_altered_components_fail(obv3: tuple[dict[str, Any], dict[str, Any], PublicKey]) -> None:
    doc, proof, key = obv3
    parts = _components(proof["proofValue"])

    def check(changed: list[Any]) -> bool:
        return verify_derived_proof(doc, _with_value(proof, _encode(changed)), key)

    assert check(parts) is True  # the control: re-encoding alone changes nothing
    swapped = copy.deepcopy(parts)
    swapped[2][0], swapped[2][1] = swapped[2][1], swapped[2][0]
    assert check(swapped) is False
    fewer = copy.deepcopy(parts)
    fewer[2] = fewer[2][:-1]
    assert check(fewer) is False
    no_labels = copy.deepcopy(parts)
    no_labels[3] = {}
    assert check(no_labels) is False
    other_label = copy.deepcopy(parts)
    other_label[3] = {0: bytes(32)}
    assert check(other_label) is False
    out_of_range = copy.deepcopy(parts)
    out_of_range[4] = [99]
    assert check(out_of_range) is False
    made_mandatory = copy.deepcopy(parts)
    made_mandatory[4] = [0]
    made_mandatory[2] = made_mandatory[2][1:]
    assert check(made_mandatory) is False
    other_ephemeral = copy.deepcopy(parts)
    other_ephemeral[1] = mb.decode(SigningKey.generate("P-256").public_key.multibase)
    assert check(other_ephemeral) is False


# --- malformed proof values return False, never raise ----------------------------------------


@needs_corpus
def test_every_truncation_returns_false(
    obv3: tuple[dict[str, Any], dict[str, Any], PublicKey],
) -> None:
    doc, proof, key = obv3
    raw = mb.decode(proof["proofValue"])
    for length in range(len(raw)):
        truncated = mb.encode(raw[:length], mb.BASE64URL)
        assert verify_derived_proof(doc, _with_value(proof, truncated), key) is False, length


@needs_corpus
def test_flipped_bytes_return_false(obv3: tuple[dict[str, Any], dict[str, Any], PublicKey]) -> None:
    doc, proof, key = obv3
    raw = mb.decode(proof["proofValue"])
    # Header, CBOR structure bytes, signature bytes, key bytes, label bytes.
    for position in (0, 2, 3, 4, 5, 40, 70, 100, 500, len(raw) - 30, len(raw) - 1):
        garbled = bytearray(raw)
        garbled[position] ^= 0x41
        value = mb.encode(bytes(garbled), mb.BASE64URL)
        assert verify_derived_proof(doc, _with_value(proof, value), key) is False, position


@needs_corpus
@pytest.mark.parametrize(
    "value",
    [
        None,
        42,
        "",
        "u",
        "u!!!!",
        "z2V0BhVhA",  # base58btc prefix: not a derived proof
        "uAAAA",
    ],
)
def test_garbled_proof_values_return_false(
    obv3: tuple[dict[str, Any], dict[str, Any], PublicKey], value: Any
) -> None:
    doc, proof, key = obv3
    assert verify_derived_proof(doc, _with_value(proof, value), key) is False


@needs_corpus
def test_structurally_wrong_cbor_returns_false(
    obv3: tuple[dict[str, Any], dict[str, Any], PublicKey],
) -> None:
    doc, proof, key = obv3
    raw = mb.decode(proof["proofValue"])
    parts = _components(proof["proofValue"])
    bodies = [
        raw[3:] + b"\x00",  # trailing byte
        b"\xd8\x40" + raw[3:],  # a CBOR tag around the array
        _cbor(parts[:4]),  # four components
        _cbor([*parts[:4], [b"x"]]),  # mandatoryIndexes of byte strings
        _cbor([parts[0][:63], *parts[1:]]),  # short base signature
        _cbor([*parts[:3], {0: b"short"}, parts[4]]),  # short HMAC label
        _cbor([*parts[:3], {b"k": parts[3][0]}, parts[4]]),  # non-integer label key
        b"\x85\x5f\x41\x00\xff",  # indefinite-length byte string
        b"\x9b" + (2**40).to_bytes(8, "big"),  # huge array length
        b"\x85\x60",  # text string
    ]
    for number, body in enumerate(bodies):
        value = mb.encode(b"\xd9\x5d\x01" + body, mb.BASE64URL)
        assert verify_derived_proof(doc, _with_value(proof, value), key) is False, number
    # A base proof (header d95d00) is never what a verifier should be handed.
    assert (
        verify_derived_proof(doc, _with_value(proof, _encode(parts, b"\xd9\x5d\x00")), key) is False
    )


def test_parse_reports_malformed_value() -> None:
    with pytest.raises(SigningError) as info:
        parse_derived_proof_value("uAAAA")
    assert info.value.code == "invalid_proof_value"


@pytest.mark.parametrize(
    "proof",
    [
        "not a proof",
        {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "proofValue": "z1"},
        {"type": "Ed25519Signature2020", "cryptosuite": "ecdsa-sd-2023", "proofValue": "u"},
    ],
)
def test_other_suites_are_refused(proof: Any) -> None:
    key = SigningKey.generate("P-256").public_key
    with pytest.raises(SigningError) as info:
        verify_derived_proof({}, proof, key)
    assert info.value.code == "unsupported_proof"


# --- label replacement ----------------------------------------------------------------------


def test_relabel_touches_blank_nodes_only() -> None:
    canonical = (
        '_:c14n1 <http://ex/p> "text _:c14n0 \\" _:c14n1" .\n'
        "_:c14n0 <http://ex/p> _:c14n1 _:c14n0 .\n"
        '<http://ex/_:c14n0> <http://ex/q> "a\u2028b"^^<http://ex/_:c14n1> .\n'
    )
    relabelled = ecdsa_sd._relabel(canonical, {"c14n0": "uB", "c14n1": "uA"})
    assert relabelled == [
        '<http://ex/_:c14n0> <http://ex/q> "a\u2028b"^^<http://ex/_:c14n1> .\n',
        '_:uA <http://ex/p> "text _:c14n0 \\" _:c14n1" .\n',
        "_:uB <http://ex/p> _:uA _:uB .\n",
    ]
