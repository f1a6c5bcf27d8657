"""The host's token answer: an ``expires_in`` the date arithmetic cannot take is refused or
clamped, never a 500 (the callback's state is already spent; a refresh's rotated pair would
be lost)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from app.core.errors import AppError
from app.obconsumer import client, service
from app.obconsumer.client import Answer
from app.obconsumer.service import MAX_TOKEN_LIFETIME_S, AuthorizationFailed, Tokens


def _answer(expires_in: Any) -> Answer:
    body = {"access_token": "a", "token_type": "Bearer", "refresh_token": "r"}
    body["expires_in"] = expires_in
    return Answer(200, "application/json", json.dumps(body).encode(), httpx.Headers())


def _ask(monkeypatch: pytest.MonkeyPatch, expires_in: Any) -> Tokens:
    monkeypatch.setattr(client, "send", lambda *a, **k: _answer(expires_in))
    monkeypatch.setattr(service, "_client_secret", lambda context, row: "secret")
    row: Any = SimpleNamespace(client_id="id")
    return service._token_request(SimpleNamespace(), row, "https://h.example/token", {})  # type: ignore[arg-type]


@pytest.mark.parametrize("huge", [10**12, 10**30])
def test_a_huge_lifetime_is_clamped_and_stored(monkeypatch: pytest.MonkeyPatch, huge: int) -> None:
    tokens = _ask(monkeypatch, huge)
    assert tokens.expires_in == MAX_TOKEN_LIFETIME_S
    monkeypatch.setattr(service, "_seal_token", lambda *a: b"sealed")
    connection: Any = SimpleNamespace(id=uuid.uuid4(), scope=None)
    service._store_tokens(SimpleNamespace(), connection, Tokens("a", "r", huge, None))  # type: ignore[arg-type]
    left = connection.access_expires_at - service.utcnow()
    assert timedelta(days=3640) < left <= timedelta(seconds=MAX_TOKEN_LIFETIME_S)


@pytest.mark.parametrize("bad", [0, -5, 1.5, "3600", True, [3600]])
def test_a_lifetime_that_is_not_a_positive_integer_is_refused(
    monkeypatch: pytest.MonkeyPatch, bad: Any
) -> None:
    with pytest.raises(AuthorizationFailed) as caught:
        _ask(monkeypatch, bad)
    assert isinstance(caught.value, AppError)
    assert caught.value.status < 500
    assert "expires_in" in caught.value.detail


def test_a_normal_or_absent_lifetime_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _ask(monkeypatch, 3600).expires_in == 3600
    assert _ask(monkeypatch, None).expires_in is None
