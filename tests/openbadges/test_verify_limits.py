"""A caller's limits bound the whole verification (``verify(limits=…)``), and only it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from openbadges.errors import LimitExceededError
from openbadges.jsonld.canonical import canonicalize
from openbadges.jsonld.limits import DEFAULT_LIMITS, Limits, applied_limits, limits_applied
from openbadges.verify import verify

NOW = datetime(2026, 6, 1, tzinfo=UTC)
TIGHT = Limits(max_nodes=12)


def test_limits_applied_reach_the_canonicaliser_and_are_undone(signed: Any) -> None:
    credential = {k: v for k, v in signed().items() if k != "proof"}
    with limits_applied(TIGHT), pytest.raises(LimitExceededError):
        canonicalize(credential)
    assert applied_limits() is DEFAULT_LIMITS
    assert canonicalize(credential)


def test_verify_with_tight_limits_refuses_and_the_next_call_has_the_defaults(
    issuer: Any, signed: Any
) -> None:
    credential = signed()
    tight = verify(credential, resolver=issuer.resolver(), now=NOW, limits=TIGHT)
    assert tight.verified is False
    assert "12" in " ".join(check.detail for check in tight.checks if check.status == "invalid")
    assert verify(credential, resolver=issuer.resolver(), now=NOW).verified is True


def test_limits_of_one_thread_are_not_another_threads() -> None:
    seen: list[Limits] = []
    inside = threading.Event()
    done = threading.Event()

    def other() -> None:
        inside.wait(5)
        seen.append(applied_limits())
        done.set()

    thread = threading.Thread(target=other)
    thread.start()
    with limits_applied(TIGHT):
        inside.set()
        done.wait(5)
    thread.join(5)
    assert seen == [DEFAULT_LIMITS]
