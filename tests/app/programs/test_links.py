"""Signed learner links: round trip, forgery, expiry, issuer scope; identities normalised."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.learners.links import LINK, SESSION, InvalidLink, make_token, read_token
from app.programs.identity import InvalidIdentity, normalise_learner

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ISSUER = uuid.UUID("0b0e4a52-3f43-4d7e-9a43-000000000001")


def test_round_trip_until_expiry() -> None:
    token = make_token("li.wei@example.edu", ISSUER, b"s3cret", NOW + timedelta(hours=1))
    claims = read_token(token, b"s3cret", NOW)
    assert (claims.learner, claims.issuer_id) == ("li.wei@example.edu", ISSUER)
    assert claims.expires_at == NOW + timedelta(hours=1)
    assert read_token(token, b"s3cret", NOW + timedelta(minutes=59)).learner == "li.wei@example.edu"
    with pytest.raises(InvalidLink, match="expired"):
        read_token(token, b"s3cret", NOW + timedelta(hours=1))


def test_other_secret_or_edited_payload_is_refused() -> None:
    token = make_token("a@example.edu", ISSUER, b"s3cret", NOW + timedelta(hours=1))
    with pytest.raises(InvalidLink, match="signature"):
        read_token(token, b"other", NOW)
    forged = make_token("b@example.edu", ISSUER, b"s3cret", NOW + timedelta(hours=1))
    spliced = forged.split(".")[0] + "." + token.split(".")[1]
    with pytest.raises(InvalidLink, match="signature"):
        read_token(spliced, b"s3cret", NOW)
    other_issuer = make_token("a@example.edu", uuid.uuid4(), b"s3cret", NOW + timedelta(hours=1))
    respliced = other_issuer.split(".")[0] + "." + token.split(".")[1]
    with pytest.raises(InvalidLink, match="signature"):  # the issuer scope is signed too
        read_token(respliced, b"s3cret", NOW)


def test_link_and_session_tokens_are_not_interchangeable() -> None:
    link = make_token("a@example.edu", ISSUER, b"s3cret", NOW + timedelta(hours=1))
    session = make_token(
        "a@example.edu", ISSUER, b"s3cret", NOW + timedelta(hours=1), purpose=SESSION
    )
    assert read_token(session, b"s3cret", NOW, purpose=SESSION).issuer_id == ISSUER
    with pytest.raises(InvalidLink, match="signature"):
        read_token(session, b"s3cret", NOW, purpose=LINK)
    with pytest.raises(InvalidLink, match="signature"):
        read_token(link, b"s3cret", NOW, purpose=SESSION)


def _v1_token(identity: str, secret: bytes, expires: datetime, **extra: object) -> str:
    """A token as the unscoped v1 format made it (before links named their issuer)."""
    key = hmac.new(secret, b"openbadges-service/learner-link/v1", hashlib.sha256).digest()
    payload = json.dumps(
        {"sub": identity, "exp": int(expires.timestamp()), **extra}, separators=(",", ":")
    ).encode()
    mac = hmac.new(key, payload, hashlib.sha256).digest()
    encode = base64.urlsafe_b64encode
    return f"{encode(payload).rstrip(b'=').decode()}.{encode(mac).rstrip(b'=').decode()}"


def test_old_unscoped_tokens_are_refused() -> None:
    old = _v1_token("a@example.edu", b"s3cret", NOW + timedelta(days=30))
    with pytest.raises(InvalidLink, match="signature"):
        read_token(old, b"s3cret", NOW)
    # an unscoped payload under the current key is refused too (no "iss": no scope)
    key = hmac.new(b"s3cret", LINK, hashlib.sha256).digest()
    payload = b'{"sub":"a@example.edu","exp":1900000000}'
    mac = hmac.new(key, payload, hashlib.sha256).digest()
    encode = base64.urlsafe_b64encode
    unscoped = f"{encode(payload).rstrip(b'=').decode()}.{encode(mac).rstrip(b'=').decode()}"
    with pytest.raises(InvalidLink, match="malformed payload"):
        read_token(unscoped, b"s3cret", NOW)


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


@pytest.mark.parametrize(
    ("base_url", "origin", "allowed"),
    [
        ("https://badges.example.edu", "https://badges.example.edu", True),
        # browsers send the origin lower-case and without the scheme's default port
        ("https://Badges.Example.EDU", "https://badges.example.edu", True),
        ("https://badges.example.edu:443", "https://badges.example.edu", True),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000", True),
        ("https://badges.example.edu", "https://badges.example.edu:8443", False),
        ("https://badges.example.edu", "http://badges.example.edu", False),
        ("https://badges.example.edu", "https://evil.example.edu", False),
        ("https://badges.example.edu", "null", False),
    ],
)
def test_the_page_origin_is_compared_as_browsers_send_it(
    base_url: str, origin: str, allowed: bool
) -> None:
    from types import SimpleNamespace
    from typing import Any, cast

    from starlette.requests import Request

    from app.learners.access import CrossOriginRefused, check_origin

    request = Request({"type": "http", "headers": [(b"origin", origin.encode())]})
    context = cast(Any, SimpleNamespace(settings=SimpleNamespace(base_url=base_url)))
    if allowed:
        check_origin(request, context)
    else:
        with pytest.raises(CrossOriginRefused):
            check_origin(request, context)
