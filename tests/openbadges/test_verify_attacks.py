"""Attacks on the verdict: inputs that must never make ``verify()`` report ``verified=True``."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from openbadges.status_list import Bitstring, status_entry, status_list_credential
from openbadges.verify import VerificationReport, verify

Signed = Callable[..., dict[str, Any]]
NOW = datetime(2026, 6, 1, tzinfo=UTC)
LIST_URL = "https://badges.example.edu/status/1"


def statuses(report: VerificationReport) -> dict[str, str]:
    return {c.id: c.status for c in report.checks}


def _list(issuer: Any, *, revoked: int | None = None) -> dict[str, Any]:
    bits = Bitstring()
    if revoked is not None:
        bits.set(revoked)
    return status_list_credential(
        LIST_URL, issuer.did, "revocation", bits, valid_from="2026-01-01T00:00:00Z"
    )


def test_a_list_signed_by_another_issuer_cannot_borrow_the_issuers_key_id(
    issuer: Any, signed: Signed, new_issuer: Callable[..., Any]
) -> None:
    """The other issuer's valid proof plus a bogus proof naming the issuer's key is not trust."""
    other = new_issuer(did="did:web:lists.example.org")
    forged = other.sign(_list(other))
    borrowed = copy.deepcopy(forged["proof"])
    borrowed["verificationMethod"] = issuer.method
    forged["proof"] = [forged["proof"], borrowed]
    issuer.documents.update(other.documents)
    issuer.documents[LIST_URL] = forged
    credential = signed(credentialStatus=status_entry(LIST_URL, 3))
    report = verify(credential, resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["revocation"] == "unknown"
    assert report.verified is False


def test_a_list_of_another_issuer_really_signed_with_the_issuers_key_is_trusted(
    issuer: Any, signed: Signed, new_issuer: Callable[..., Any]
) -> None:
    """The legitimate case the rule above must keep: a list host signing with a bound key."""
    other = new_issuer(did="did:web:lists.example.org")
    hosted = other.sign(_list(other))
    hosted["proof"] = [hosted["proof"], issuer.sign(_list(other))["proof"]]
    issuer.documents.update(other.documents)
    issuer.documents[LIST_URL] = hosted
    credential = signed(credentialStatus=status_entry(LIST_URL, 3))
    report = verify(credential, resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["revocation"] == "valid"


@pytest.mark.parametrize("index", ["-1", "-131072", "131072", str(10**30), "1e3", " 3", "0x3"])
def test_an_index_outside_the_list_is_never_read_as_a_status(
    issuer: Any, signed: Signed, index: str
) -> None:
    issuer.documents[LIST_URL] = issuer.sign(_list(issuer, revoked=131071))
    entry = {**status_entry(LIST_URL, 0), "statusListIndex": index}
    report = verify(signed(credentialStatus=entry), resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["revocation"] == "unknown"
    assert report.verified is False


@pytest.mark.parametrize(
    "status",
    [
        [{"type": "https://example.org/vocab#StatusMechanism2030", "id": "https://x.example/s"}],
        ["https://badges.example.edu/status/1#3"],
        "https://badges.example.edu/status/1#3",
        [status_entry(LIST_URL, 3, "suspension"), "https://badges.example.edu/status/1#3"],
    ],
)
def test_a_status_entry_that_cannot_be_read_is_unknown_not_ignored(
    issuer: Any, signed: Signed, status: Any
) -> None:
    """A signed credential that says it has a status the verifier cannot read is not "valid"."""
    report = verify(signed(credentialStatus=status), resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["proof"] == "valid"
    assert statuses(report)["revocation"] == "unknown"
    assert report.verified is False


def _endorsement_of(endorser: Any, subject_id: str) -> dict[str, Any]:
    endorsement: dict[str, Any] = endorser.sign(
        {
            "@context": [
                "https://www.w3.org/ns/credentials/v2",
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            ],
            "id": "urn:uuid:6c1d1f0e-0c44-4e3e-8d0a-5f8c2b7e9a10",
            "type": ["VerifiableCredential", "EndorsementCredential"],
            "name": "Accreditor endorsement",
            "issuer": {"id": endorser.did, "type": ["Profile"], "name": "Accreditor"},
            "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {"id": subject_id, "type": ["EndorsementSubject"]},
        }
    )
    return endorsement


@pytest.mark.parametrize(
    ("subject_id", "status"),
    [
        ("https://badges.example.edu/achievements/data-literacy", "valid"),
        ("https://other.example/achievements/rocket-science", "invalid"),
    ],
)
def test_an_endorsement_must_be_about_the_thing_that_carries_it(
    issuer: Any,
    unsigned: Callable[..., dict[str, Any]],
    new_issuer: Callable[..., Any],
    subject_id: str,
    status: str,
) -> None:
    """A genuine endorsement of another achievement, copied into this one, endorses nothing here."""
    accreditor = new_issuer(did="did:web:accreditor.example")
    issuer.documents.update(accreditor.documents)
    credential = unsigned(issuer.did)
    achievement = credential["credentialSubject"]["achievement"]
    achievement["endorsement"] = [_endorsement_of(accreditor, subject_id)]
    report = verify(issuer.sign(credential), resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["endorsements"] == status
    assert report.verified is (status == "valid")
