"""``find_in_chain``: the error that says what went wrong, wherever a wrapper left it."""

from __future__ import annotations

from openbadges.errors import ContextError, OpenBadgesError, find_in_chain


def _raised_from(inner: BaseException, *, explicit: bool) -> BaseException:
    """An outer error chained to ``inner`` by ``raise ... from`` or by raising while handling."""
    try:
        try:
            raise inner
        except BaseException as caught:
            if explicit:
                raise KeyError("outer") from caught
            raise TypeError("outer")  # noqa: B904 - the implicit __context__ is what is tested
    except (KeyError, TypeError) as outer:
        return outer


def test_finds_the_error_through_cause_and_context() -> None:
    ours = ContextError("no such context")
    assert find_in_chain(_raised_from(ours, explicit=True), OpenBadgesError) is ours
    assert find_in_chain(_raised_from(ours, explicit=False), ContextError) is ours
    assert find_in_chain(ours, ContextError) is ours


def test_none_when_absent_and_a_loop_ends_the_walk() -> None:
    first, second = ValueError("a"), ValueError("b")
    first.__cause__, second.__cause__ = second, first
    assert find_in_chain(first, OpenBadgesError) is None
    assert find_in_chain(_raised_from(ValueError("x"), explicit=True), OpenBadgesError) is None
