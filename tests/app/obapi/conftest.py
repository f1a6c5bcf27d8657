"""Open Badges API tests: the OAuth endpoints' rate limit is lifted except where a test sets one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from app.core.ratelimit import TokenBucketLimiter


@pytest.fixture(autouse=True)
def _no_oauth_rate_limit(app: FastAPI) -> Iterator[None]:
    app.state.obapi_limiter = TokenBucketLimiter(0, 1)
    yield
    app.state.obapi_limiter = TokenBucketLimiter(0, 1)
