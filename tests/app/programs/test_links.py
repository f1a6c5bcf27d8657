"""Signed learner links: round trip, forgery, expiry; identities normalised."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.programs.identity import InvalidIdentity, normalise_learner
from app.programs.links import InvalidLink, make_token, read_token

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_round_trip_until_expiry() -> None:
    token = make_token("li.wei@example.edu", b"s3cret", NOW + timedelta(hours=1))
    assert read_token(token, b"s3cret", NOW) == "li.wei@example.edu"
    assert read_token(token, b"s3cret", NOW + timedelta(minutes=59)) == "li.wei@example.edu"
    with pytest.raises(InvalidLink, match="expired"):
        read_token(token, b"s3cret", NOW + timedelta(hours=1))


def test_other_secret_or_edited_payload_is_refused() -> None:
    token = make_token("a@example.edu", b"s3cret", NOW + timedelta(hours=1))
    with pytest.raises(InvalidLink, match="signature"):
        read_token(token, b"other", NOW)
    forged = make_token("b@example.edu", b"s3cret", NOW + timedelta(hours=1))
    spliced = forged.split(".")[0] + "." + token.split(".")[1]
    with pytest.raises(InvalidLink, match="signature"):
        read_token(spliced, b"s3cret", NOW)


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "!!!.???"])
def test_garbage_is_refused(token: str) -> None:
    with pytest.raises(InvalidLink):
        read_token(token, b"s3cret", NOW)


def test_identities_are_normalised() -> None:
    assert normalise_learner("  Li.Wei@Example.EDU ") == "li.wei@example.edu"
    assert normalise_learner("did:key:z6MkABC") == "did:key:z6MkABC"
    for bad in ["nobody", "did:x", "a b@example.edu", "@example.edu"]:
        with pytest.raises(InvalidIdentity):
            normalise_learner(bad)
