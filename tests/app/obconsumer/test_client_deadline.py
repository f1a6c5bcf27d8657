"""A host that drips its answer a byte at a time cannot hold a worker: every request to it has
an overall deadline (``REQUEST_DEADLINE_S``, enforced below httpx by ``app.core.deadline``),
not only httpx's per-read timeouts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from dripper_support import Dripper, dripping_server

from app.core.deadline import deadline
from app.obconsumer import client
from app.obconsumer.client import HostUnreachable

DEADLINE_S = 0.6


@pytest.fixture
def dripper() -> Iterator[Dripper]:
    with dripping_server("/oauth/token") as server:
        yield server


CONTEXT: Any = SimpleNamespace(settings=SimpleNamespace(allow_private_fetch=True))


@pytest.mark.parametrize("mode", ["headers", "body"])
def test_a_dripping_host_is_cut_at_the_request_deadline(
    dripper: Dripper, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client, "REQUEST_DEADLINE_S", DEADLINE_S)
    dripper.mode = mode
    started = time.monotonic()
    with pytest.raises(HostUnreachable, match="in time"):
        client.send(CONTEXT, "POST", dripper.url, content=b"grant_type=x")
    assert time.monotonic() - started < DEADLINE_S + 1.0


def test_an_enclosing_deadline_bounds_the_request_too(dripper: Dripper) -> None:
    dripper.mode = "body"
    started = time.monotonic()
    with deadline(0.4), pytest.raises(HostUnreachable):
        client.send(CONTEXT, "POST", dripper.url, content=b"x")
    assert time.monotonic() - started < 1.4


def test_a_prompt_host_is_answered(dripper: Dripper, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client, "REQUEST_DEADLINE_S", DEADLINE_S)
    answer = client.send(CONTEXT, "POST", dripper.url, content=b"x")
    assert (answer.status, answer.body) == (200, b"ok")
