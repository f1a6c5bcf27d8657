"""The verification report: one check per concern, the verdict rule, and hostile input."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from openbadges.did import did_key, did_key_verification_method
from openbadges.keys import KeyType, SigningKey
from openbadges.model import hash_identity
from openbadges.proofs import jwt as vc_jwt
from openbadges.resolver import InMemoryResolver
from openbadges.status_list import Bitstring, status_entry, status_list_credential
from openbadges.verification import pipeline
from openbadges.verify import Check, VerificationReport, verify

Signed = Callable[..., dict[str, Any]]
NOW = datetime(2026, 6, 1, tzinfo=UTC)
LIST_URL = "https://badges.example.edu/status/1"
CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


def statuses(report: VerificationReport) -> dict[str, str]:
    return {c.id: c.status for c in report.checks}


def detail(report: VerificationReport, check_id: str) -> str:
    check = report.check(check_id)
    assert check is not None, f"no {check_id} check in {statuses(report)}"
    return check.detail


# --- the happy path and the verdict rule ----------------------------------------------------


def test_a_did_web_credential_verifies_with_every_check_valid(issuer: Any, signed: Signed) -> None:
    report = verify(signed(), resolver=issuer.resolver(), now=NOW)
    assert report.verified is True
    assert statuses(report) == {
        "format": "valid",
        "structure": "valid",
        "schema": "valid",
        "proof": "valid",
        "issuer_key": "valid",
        "revocation": "valid",
        "suspension": "valid",
        "validity": "valid",
    }
    assert report.format == "json"
    assert report.credential is not None
    assert report.credential["name"] == "Data Literacy"
    assert "no revocation status" in detail(report, "revocation")


def test_bytes_text_and_dict_inputs_give_the_same_verdict(issuer: Any, signed: Signed) -> None:
    credential = signed()
    text = json.dumps(credential)
    for data in (credential, text, text.encode()):
        assert verify(data, resolver=issuer.resolver(), now=NOW).verified is True


def test_the_report_serialises_to_json(issuer: Any, signed: Signed) -> None:
    report = verify(signed(), resolver=issuer.resolver(), now=NOW)
    encoded = json.loads(json.dumps(report.to_dict()))
    assert encoded["verified"] is True
    assert [c["id"] for c in encoded["checks"]][:2] == ["format", "structure"]


def test_offline_the_key_cannot_be_found_so_nothing_is_verified(signed: Signed) -> None:
    report = verify(signed(), now=NOW)
    assert report.verified is False
    assert statuses(report)["proof"] == "unknown"
    assert statuses(report)["issuer_key"] == "unknown"
    assert "offline" in detail(report, "proof")


def test_a_tampered_credential_fails_the_proof(issuer: Any, signed: Signed) -> None:
    credential = signed()
    credential["name"] = "Quantum Physics"
    report = verify(credential, resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["proof"] == "invalid"
    assert report.verified is False


def test_no_proof_is_invalid(issuer: Any, unsigned: Callable[..., Any]) -> None:
    report = verify(unsigned(), resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["proof"] == "invalid"
    assert "no proof" in detail(report, "proof")


def test_now_defaults_to_the_current_time(issuer: Any, signed: Signed) -> None:
    credential = signed(validFrom="2099-01-01T00:00:00Z")
    report = verify(credential, resolver=issuer.resolver())
    assert statuses(report)["validity"] == "invalid"


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        ({"validUntil": "2026-05-31T23:59:59Z"}, "expired"),
        ({"validFrom": "2026-06-02T00:00:00Z"}, "not valid before"),
        ({"validUntil": "next tuesday"}, "not a valid date-time"),
    ],
)
def test_the_validity_period_is_judged_at_now(
    issuer: Any, signed: Signed, members: dict[str, str], expected: str
) -> None:
    report = verify(signed(**members), resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["validity"] == "invalid"
    assert expected in detail(report, "validity")
    assert report.verified is False


def test_bad_arguments_are_programming_errors(signed: Signed) -> None:
    with pytest.raises(ValueError, match="fragment_key_policy"):
        verify(signed(), fragment_key_policy="trusting")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="expected"):
        verify(signed(), expected="diploma")  # type: ignore[arg-type]


# --- issuer keys ---------------------------------------------------------------------------


def test_a_key_missing_from_the_did_document_is_not_the_issuers(
    issuer: Any, new_issuer: Callable[..., Any], unsigned: Callable[..., Any]
) -> None:
    impostor = new_issuer(did=issuer.did)  # same DID, different key: not what the issuer serves
    report = verify(impostor.sign(unsigned(issuer.did)), resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["proof"] == "invalid"
    assert report.verified is False


def test_a_method_outside_assertion_method_cannot_sign(issuer: Any, signed: Signed) -> None:
    url = next(iter(issuer.documents))
    issuer.documents[url]["assertionMethod"] = []
    report = verify(signed(), resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["proof"] == "invalid"
    assert "assertionMethod" in detail(report, "proof")


def test_a_key_of_another_controller_is_not_bound(
    new_issuer: Callable[..., Any], unsigned: Callable[..., Any]
) -> None:
    other = new_issuer(did="did:web:elsewhere.example")
    credential = other.sign(unsigned("did:web:badges.example.edu:issuers:42"))
    report = verify(credential, resolver=other.resolver(), now=NOW)
    assert statuses(report)["proof"] == "valid"
    assert statuses(report)["issuer_key"] == "invalid"
    assert "not by the issuer" in detail(report, "issuer_key")


def _did_key_credential(
    unsigned: Callable[..., Any], issuer_id: str | None = None
) -> dict[str, Any]:
    key = SigningKey.generate(KeyType.ED25519)
    did = did_key(key.public_key)
    from openbadges.proofs.data_integrity import sign

    return sign(
        unsigned(issuer_id or did),
        key,
        verification_method=did_key_verification_method(key.public_key),
        created="2026-01-01T00:00:00Z",
    )


def test_a_did_key_issuer_verifies_offline(unsigned: Callable[..., Any]) -> None:
    report = verify(_did_key_credential(unsigned), now=NOW)
    assert report.verified is True, statuses(report)


def test_a_did_key_that_is_not_the_issuer_is_refused_unless_validator_policy(
    unsigned: Callable[..., Any],
) -> None:
    credential = _did_key_credential(unsigned, issuer_id="https://example.edu/issuers/1")
    bound = verify(credential, now=NOW)
    assert statuses(bound)["issuer_key"] == "invalid"
    lenient = verify(credential, now=NOW, fragment_key_policy="validator")
    assert statuses(lenient)["issuer_key"] == "valid"
    assert "validator policy" in detail(lenient, "issuer_key")


def test_an_https_issuer_profile_can_publish_the_key(
    unsigned: Callable[..., Any], new_issuer: Callable[..., Any]
) -> None:
    holder = new_issuer()
    issuer_id = "https://example.edu/issuers/7"
    method = f"{issuer_id}#{holder.key.public_key.multibase}"
    credential = holder.sign(unsigned(issuer_id), verification_method=method)
    profile = {
        "id": issuer_id,
        "type": "Profile",
        "verificationMethod": [
            {
                "id": f"{issuer_id}#key-1",
                "type": "Multikey",
                "controller": issuer_id,
                "publicKeyMultibase": holder.key.public_key.multibase,
            }
        ],
    }
    assert verify(credential, now=NOW).verified is False  # offline: binding unknown
    report = verify(credential, now=NOW, resolver=InMemoryResolver({issuer_id: profile}))
    assert report.verified is True, statuses(report)
    profile["verificationMethod"] = []
    report = verify(credential, now=NOW, resolver=InMemoryResolver({issuer_id: profile}))
    assert statuses(report)["issuer_key"] == "invalid"


# --- proofs --------------------------------------------------------------------------------


def test_an_unsigned_property_added_after_signing_is_reported(issuer: Any, signed: Signed) -> None:
    credential = signed()
    credential["credentialSubject"]["nickname"] = "The Best"
    report = verify(credential, resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["proof"] == "invalid"
    assert "not covered by the signature" in detail(report, "proof")
    assert "nickname" in detail(report, "proof")


def test_a_malformed_proof_next_to_a_good_one_is_refused(issuer: Any, signed: Signed) -> None:
    credential = signed()
    credential["proof"] = [{"type": "SomeProofType"}, credential["proof"]]
    report = verify(credential, resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["proof"] == "invalid"
    assert "malformed" in detail(report, "proof")


def test_any_one_verifying_proof_suffices(issuer: Any, signed: Signed) -> None:
    credential = signed()
    broken = {**credential["proof"], "proofValue": "z" + "1" * 80}
    credential["proof"] = [broken, credential["proof"]]
    report = verify(credential, resolver=issuer.resolver(), now=NOW)
    assert report.verified is True
    assert "does not match" in detail(report, "proof")


def test_an_unsupported_suite_alone_is_unknown(issuer: Any, signed: Signed) -> None:
    credential = signed()
    credential["proof"]["cryptosuite"] = "bbs-2023"
    report = verify(credential, resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["proof"] == "unknown"
    assert report.verified is False


def test_a_wrong_proof_purpose_is_invalid(issuer: Any, signed: Signed) -> None:
    credential = signed()
    credential["proof"]["proofPurpose"] = "authentication"
    report = verify(credential, resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["proof"] == "invalid"


# --- VC-JWT --------------------------------------------------------------------------------


@pytest.fixture
def rsa_issuer(new_issuer: Callable[..., Any]) -> Any:
    return new_issuer(rsa=SigningKey.generate(KeyType.RSA))


def test_a_jwt_with_a_did_kid_verifies(rsa_issuer: Any, unsigned: Callable[..., Any]) -> None:
    token = vc_jwt.encode(unsigned(rsa_issuer.did), rsa_issuer.rsa, kid=f"{rsa_issuer.did}#key-2")
    report = verify(token, resolver=rsa_issuer.resolver(), now=NOW)
    assert report.format == "jwt"
    assert report.verified is True, statuses(report)


def test_a_header_jwk_must_be_published_by_the_issuer(
    rsa_issuer: Any, unsigned: Callable[..., Any]
) -> None:
    published = vc_jwt.encode(unsigned(rsa_issuer.did), rsa_issuer.rsa, embed_jwk=True)
    assert verify(published, resolver=rsa_issuer.resolver(), now=NOW).verified is True
    stranger = SigningKey.generate(KeyType.RSA)
    forged = vc_jwt.encode(unsigned(rsa_issuer.did), stranger, embed_jwk=True)
    report = verify(forged, resolver=rsa_issuer.resolver(), now=NOW)
    assert statuses(report)["proof"] == "valid"
    assert statuses(report)["issuer_key"] == "invalid"
    offline = verify(forged, now=NOW)
    assert statuses(offline)["issuer_key"] == "unknown"
    lenient = verify(forged, now=NOW, fragment_key_policy="validator")
    assert statuses(lenient)["issuer_key"] == "valid"


def test_a_jwt_with_a_bad_signature_fails_even_around_a_valid_embedded_proof(
    rsa_issuer: Any, unsigned: Callable[..., Any]
) -> None:
    token = vc_jwt.encode(
        rsa_issuer.sign(unsigned(rsa_issuer.did)), rsa_issuer.rsa, kid=f"{rsa_issuer.did}#key-2"
    )
    assert verify(token, resolver=rsa_issuer.resolver(), now=NOW).verified is True
    header, payload, signature = token.split(".")
    flipped = "B" if signature[10] != "B" else "C"
    forged = f"{header}.{payload}.{signature[:10]}{flipped}{signature[11:]}"
    report = verify(forged, resolver=rsa_issuer.resolver(), now=NOW)
    assert statuses(report)["proof"] == "invalid"
    assert report.verified is False


def test_a_jwt_exp_claim_counts_for_validity(rsa_issuer: Any, unsigned: Callable[..., Any]) -> None:
    credential = unsigned(rsa_issuer.did, validUntil="2026-03-01T00:00:00Z")
    token = vc_jwt.encode(credential, rsa_issuer.rsa, kid=f"{rsa_issuer.did}#key-2")
    report = verify(token, resolver=rsa_issuer.resolver(), now=NOW)
    assert statuses(report)["validity"] == "invalid"
    assert "exp" in detail(report, "validity") or "validUntil" in detail(report, "validity")


# --- revocation and suspension -------------------------------------------------------------


def _publish_list(
    issuer: Any, *, revoked: int | None = None, purpose: str = "revocation", url: str = LIST_URL
) -> dict[str, Any]:
    bits = Bitstring()
    if revoked is not None:
        bits.set(revoked)
    listed = status_list_credential(
        url, issuer.did, purpose, bits, valid_from="2026-01-01T00:00:00Z"
    )
    signed_list: dict[str, Any] = issuer.sign(listed)
    issuer.documents[url] = signed_list
    return signed_list


@pytest.mark.parametrize(("revoked", "status"), [(None, "valid"), (94567, "invalid")])
def test_a_bitstring_status_list_is_read(
    issuer: Any, signed: Signed, revoked: Any, status: str
) -> None:
    _publish_list(issuer, revoked=revoked)
    credential = signed(credentialStatus=status_entry(LIST_URL, 94567))
    report = verify(credential, resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["revocation"] == status
    assert report.verified is (status == "valid")


def test_suspension_uses_its_own_list(issuer: Any, signed: Signed) -> None:
    _publish_list(issuer, revoked=5, purpose="suspension")
    credential = signed(credentialStatus=status_entry(LIST_URL, 5, "suspension"))
    report = verify(credential, resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["suspension"] == "invalid"
    assert "suspended" in detail(report, "suspension")
    assert statuses(report)["revocation"] == "valid"


def test_an_unreachable_list_is_unknown_never_revoked(issuer: Any, signed: Signed) -> None:
    credential = signed(credentialStatus=status_entry(LIST_URL, 3))
    report = verify(credential, resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["revocation"] == "unknown"
    assert "revoked" not in detail(report, "revocation").replace("not revoked", "")
    assert report.verified is False


def test_a_forged_list_is_not_trusted(issuer: Any, signed: Signed) -> None:
    listed = _publish_list(issuer)
    forged_bits = Bitstring()
    forged_bits.set(3)
    listed["credentialSubject"]["encodedList"] = forged_bits.encode()
    credential = signed(credentialStatus=status_entry(LIST_URL, 3))
    report = verify(credential, resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["revocation"] == "unknown"
    assert "could not be trusted" in detail(report, "revocation")


def test_a_list_from_another_issuer_is_not_trusted(
    issuer: Any, signed: Signed, new_issuer: Callable[..., Any]
) -> None:
    other = new_issuer(did="did:web:lists.example.org")
    _publish_list(other, revoked=3)
    issuer.documents.update(other.documents)
    credential = signed(credentialStatus=status_entry(LIST_URL, 3))
    report = verify(credential, resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["revocation"] == "unknown"
    assert "not by the credential's issuer" in detail(report, "revocation")


def test_a_1edtech_revocation_list_is_read(issuer: Any, signed: Signed) -> None:
    url = "https://badges.example.edu/revocations"
    entry = {"id": url, "type": "1EdTechRevocationList"}
    contexts = [*CONTEXTS, "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"]
    credential = signed(credentialStatus=entry, **{"@context": contexts})
    issuer.documents[url] = {"revokedCredential": []}
    assert (
        statuses(verify(credential, resolver=issuer.resolver(), now=NOW))["revocation"] == "valid"
    )
    issuer.documents[url] = {"revokedCredential": [{"id": credential["id"]}]}
    report = verify(credential, resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["revocation"] == "invalid"


# --- recipient -----------------------------------------------------------------------------


@pytest.fixture
def hashed_subject() -> dict[str, Any]:
    return {
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityType": "emailAddress",
                "hashed": True,
                "salt": "pepper",
                "identityHash": hash_identity("ada@example.edu", "pepper"),
            }
        ],
        "achievement": make_achievement(),
    }


def make_achievement() -> dict[str, Any]:
    return {
        "id": "https://badges.example.edu/achievements/1",
        "type": ["Achievement"],
        "name": "A",
        "description": "D",
        "criteria": {"narrative": "N"},
    }


@pytest.mark.parametrize(
    ("recipient", "status"),
    [
        ("ada@example.edu", "valid"),
        ("Ada@Example.edu", "valid"),
        ("mailto:ada@example.edu", "valid"),
        ("eve@example.edu", "invalid"),
    ],
)
def test_a_hashed_email_recipient_is_matched(
    issuer: Any, signed: Signed, hashed_subject: dict[str, Any], recipient: str, status: str
) -> None:
    credential = signed(credentialSubject=hashed_subject)
    report = verify(credential, resolver=issuer.resolver(), now=NOW, recipient=recipient)
    assert statuses(report)["recipient"] == status
    assert report.verified is (status == "valid")


def test_the_recipient_check_runs_only_when_asked(issuer: Any, signed: Signed) -> None:
    assert verify(signed(), resolver=issuer.resolver(), now=NOW).check("recipient") is None
    report = verify(
        signed(), resolver=issuer.resolver(), now=NOW, recipient="did:example:learner-7"
    )
    assert statuses(report)["recipient"] == "valid"


# --- endorsements --------------------------------------------------------------------------


def _endorsement(issuer: Any, **overrides: Any) -> dict[str, Any]:
    endorsement = {
        "@context": list(CONTEXTS),
        "id": "urn:uuid:6c1d1f0e-0c44-4e3e-8d0a-5f8c2b7e9a10",
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": "Accreditor endorsement",
        "issuer": {"id": issuer.did, "type": ["Profile"], "name": "Accreditor"},
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "https://badges.example.edu/achievements/data-literacy",
            "type": ["EndorsementSubject"],
            "endorsementComment": "Rigorous.",
        },
        **overrides,
    }
    signed_endorsement: dict[str, Any] = issuer.sign(endorsement)
    return signed_endorsement


def test_no_endorsements_no_check(issuer: Any, signed: Signed) -> None:
    assert verify(signed(), resolver=issuer.resolver(), now=NOW).check("endorsements") is None


def test_embedded_endorsements_are_verified(
    issuer: Any, signed: Signed, new_issuer: Callable[..., Any]
) -> None:
    accreditor = new_issuer(did="did:web:accreditor.example")
    issuer.documents.update(accreditor.documents)
    good = _endorsement(accreditor)
    report = verify(signed(endorsement=[good]), resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["endorsements"] == "valid"
    assert report.verified is True
    expired = _endorsement(accreditor, validUntil="2026-02-01T00:00:00Z")
    report = verify(signed(endorsement=[good, expired]), resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["endorsements"] == "invalid"
    assert "$.endorsement[1]" in detail(report, "endorsements")
    assert report.verified is False


def test_an_endorsement_verified_on_its_own(new_issuer: Callable[..., Any]) -> None:
    accreditor = new_issuer(did="did:web:accreditor.example")
    endorsement = _endorsement(accreditor)
    as_endorsement = verify(
        endorsement, resolver=accreditor.resolver(), now=NOW, expected="endorsement"
    )
    assert as_endorsement.verified is True
    detected = verify(endorsement, resolver=accreditor.resolver(), now=NOW)
    assert detected.verified is True  # the kind comes from its type (issue 9, item 10)
    as_badge = verify(endorsement, resolver=accreditor.resolver(), now=NOW, expected="credential")
    assert statuses(as_badge)["structure"] == "invalid"


# --- hostile and unusable input ------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "not recognised"),
        (b"\x00\x01garbage", "not recognised"),
        (b"[1, 2, 3]", "not recognised"),
        (b"{not json", "cannot be parsed"),
        (b'{"a": ' * 200 + b"1" + b"}" * 200, "too large"),
        (b"x" * 10_000_001, "more than"),
        (b"\x89PNG\r\n\x1a\nnot really a png", "PNG image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "SVG image"),
        (b"eyJhbGciOiJub25lIn0.eyJ9.", "JWT cannot be read"),
    ],
)
def test_unusable_input_is_a_format_failure(data: bytes, expected: str) -> None:
    report = verify(data, now=NOW)
    assert report.verified is False
    assert report.credential is None
    assert [c.id for c in report.checks] == ["format"]
    assert expected in detail(report, "format")


def test_an_open_badges_2_assertion_is_named_as_such() -> None:
    assertion = {"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": "urn:x"}
    report = verify(assertion, now=NOW)
    assert "Open Badges 2.0" in detail(report, "format")


def test_an_exception_inside_a_check_becomes_a_failed_check(
    issuer: Any, signed: Signed, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_args: Any, **_kwargs: Any) -> Check:
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "check_schema", explode)
    monkeypatch.setattr(pipeline, "check_proofs", explode)
    report = verify(signed(), resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["schema"] == "invalid"
    assert statuses(report)["proof"] == "unknown"
    assert statuses(report)["issuer_key"] == "unknown"
    assert "RuntimeError" in detail(report, "schema")
    assert report.verified is False


def test_a_custom_schema_is_shown_but_does_not_withhold_the_verdict(
    issuer: Any, signed: Signed
) -> None:
    official = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
    schemas = [
        {"id": official, "type": "1EdTechJsonSchemaValidator2019"},
        {"id": "https://example.edu/schema.json", "type": "1EdTechJsonSchemaValidator2019"},
    ]
    credential = signed(
        **{"@context": [*CONTEXTS, "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"]},
        credentialSchema=schemas,
    )
    report = verify(credential, resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["schema"] == "unknown"
    assert "https://example.edu/schema.json" in detail(report, "schema")
    assert report.verified is True


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("proof", "not a proof"),
        ("proof", [{"type": "DataIntegrityProof", "cryptosuite": ["eddsa-rdfc-2022"]}]),
        ("issuer", ["did:web:a", "did:web:b"]),
        ("credentialStatus", 42),
        ("credentialStatus", {"type": "BitstringStatusListEntry", "statusListCredential": 7}),
        ("@context", {"@vocab": "https://evil.example/#"}),
        ("credentialSubject", [1, 2]),
        ("validFrom", 20260101),
        ("endorsement", [{"type": "EndorsementCredential"}, "not an object"]),
    ],
)
def test_malformed_members_are_reported_not_raised(
    issuer: Any, signed: Signed, member: str, value: Any
) -> None:
    credential = signed()
    credential[member] = value
    report = verify(credential, resolver=issuer.resolver(), now=NOW)
    assert report.verified is False
    assert not [c.id for c in report.checks if "unexpected error" in c.detail]
