"""Which signature carried the verdict (issue 9, item 15).

Anyone can wrap an issuer's signed credential in a VC-JWT signed with a key of their own, named
in the token's ``jwk`` header. That JWT signature verifies and says nothing about the issuer: the
report must say so and name the embedded proof as what the verdict rests on — and properties
added next to that proof, which the issuer never signed, must not ride in on the JWT.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from openbadges.keys import KeyType, SigningKey
from openbadges.proofs import jwt as vc_jwt
from openbadges.verify import VerificationReport, verify

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _check(report: VerificationReport, check_id: str) -> tuple[str, str]:
    check = report.check(check_id)
    assert check is not None
    return check.status, check.detail


def _wrapped(credential: dict[str, Any]) -> str:
    """The credential in a VC-JWT signed by a stranger whose key rides in the header."""
    return vc_jwt.encode(credential, SigningKey.generate(KeyType.ED25519), embed_jwk=True)


def test_a_header_key_that_is_not_the_issuers_is_named_as_such(
    issuer: Any, signed: Callable[..., dict[str, Any]]
) -> None:
    report = verify(_wrapped(signed()), resolver=issuer.resolver(), now=NOW)
    status, detail = _check(report, "proof")
    assert status == "valid"
    assert "own header supplies (jwk), which is not one of the issuer's keys" in detail
    assert "The JWT signature (EdDSA) verifies." not in detail
    assert detail.endswith("The verdict rests on the proof (eddsa-rdfc-2022).")
    key_status, key_detail = _check(report, "issuer_key")
    assert key_status == "valid"
    assert issuer.method in key_detail  # the embedded proof's key, not the header's
    assert report.verified is True


def test_an_unchecked_header_key_is_named_as_such_offline(
    signed: Callable[..., dict[str, Any]],
) -> None:
    report = verify(_wrapped(signed()), now=NOW)
    _, detail = _check(report, "proof")
    assert "could not be matched with the issuer's keys" in detail


def test_unsigned_properties_do_not_ride_in_on_a_strangers_jwt(
    issuer: Any, signed: Callable[..., dict[str, Any]]
) -> None:
    credential = signed()
    credential["nickname"] = "added after the issuer signed"
    report = verify(_wrapped(credential), resolver=issuer.resolver(), now=NOW)
    status, detail = _check(report, "proof")
    assert status == "invalid"
    assert "$.nickname" in detail
    assert report.verified is False


def test_the_issuers_own_jwt_still_carries_the_verdict(
    new_issuer: Callable[..., Any], unsigned: Callable[..., dict[str, Any]]
) -> None:
    issuer = new_issuer(rsa=SigningKey.generate(KeyType.RSA))
    assert issuer.rsa is not None
    credential = issuer.sign(unsigned(issuer.did))
    token = vc_jwt.encode(credential, issuer.rsa, kid=f"{issuer.did}#key-2")
    report = verify(token, resolver=issuer.resolver(), now=NOW)
    status, detail = _check(report, "proof")
    assert status == "valid"
    assert "The JWT signature (RS256) verifies." in detail
    assert detail.endswith("The verdict rests on the JWT signature (RS256).")
    assert report.verified is True
