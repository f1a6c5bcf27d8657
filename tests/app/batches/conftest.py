"""Fixtures of the batch input tests: an in-memory achievement and the default limits."""

from __future__ import annotations

import pytest
from _batch_support import make_achievement

from app.batches.input import BatchLimits
from app.models import Achievement


@pytest.fixture
def achievement() -> Achievement:
    return make_achievement()


@pytest.fixture
def limits() -> BatchLimits:
    return BatchLimits()
