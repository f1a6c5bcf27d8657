"""Attacks on the verdict: inputs that must never make ``verify()`` report ``verified=True``."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from verifier_builders import make_credential

from openbadges.did import VerificationMethod, did_document, did_web_to_url
from openbadges.keys import KeyType, SigningKey
from openbadges.proofs import jwt as vc_jwt
from openbadges.proofs.data_integrity import sign
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


# --- a key document that claims the issuer as its controller ------------------------------


def _foreign_key_credential(
    issuer: Any, vm_url: str, documents: dict[str, Any], *, publish: bool = False
) -> tuple[dict[str, Any], Any]:
    """A credential in ``issuer``'s name signed with a key someone else's document describes."""
    key = SigningKey.generate(KeyType.ED25519)
    for url, make in documents.items():
        issuer.documents[url] = make(key)
    if publish:  # the issuer's own DID document lists the key: the legitimate case
        did_doc = next(iter(v for k, v in issuer.documents.items() if k.endswith("/did.json")))
        entry = {
            "id": vm_url,
            "type": "Multikey",
            "controller": issuer.did,
            "publicKeyMultibase": key.public_key.multibase,
        }
        did_doc["verificationMethod"].append(entry)
        did_doc["assertionMethod"].append(entry)
    credential = sign(
        make_credential(issuer.did), key, verification_method=vm_url, created="2026-01-01T00:00:00Z"
    )
    return credential, key


def test_a_did_document_of_another_host_cannot_name_the_issuer_as_controller(
    issuer: Any,
) -> None:
    """did:web:evil.example publishes a key whose ``controller`` says the victim: not bound.

    The controller document of a verification method is the one at the method's own address
    (Controlled Identifiers 1.0 §3.3, "Retrieve Verification Method": the method's controller
    must be that document's id); a claim in an attacker's document says nothing about the issuer.
    """

    def evil_did_document(key: Any) -> dict[str, Any]:
        method = {
            "id": "did:web:evil.example#k",
            "type": "Multikey",
            "controller": issuer.did,
            "publicKeyMultibase": key.public_key.multibase,
        }
        return {
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": "did:web:evil.example",
            "verificationMethod": [method],
            "assertionMethod": ["did:web:evil.example#k"],
        }

    credential, _ = _foreign_key_credential(
        issuer,
        "did:web:evil.example#k",
        {"https://evil.example/.well-known/did.json": evil_did_document},
    )
    report = verify(credential, resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["issuer_key"] == "invalid", report.checks
    assert report.verified is False


def test_a_key_document_at_another_url_cannot_name_the_issuer_as_controller(
    issuer: Any,
) -> None:
    """A stand-alone Multikey document at an attacker's URL, ``controller`` = the issuer."""
    url = "https://evil.example/key"

    def evil_key(key: Any) -> dict[str, Any]:
        return {
            "id": url,
            "type": "Multikey",
            "controller": issuer.did,
            "publicKeyMultibase": key.public_key.multibase,
        }

    credential, _ = _foreign_key_credential(issuer, url, {url: evil_key})
    report = verify(credential, resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["issuer_key"] == "invalid", report.checks
    assert report.verified is False


def test_a_key_document_elsewhere_is_bound_when_the_issuer_publishes_the_key(
    issuer: Any,
) -> None:
    """The legitimate form the rule above keeps: the issuer's own document lists that key."""
    url = "https://keys.example.edu/key"

    def key_document(key: Any) -> dict[str, Any]:
        return {
            "id": url,
            "type": "Multikey",
            "controller": issuer.did,
            "publicKeyMultibase": key.public_key.multibase,
        }

    credential, _ = _foreign_key_credential(issuer, url, {url: key_document}, publish=True)
    report = verify(credential, resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["issuer_key"] == "valid", report.checks
    assert report.verified is True


def test_a_jwt_kid_in_another_hosts_did_document_cannot_name_the_issuer(issuer: Any) -> None:
    """The same forgery through a VC-JWT ``kid``: the token's signature verifies, the key is
    not the issuer's."""
    key = SigningKey.generate(KeyType.RSA)
    evil = "did:web:evil.example"
    issuer.documents[did_web_to_url(evil)] = did_document(
        evil, [VerificationMethod("#k", issuer.did, key.public_key)]
    )
    token = vc_jwt.encode(make_credential(issuer.did), key, kid=f"{evil}#k")
    report = verify(token, resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["proof"] == "valid"
    assert statuses(report)["issuer_key"] == "invalid", report.checks
    assert report.verified is False
