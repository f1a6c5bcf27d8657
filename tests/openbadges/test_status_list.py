"""Bitstring Status List v1.0: bit order, encoding, limits, reading statuses, allocation."""

from __future__ import annotations

import base64
import gzip
import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shared_corpus import OB30_CORPUS

from openbadges import model as ob
from openbadges.errors import StatusListError
from openbadges.status_list import (
    MAX_LIST_BYTES,
    MIN_SIZE,
    Bitstring,
    is_revoked_1edtech,
    random_free_index,
    read_status,
    status_entry,
    status_list_credential,
)

CORPUS = OB30_CORPUS / "bit-string-list"
SPEC_EXAMPLE = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
LIST_URL = "https://badges.example.edu/status/1"


def _code(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(StatusListError) as info:
        call(*args, **kwargs)
    return info.value.code


def _set_bits(bits: Bitstring) -> set[int]:
    """Indexes of the set bits, found from the bytes (independent of ``get``)."""
    raw = bits.to_bytes()
    return {
        8 * pos + bit
        for pos, byte in enumerate(raw)
        if byte
        for bit in range(8)
        if byte & (0x80 >> bit)
    }


def _encode_raw(raw: bytes, prefix: str = "u") -> str:
    return prefix + base64.urlsafe_b64encode(gzip.compress(raw)).decode().rstrip("=")


# --- the bitstring ------------------------------------------------------------------------------


def test_spec_example_decodes_to_16384_zero_bytes() -> None:
    bits = Bitstring.decode(SPEC_EXAMPLE)
    assert bits.to_bytes() == bytes(16_384)
    assert bits.size == MIN_SIZE


def test_index_zero_is_the_most_significant_bit() -> None:
    bits = Bitstring()
    bits.set(0)
    bits.set(15)
    assert bits.to_bytes()[:2] == b"\x80\x01"
    assert bits.get(0)
    assert bits.get(15)
    assert not bits.get(1)
    bits.set(0, False)
    assert bits.to_bytes()[0] == 0


def test_encoding_is_multibase_base64url_gzip_and_deterministic() -> None:
    bits = Bitstring()
    bits.set(12345)
    encoded = bits.encode()
    assert encoded.startswith("u")
    assert "=" not in encoded
    assert "+" not in encoded
    assert encoded == Bitstring.decode(encoded).encode()
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert raw[12345 // 8] == 0x80 >> (12345 % 8)


@settings(max_examples=40, deadline=None)
@given(st.sets(st.integers(min_value=0, max_value=MIN_SIZE - 1), max_size=50))
def test_set_encode_decode_round_trip(indexes: set[int]) -> None:
    bits = Bitstring()
    for index in indexes:
        bits.set(index)
    decoded = Bitstring.decode(bits.encode())
    assert _set_bits(decoded) == indexes
    assert all(decoded.get(i) for i in indexes)


def test_small_lists_are_refused() -> None:
    assert _code(Bitstring, 8 * 1024) == "STATUS_LIST_LENGTH_ERROR"
    assert _code(Bitstring, MIN_SIZE + 3) == "STATUS_LIST_LENGTH_ERROR"
    short = _encode_raw(bytes(1024))
    assert _code(Bitstring.decode, short) == "STATUS_LIST_LENGTH_ERROR"
    assert Bitstring.decode(short, min_size=8192).size == 8192


@pytest.mark.parametrize("index", [-1, MIN_SIZE])
def test_out_of_range_index(index: int) -> None:
    bits = Bitstring()
    assert _code(bits.get, index) == "RANGE_ERROR"
    assert _code(bits.set, index) == "RANGE_ERROR"


def test_multi_bit_values() -> None:
    bits = Bitstring()
    bits.set_value(3, 0b10, status_size=2)
    assert bits.get_value(3, 2) == 2
    assert bits.get(6)
    assert not bits.get(7)
    assert _code(bits.set_value, 0, 4, 2) == "RANGE_ERROR"


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "zNotBase64url",
        "u!!!!",
        "u" + base64.urlsafe_b64encode(b"not gzip at all").decode(),
        _encode_raw(bytes(MIN_SIZE // 8))[:-12],
    ],
    # Explicit ids: the gzip header holds a timestamp, so ids taken from the values would differ
    # between pytest-xdist workers' collections.
    ids=["empty", "not-multibase", "not-base64url", "not-gzip", "truncated-gzip"],
)
def test_malformed_lists(encoded: str) -> None:
    assert _code(Bitstring.decode, encoded) == "MALFORMED_VALUE_ERROR"


def test_statuslist2021_lists_without_prefix_need_the_flag() -> None:
    legacy = _encode_raw(bytes(MIN_SIZE // 8), prefix="")
    assert _code(Bitstring.decode, legacy) == "MALFORMED_VALUE_ERROR"
    assert Bitstring.decode(legacy, allow_unprefixed=True).size == MIN_SIZE


def test_gzip_bomb_is_refused() -> None:
    bomb = _encode_raw(bytes(MAX_LIST_BYTES + 1))
    assert _code(Bitstring.decode, bomb) == "MALFORMED_VALUE_ERROR"


# --- corpus list --------------------------------------------------------------------------------


@pytest.mark.skipif(not CORPUS.is_dir(), reason="conformance corpus not present")
def test_corpus_list_has_only_index_23_set() -> None:
    doc = json.loads((CORPUS / "testlist").read_text())
    bits = Bitstring.decode(doc["credentialSubject"]["encodedList"])
    raw = bits.to_bytes()
    assert raw[2] == 0x80 >> 7
    assert raw.count(0) == len(raw) - 1
    assert [i for i in range(24) if bits.get(i)] == [23]
    revoked = json.loads((CORPUS / "credential-status-revoked.json").read_text())
    assert read_status(doc, revoked["credentialStatus"]) == 1
    assert read_status(doc, {**revoked["credentialStatus"], "statusListIndex": "22"}) == 0


# --- credentials and entries --------------------------------------------------------------------


def _published(*revoked: int, purpose: str = "revocation") -> dict[str, Any]:
    bits = Bitstring()
    for index in revoked:
        bits.set(index)
    return status_list_credential(
        LIST_URL,
        "did:web:badges.example.edu",
        purpose,
        bits,
        valid_from="2025-01-01T00:00:00Z",
        ttl_ms=300_000,
    )


def test_status_list_credential_shape() -> None:
    doc = _published(7)
    assert doc["@context"] == [ob.VC_V2_CONTEXT]
    assert doc["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert doc["id"] == LIST_URL
    subject = doc["credentialSubject"]
    assert subject == {
        "id": f"{LIST_URL}#list",
        "type": "BitstringStatusList",
        "statusPurpose": "revocation",
        "encodedList": subject["encodedList"],
        "ttl": 300_000,
    }
    assert isinstance(ob.parse_document(doc), ob.BitstringStatusListCredential)


def test_status_entry_shape() -> None:
    assert status_entry(LIST_URL, 94567, "suspension") == {
        "id": f"{LIST_URL}#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "suspension",
        "statusListIndex": "94567",
        "statusListCredential": LIST_URL,
    }


def test_read_status_of_issued_entries() -> None:
    doc = _published(7, 131_000)
    assert read_status(doc, status_entry(LIST_URL, 7, "revocation")) == 1
    assert read_status(doc, status_entry(LIST_URL, 131_000, "revocation")) == 1
    assert read_status(doc, status_entry(LIST_URL, 8, "revocation")) == 0


def test_read_status_checks_purpose_and_range() -> None:
    doc = _published(7)
    assert (
        _code(read_status, doc, status_entry(LIST_URL, 7, "suspension"))
        == "STATUS_VERIFICATION_ERROR"
    )
    assert _code(read_status, doc, status_entry(LIST_URL, MIN_SIZE, "revocation")) == "RANGE_ERROR"
    not_a_list = {**doc, "type": ["VerifiableCredential"]}
    assert _code(read_status, not_a_list, status_entry(LIST_URL, 7)) == "STATUS_VERIFICATION_ERROR"
    bad_entry = {**status_entry(LIST_URL, 7), "statusListIndex": "seven"}
    assert _code(read_status, doc, bad_entry) == "MALFORMED_VALUE_ERROR"


def test_read_status_multi_bit_needs_a_longer_list() -> None:
    entry = {
        **status_entry(LIST_URL, 5, "message"),
        "statusSize": 2,
        "statusMessage": [{"status": f"0x{v}", "message": str(v)} for v in range(4)],
    }
    assert _code(read_status, _published(purpose="message"), entry) == "STATUS_LIST_LENGTH_ERROR"
    bits = Bitstring(2 * MIN_SIZE)
    bits.set_value(5, 3, status_size=2)
    doc = status_list_credential(
        LIST_URL, "did:web:x", "message", bits, valid_from="2025-01-01T00:00:00Z"
    )
    assert read_status(doc, entry) == 3


# --- allocation ---------------------------------------------------------------------------------


def test_random_free_index_is_random_not_sequential() -> None:
    rng = random.Random(7)
    taken: set[int] = set()
    for _ in range(20):
        taken.add(random_free_index(taken, MIN_SIZE, rng))
    assert len(taken) == 20
    assert taken != set(range(20))
    assert max(taken) > MIN_SIZE // 4


def test_random_free_index_finds_the_last_slot() -> None:
    size = 1000
    taken = set(range(size)) - {617}
    assert random_free_index(taken, size, random.Random(1)) == 617
    assert random_free_index(lambda i: i != 3, size, random.Random(1)) == 3


def test_random_free_index_full_list() -> None:
    assert _code(random_free_index, lambda _: True, 64) == "STATUS_LIST_FULL"


# --- 1EdTech revocation list --------------------------------------------------------------------


def test_1edtech_revocation_list() -> None:
    doc = {
        "id": "https://x/revocations",
        "revokedCredential": [
            {"id": "urn:uuid:a", "revocationReason": "error"},
            {"id": "urn:uuid:b", "revoked": False},
            {"id": "https://x/credentials/a%20b "},
        ],
    }
    assert is_revoked_1edtech(doc, "urn:uuid:a")
    assert not is_revoked_1edtech(doc, "urn:uuid:b")
    assert not is_revoked_1edtech(doc, "urn:uuid:c")
    assert is_revoked_1edtech(doc, "https://x/credentials/a b")
    assert not is_revoked_1edtech({"revokedCredential": []}, "urn:uuid:a")


def test_1edtech_revocation_list_malformed() -> None:
    assert _code(is_revoked_1edtech, {"revokedCredential": {}}, "x") == "MALFORMED_VALUE_ERROR"
    assert (
        _code(is_revoked_1edtech, {"revokedCredential": [{"reason": 1}]}, "x")
        == "MALFORMED_VALUE_ERROR"
    )
