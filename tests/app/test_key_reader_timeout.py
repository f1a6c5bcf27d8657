"""A database that accepts but never answers turns the API-key check into a 503, not a hang."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from app.core import key_reader
from app.core.errors import ServiceUnavailable


class _SilentReader(key_reader.AsyncKeyReader):
    """A reader whose server never answers the query."""

    async def _query(self, token_hash: str) -> tuple[Any, ...] | None:
        await asyncio.sleep(3600)
        return None


def test_a_key_check_the_server_never_answers_is_a_503(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(key_reader, "QUERY_TIMEOUT_S", 0.2)
    reader = _SilentReader("postgresql+psycopg://postgres@127.0.0.1:1/none")

    async def check() -> None:
        reader.bind()
        await reader.key_row("hash")

    started = time.monotonic()
    with pytest.raises(ServiceUnavailable):
        asyncio.run(check())
    assert time.monotonic() - started < 5
