"""The bounded memo of decoded status lists and public keys (openbadges._memo): the same input
gives the same answer, a changed input is never answered from the memo, failures are never kept,
and the memo stays within its bounds (issue 9, item 18d)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from openbadges import _bitstring, keys
from openbadges._memo import BoundedMemo
from openbadges.errors import KeyFormatError, StatusListError
from openbadges.keys import PublicKey, SigningKey
from openbadges.status_list import MIN_SIZE, Bitstring, read_status

LIST_URL = "https://badges.example.edu/status/1"


@pytest.fixture(autouse=True)
def _empty_memos() -> Iterator[None]:
    _bitstring._DECODED.clear()
    keys._DECODED_KEYS.clear()
    yield
    _bitstring._DECODED.clear()
    keys._DECODED_KEYS.clear()


def _list_credential(encoded: str, purpose: str = "revocation") -> dict[str, Any]:
    return {
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "credentialSubject": {"statusPurpose": purpose, "encodedList": encoded},
    }


def _entry(index: int, purpose: str = "revocation") -> dict[str, Any]:
    return {
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": LIST_URL,
    }


def _encoded(*set_bits: int) -> str:
    bits = Bitstring()
    for index in set_bits:
        bits.set(index)
    return bits.encode()


# --- BoundedMemo --------------------------------------------------------------------------


def test_memo_computes_once_per_key_and_returns_the_same_value() -> None:
    memo: BoundedMemo[str, list[int]] = BoundedMemo(4)
    calls: list[str] = []

    def compute(key: str) -> list[int]:
        calls.append(key)
        return [len(key)]

    first = memo.recall("ab", lambda: compute("ab"))
    assert memo.recall("ab", lambda: compute("ab")) is first
    assert memo.recall("abc", lambda: compute("abc")) == [3]
    assert calls == ["ab", "abc"]


def test_memo_is_bounded_in_entries_least_recently_used_first() -> None:
    memo: BoundedMemo[int, int] = BoundedMemo(3)
    for n in range(3):
        memo.recall(n, lambda n=n: n * 10)  # type: ignore[misc]
    memo.recall(0, lambda: -1)  # 0 is now the most recently used
    memo.recall(3, lambda: 30)  # evicts 1
    assert len(memo) == 3
    assert memo.recall(0, lambda: -1) == 0
    assert memo.recall(1, lambda: -1) == -1  # computed again: it was evicted
    for n in range(100):
        memo.recall(1000 + n, lambda n=n: n)  # type: ignore[misc]
    assert len(memo) == 3


def test_memo_is_bounded_in_weight_and_keeps_no_heavy_value() -> None:
    memo: BoundedMemo[int, bytes] = BoundedMemo(100, max_weight=100, weigh=len)
    memo.recall(1, lambda: b"x" * 26)  # over a quarter of the budget: returned, not kept
    assert len(memo) == 0
    for n in range(10):
        memo.recall(n, lambda: b"y" * 25)
    assert memo.weight <= 100
    assert len(memo) == 4


def test_memo_keeps_no_failure() -> None:
    memo: BoundedMemo[str, int] = BoundedMemo(4)

    def fail() -> int:
        raise ValueError("bad")

    for _ in range(2):
        with pytest.raises(ValueError, match="bad"):
            memo.recall("k", fail)
    assert len(memo) == 0
    assert memo.recall("k", lambda: 7) == 7


def test_memo_needs_sane_bounds() -> None:
    with pytest.raises(ValueError, match="max_entries"):
        BoundedMemo(0)
    with pytest.raises(ValueError, match="weigh"):
        BoundedMemo(4, max_weight=10)


# --- status list bitstrings ---------------------------------------------------------------


def test_a_decoded_list_is_kept_and_reads_the_same() -> None:
    encoded = _encoded(5, 70_000)
    fresh = Bitstring._from_bytes(_bitstring._inflate(encoded, False))
    first = Bitstring.decode(encoded)
    second = Bitstring.decode(encoded)
    assert first == second == fresh
    assert len(_bitstring._DECODED) == 1
    assert [second.get(i) for i in (4, 5, 6, 70_000)] == [False, True, False, True]


def test_a_changed_list_is_never_answered_from_the_memo() -> None:
    before, after = _encoded(), _encoded(42)  # a revocation re-signs the list: a new string
    assert read_status(_list_credential(before), _entry(42)) == 0
    assert read_status(_list_credential(after), _entry(42)) == 1
    assert read_status(_list_credential(before), _entry(42)) == 0  # the old list, still kept
    assert len(_bitstring._DECODED) == 2


def test_changing_a_decoded_bitstring_does_not_change_the_memo() -> None:
    encoded = _encoded()
    bits = Bitstring.decode(encoded)
    bits.set(9)  # the status service decodes, sets a bit and encodes
    assert Bitstring.decode(encoded).get(9) is False


def test_the_size_floor_is_checked_on_every_decoding() -> None:
    small = Bitstring(64, min_size=8).encode()
    assert Bitstring.decode(small, min_size=8).size == 64  # now kept
    with pytest.raises(StatusListError) as info:
        Bitstring.decode(small)  # the spec's floor: kept or not, too short
    assert info.value.code == "STATUS_LIST_LENGTH_ERROR"


def test_the_prefix_rule_is_part_of_the_key() -> None:
    unprefixed = _encoded(3)[1:]
    assert Bitstring.decode(unprefixed, allow_unprefixed=True).get(3) is True
    with pytest.raises(StatusListError) as info:
        Bitstring.decode(unprefixed)  # not answered from the entry kept a moment ago
    assert info.value.code == "MALFORMED_VALUE_ERROR"


@pytest.mark.parametrize("bad", ["uQUJD", "u!!!", "", None, 12], ids=repr)
def test_a_bad_list_fails_every_time_and_is_not_kept(bad: Any) -> None:
    for _ in range(2):
        with pytest.raises(StatusListError):
            Bitstring.decode(bad)
    assert len(_bitstring._DECODED) == 0


def test_the_list_memo_is_bounded() -> None:
    for n in range(80):
        Bitstring.decode(_encoded(n))
    assert len(_bitstring._DECODED) == 64
    assert _bitstring._DECODED.weight == 64 * MIN_SIZE // 8


# --- public keys --------------------------------------------------------------------------


def test_a_multikey_decodes_once_to_an_equal_key() -> None:
    key = SigningKey.generate().public_key
    value = key.multibase
    first, second = PublicKey.from_multibase(value), PublicKey.from_multibase(value)
    assert first is second
    assert first == key
    assert first.multibase == value


def test_another_multikey_is_another_key() -> None:
    one, two = SigningKey.generate().public_key, SigningKey.generate().public_key
    assert PublicKey.from_multibase(one.multibase) == one
    assert PublicKey.from_multibase(two.multibase) == two
    assert PublicKey.from_multibase(two.multibase) != one


def test_a_jwk_decodes_once_and_a_private_jwk_is_always_refused() -> None:
    signer = SigningKey.generate("P-256")
    jwk = signer.public_key.to_jwk(kid="k1")
    assert PublicKey.from_jwk(jwk) is PublicKey.from_jwk(dict(reversed(jwk.items())))
    assert PublicKey.from_jwk(jwk) == signer.public_key
    leaked = {**jwk, "d": "AAAA"}  # the same public members, plus a private one
    for _ in range(2):
        with pytest.raises(KeyFormatError):
            PublicKey.from_jwk(leaked)


def test_a_jwk_with_a_list_member_still_decodes() -> None:
    key = SigningKey.generate().public_key
    jwk: dict[str, Any] = {**key.to_jwk(), "key_ops": ["verify"]}
    assert PublicKey.from_jwk(jwk) == key


@pytest.mark.parametrize("bad", ["zNotAKey", "uAAAA", "z6Mk"], ids=repr)
def test_a_bad_multikey_fails_every_time(bad: str) -> None:
    for _ in range(2):
        with pytest.raises(KeyFormatError):
            PublicKey.from_multibase(bad)
    assert len(keys._DECODED_KEYS) == 0


def test_the_key_memo_is_bounded() -> None:
    for _ in range(300):
        PublicKey.from_multibase(SigningKey.generate().public_key.multibase)
    assert len(keys._DECODED_KEYS) == 256
