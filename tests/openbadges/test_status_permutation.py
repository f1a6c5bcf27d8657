"""The keyed permutation behind status list allocation: a bijection that looks random."""

from __future__ import annotations

import itertools
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openbadges.errors import StatusListError
from openbadges.status_list import MIN_SIZE, permuted_index

KEYS = st.binary(min_size=16, max_size=32)


@settings(max_examples=60, deadline=None)
@given(key=KEYS, size=st.integers(min_value=1, max_value=700))
def test_every_position_gets_a_distinct_index_in_range(key: bytes, size: int) -> None:
    indexes = [permuted_index(key, size, position) for position in range(size)]
    assert sorted(indexes) == list(range(size))


@settings(max_examples=30, deadline=None)
@given(key=KEYS, start=st.integers(min_value=0, max_value=MIN_SIZE - 4000))
def test_no_repeats_among_consecutive_positions_of_a_full_size_list(key: bytes, start: int) -> None:
    indexes = [permuted_index(key, MIN_SIZE, p) for p in range(start, start + 4000)]
    assert len(set(indexes)) == len(indexes)
    assert all(0 <= i < MIN_SIZE for i in indexes)


def _runs(indexes: list[int]) -> int:
    """How many neighbours differ by one (a counter would give len - 1)."""
    return sum(1 for a, b in itertools.pairwise(indexes) if abs(a - b) == 1)


def test_indexes_look_random_not_sequential() -> None:
    key = os.urandom(16)
    indexes = [permuted_index(key, MIN_SIZE, p) for p in range(5000)]
    # Uniform draws make a neighbour at distance one with probability ~2/131072.
    assert _runs(indexes) <= 3
    # Spread over the whole list: each eighth gets about an eighth of the indexes.
    eighths = [0] * 8
    for index in indexes:
        eighths[index * 8 // MIN_SIZE] += 1
    assert all(500 < count < 750 for count in eighths), eighths
    # Not monotone, and the order is not the sorted order.
    ups = sum(1 for a, b in itertools.pairwise(indexes) if b > a)
    assert 2200 < ups < 2800


def test_the_key_decides_the_order() -> None:
    first = [permuted_index(b"k" * 16, MIN_SIZE, p) for p in range(64)]
    again = [permuted_index(b"k" * 16, MIN_SIZE, p) for p in range(64)]
    other = [permuted_index(b"j" * 16, MIN_SIZE, p) for p in range(64)]
    assert first == again
    assert sum(a == b for a, b in zip(first, other, strict=True)) <= 2


@pytest.mark.parametrize(("size", "position"), [(10, 10), (10, -1), (0, 0)])
def test_positions_outside_the_list_are_refused(size: int, position: int) -> None:
    with pytest.raises(StatusListError) as info:
        permuted_index(b"k" * 16, size, position)
    assert info.value.code == "RANGE_ERROR"
