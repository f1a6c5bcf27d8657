"""``loads_bounded`` gives the verdict ``check_structure`` gives, also where it does not
serialise a document to measure it (UTF-8 text small enough at the most a value can grow)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openbadges.errors import LimitExceededError
from openbadges.jsonld.limits import Limits, check_structure, loads_bounded

_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


def _verdict(check: Any) -> str:
    try:
        check()
    except LimitExceededError as exc:
        return exc.code
    return "ok"


def _same_verdicts(raw: bytes, limits: Limits) -> None:
    full = _verdict(lambda: check_structure(json.loads(raw), limits))
    assert _verdict(lambda: loads_bounded(raw, limits)) == full


@given(_VALUES, st.booleans(), st.integers(min_value=1, max_value=3_000))
def test_the_same_verdict_as_measuring(value: Any, ascii_only: bool, max_bytes: int) -> None:
    raw = json.dumps(value, ensure_ascii=ascii_only, indent=1).encode("utf-8")
    _same_verdicts(raw, Limits(max_bytes=max_bytes))


@pytest.mark.parametrize("number", ["9e15", "1e9", "-9E+15", "1e400", "0.1e1"])
@pytest.mark.parametrize("count", [1, 40])
def test_numbers_that_grow_when_written_again(number: str, count: int) -> None:
    raw = ("[" + ",".join([number] * count) + "]").encode()
    for max_bytes in range(len(raw), len(raw) * 6):
        _same_verdicts(raw, Limits(max_bytes=max_bytes))


@pytest.mark.parametrize(
    "raw",
    [
        b'["\\ud800"]',  # an escaped lone surrogate
        b'["\xed\xa0\x80"]',  # an encoded one (bytes are read with surrogatepass)
        '["x"]'.encode("utf-16"),  # a byte order mark: not UTF-8
        '["x"]'.encode("utf-16-le"),
    ],
)
def test_text_that_may_not_serialise_is_measured(raw: bytes) -> None:
    _same_verdicts(raw, Limits())
