"""Chunks shrink towards a batch's end, so workers sharing it finish close together."""

from __future__ import annotations

import uuid

import pytest

from app.batches.service import CHUNK_ROWS, MIN_CHUNK_ROWS, chunk_size
from app.models import Batch


def _batch(total: int, issued: int = 0, skipped: int = 0, failed: int = 0) -> Batch:
    return Batch(
        id=uuid.uuid4(), total=total, issued=issued, skipped=skipped, failed=failed, state="running"
    )


@pytest.mark.parametrize(
    ("total", "issued", "skipped", "failed", "expected"),
    [
        (10_000, 0, 0, 0, CHUNK_ROWS),  # far from the end: full chunks
        (10_000, 9_000, 0, 0, CHUNK_ROWS),  # 1,000 left: a quarter is still a full chunk
        (10_000, 9_500, 0, 0, 125),  # 500 left: a quarter of them
        (10_000, 9_500, 100, 100, 75),  # skipped and failed rows are finished too
        (10_000, 9_960, 0, 0, MIN_CHUNK_ROWS),  # never fewer than the floor while rows are left
        (3, 0, 0, 0, MIN_CHUNK_ROWS),
    ],
)
def test_chunks_shrink_towards_the_end(
    total: int, issued: int, skipped: int, failed: int, expected: int
) -> None:
    assert chunk_size(_batch(total, issued, skipped, failed), CHUNK_ROWS) == expected


def test_a_smaller_cap_is_kept() -> None:
    """Tests and callers that ask for small chunks get at most that many."""
    assert chunk_size(_batch(1_000), 2) == 2
