"""CLR 2.0: a ClrCredential verifies when its own proof does and every included credential does.

Every document is signed for real (``eddsa-rdfc-2022``) and served through an
``InMemoryResolver``; the 1EdTech CLR test vector is checked byte for byte.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from openbadges.jsonld.canonical import canonicalize
from openbadges.keys import SigningKey
from openbadges.model import hash_identity
from openbadges.proofs.data_integrity import proof_hash_data, sign
from openbadges.resolver import InMemoryResolver
from openbadges.status_list import Bitstring, status_entry, status_list_credential
from openbadges.verification import included, pipeline
from openbadges.verify import VerificationReport, verify

Issuer = Any  # conftest.Issuer: a did:web issuer with .did, .sign(), .documents, .resolver()
NOW = datetime(2026, 6, 1, tzinfo=UTC)
VECTOR = Path(__file__).parent / "vectors" / "clr"
VECTOR_SEED = "6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4"
LIST_URL = "https://badges.example.edu/status/7"
LEARNER = "did:example:learner-7"
PROGRAM = "https://badges.example.edu/achievements/data-program/v1"
CLR_CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
]
CLR_SCHEMA = {
    "id": "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json",
    "type": "1EdTechJsonSchemaValidator2019",
}
MODULES = ["Data Cleaning", "Data Visualisation", "Statistics"]


def statuses(report: VerificationReport) -> dict[str, str]:
    return {c.id: c.status for c in report.checks}


def detail(report: VerificationReport, check_id: str) -> str:
    check = report.check(check_id)
    assert check is not None, f"no {check_id} check in {statuses(report)}"
    return check.detail


def make_credential(issuer_did: str, **members: Any) -> dict[str, Any]:
    """An unsigned OpenBadgeCredential of ``issuer_did``; ``members`` replace top-level ones."""
    credential: dict[str, Any] = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:1b6c7a4e-3f0f-4b8e-9a52-1f1e7d0c9a11",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_did, "type": ["Profile"], "name": "Example University"},
        "validFrom": "2026-01-01T00:00:00Z",
        "name": "Data Literacy",
    }
    credential.update(copy.deepcopy(members))
    return credential


def achievement(achievement_id: str, name: str, kind: str = "Course") -> dict[str, Any]:
    return {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": kind,
        "name": name,
        "description": f"{name}, a module of the data program.",
        "criteria": {"narrative": "Pass the final assessment."},
    }


def module_id(number: int) -> str:
    return f"https://badges.example.edu/achievements/module-{number}/v1"


def award(
    issuer: Issuer, number: int, name: str, ach: dict[str, Any], **members: Any
) -> dict[str, Any]:
    """A signed AchievementCredential of ``ach`` for the learner."""
    subject = {"id": LEARNER, "type": ["AchievementSubject"], "achievement": ach}
    unsigned = make_credential(
        issuer.did,
        id=f"urn:uuid:00000000-0000-4000-8000-{number:012d}",
        name=name,
        credentialSubject=subject,
        **members,
    )
    return issuer.sign(unsigned)


def modules(issuer: Issuer, **members: Any) -> list[dict[str, Any]]:
    return [
        award(issuer, i, name, achievement(module_id(i), name), **members)
        for i, name in enumerate(MODULES, start=1)
    ]


def program_credential(issuer: Issuer) -> dict[str, Any]:
    program = achievement(PROGRAM, "Data Program", "LearningProgram")
    return award(issuer, 99, "Data Program", program)


def clr_document(
    issuer: Issuer, credentials: list[dict[str, Any]], **subject_members: Any
) -> dict[str, Any]:
    """An unsigned ClrCredential bundling ``credentials``; modules are children of the program."""
    subjects = [c["credentialSubject"] for c in credentials]
    achievements = [s["achievement"] for s in subjects if isinstance(s.get("achievement"), dict)]
    ids = [a["id"] for a in achievements]
    subject: dict[str, Any] = {
        "id": LEARNER,
        "type": ["ClrSubject"],
        "verifiableCredential": credentials,
        "achievement": achievements,
        "association": [
            {
                "type": "Association",
                "associationType": "isChildOf",
                "sourceId": source,
                "targetId": PROGRAM,
            }
            for source in ids
            if source != PROGRAM
        ],
    }
    subject.update(subject_members)
    return {
        "@context": list(CLR_CONTEXTS),
        "id": "urn:uuid:5d1c9a8e-7b41-4b9a-9b0e-0c2f3b6a1d42",
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": {"id": issuer.did, "type": ["Profile"], "name": "Example University"},
        "validFrom": "2026-02-01T00:00:00Z",
        "name": "Data Program transcript",
        "credentialSubject": subject,
        "credentialSchema": [dict(CLR_SCHEMA)],
    }


@pytest.fixture
def clr(issuer: Issuer) -> Callable[..., dict[str, Any]]:
    """Build and sign a CLR of three modules and the program (``credentials=`` to replace)."""

    def build(credentials: list[dict[str, Any]] | None = None, **members: Any) -> dict[str, Any]:
        bundled = (
            credentials
            if credentials is not None
            else [
                *modules(issuer),
                program_credential(issuer),
            ]
        )
        return issuer.sign(clr_document(issuer, bundled, **members))

    return build


def publish_list(issuer: Issuer, revoked: int | None = None) -> None:
    bits = Bitstring()
    if revoked is not None:
        bits.set(revoked)
    listed = status_list_credential(
        LIST_URL, issuer.did, "revocation", bits, valid_from="2026-01-01T00:00:00Z"
    )
    issuer.documents[LIST_URL] = issuer.sign(listed)


# --- a valid record -----------------------------------------------------------------------


def test_a_clr_of_modules_and_a_program_verifies_with_every_included_credential(
    issuer: Issuer, clr: Callable[..., dict[str, Any]]
) -> None:
    report = verify(clr(), resolver=issuer.resolver(), now=NOW, expected="clr")
    assert report.verified is True, report.to_dict()["checks"]
    assert list(statuses(report)) == [
        "format",
        "structure",
        "schema",
        "proof",
        "issuer_key",
        "revocation",
        "suspension",
        "validity",
        "credentials",
    ]
    assert set(statuses(report).values()) == {"valid"}
    assert "CLR 2.0" in detail(report, "structure")
    assert "All 4 included credentials verified" in detail(report, "credentials")
    assert [(c.index, c.name, c.report.verified) for c in report.children] == [
        (0, "Data Cleaning", True),
        (1, "Data Visualisation", True),
        (2, "Statistics", True),
        (3, "Data Program", True),
    ]
    assert report.children[1].path == "$.credentialSubject.verifiableCredential[1]"
    assert report.children[3].report.check("structure") is not None


def test_a_clr_is_recognised_without_being_asked_for(
    issuer: Issuer, clr: Callable[..., dict[str, Any]]
) -> None:
    document = clr()
    report = verify(json.dumps(document), resolver=issuer.resolver(), now=NOW)
    assert report.verified is True
    assert statuses(report)["credentials"] == "valid"
    assert len(report.children) == 4


def test_the_report_lists_the_included_credentials_as_json(
    issuer: Issuer, clr: Callable[..., dict[str, Any]]
) -> None:
    report = verify(clr(), resolver=issuer.resolver(), now=NOW)
    encoded = json.loads(json.dumps(report.to_dict()))
    children = encoded["children"]
    assert [c["name"] for c in children] == [*MODULES, "Data Program"]
    assert all(c["report"]["verified"] for c in children)
    assert children[0]["report"]["credential"]["id"].endswith("000000000001")
    plain = verify(children[0]["report"]["credential"], resolver=issuer.resolver(), now=NOW)
    assert "children" not in plain.to_dict()
    assert plain.children == []


def test_credentials_from_several_issuers_each_verify_against_their_own(
    issuer: Issuer, new_issuer: Callable[..., Issuer], clr: Callable[..., dict[str, Any]]
) -> None:
    partner = new_issuer(did="did:web:partner.example.org")
    foreign = award(partner, 7, "Ethics", achievement(module_id(7), "Ethics"))
    document = clr([*modules(issuer), foreign, program_credential(issuer)])
    both = InMemoryResolver({**issuer.documents, **partner.documents})
    assert verify(document, resolver=both, now=NOW).verified is True
    only_ours = verify(document, resolver=issuer.resolver(), now=NOW)
    assert statuses(only_ours)["credentials"] == "unknown"
    assert "4 of 5 “Ethics”" in detail(only_ours, "credentials")
    assert only_ours.verified is False


# --- failures are reported, and say which credential ---------------------------------------


def test_a_tampered_included_credential_is_named(
    issuer: Issuer, clr: Callable[..., dict[str, Any]]
) -> None:
    bundled = [*modules(issuer), program_credential(issuer)]
    bundled[1]["credentialSubject"]["achievement"]["name"] = "Advanced Visualisation"
    report = verify(clr(bundled), resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["proof"] == "valid"  # the record itself was signed as it is
    assert statuses(report)["credentials"] == "invalid"
    text = detail(report, "credentials")
    assert "Included credential 2 of 4 “Data Visualisation”" in text
    assert "verifiableCredential[1]" in text
    assert "Signature" in text
    assert "credential 1 " not in text
    assert "credential 3 " not in text
    assert [c.report.verified for c in report.children] == [True, False, True, True]
    assert report.verified is False


def test_tampering_with_an_included_credential_after_signing_breaks_both(
    issuer: Issuer, clr: Callable[..., dict[str, Any]]
) -> None:
    document = clr()
    document["credentialSubject"]["verifiableCredential"][0]["name"] = "Forged"
    report = verify(document, resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["proof"] == "invalid"
    assert statuses(report)["credentials"] == "invalid"
    assert "Included credential 1 of 4 “Forged”" in detail(report, "credentials")


def test_a_tampered_record_fails_its_own_proof(
    issuer: Issuer, clr: Callable[..., dict[str, Any]]
) -> None:
    document = clr()
    document["credentialSubject"]["association"][0]["associationType"] = "isPeerOf"
    report = verify(document, resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["proof"] == "invalid"
    assert statuses(report)["credentials"] == "valid"
    assert report.verified is False


def test_a_dangling_association_is_a_structure_error(
    issuer: Issuer, clr: Callable[..., dict[str, Any]]
) -> None:
    missing = "https://badges.example.edu/achievements/unknown/v1"
    dangling = {
        "type": "Association",
        "associationType": "precedes",
        "sourceId": module_id(1),
        "targetId": missing,
    }
    document = clr(association=[dangling])
    report = verify(document, resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["structure"] == "invalid"
    assert statuses(report)["proof"] == "valid"
    text = detail(report, "structure")
    assert (
        f"$.credentialSubject.association[0].targetId refers to the achievement {missing}" in text
    )
    assert "sourceId" not in text
    assert report.verified is False


def test_an_association_may_point_at_an_achievement_only_awarded(
    issuer: Issuer, clr: Callable[..., dict[str, Any]]
) -> None:
    """The achievement list may be shorter: an included credential's achievement counts."""
    document = clr(achievement=[])
    report = verify(document, resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["structure"] == "valid", detail(report, "structure")


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        ({"verifiableCredential": []}, "includes no credentials"),
        ({"verifiableCredential": ["eyJ.not.an-object"]}, "verifiableCredential[0] is not"),
        ({"type": ["AchievementSubject"]}, "type must include ClrSubject"),
        (
            {"association": [{"type": "Association", "associationType": "friendOf"}]},
            "associationType is 'friendOf'",
        ),
    ],
)
def test_a_malformed_clr_subject_is_a_structure_error(
    issuer: Issuer, clr: Callable[..., dict[str, Any]], members: dict[str, Any], expected: str
) -> None:
    document = clr_document(issuer, modules(issuer), **members)  # unsigned: the signer refuses some
    report = verify(document, resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["structure"] == "invalid"
    assert expected in detail(report, "structure")
    assert report.verified is False


def test_the_clr_context_is_required(issuer: Issuer, clr: Callable[..., dict[str, Any]]) -> None:
    document = clr()
    document["@context"] = [c for c in document["@context"] if "/clr/" not in c]
    report = verify(document, now=NOW, expected="clr")
    assert "does not include the CLR 2.0 context" in detail(report, "structure")


def test_a_revoked_included_credential_makes_the_record_fail(
    issuer: Issuer, clr: Callable[..., dict[str, Any]]
) -> None:
    publish_list(issuer, revoked=12)
    revoked = award(
        issuer,
        2,
        "Data Visualisation",
        achievement(module_id(2), "Data Visualisation"),
        credentialStatus=status_entry(LIST_URL, 12),
    )
    kept = award(
        issuer,
        3,
        "Statistics",
        achievement(module_id(3), "Statistics"),
        credentialStatus=status_entry(LIST_URL, 13),
    )
    document = clr([revoked, kept, program_credential(issuer)])
    report = verify(document, resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["revocation"] == "valid"  # the record itself is not revoked
    assert statuses(report)["credentials"] == "invalid"
    text = detail(report, "credentials")
    assert "Included credential 1 of 3 “Data Visualisation”" in text
    assert "revoked" in text
    assert statuses(report.children[0].report)["revocation"] == "invalid"
    assert statuses(report.children[1].report)["revocation"] == "valid"
    assert report.verified is False


def test_an_included_credential_that_cannot_be_checked_withholds_the_verdict(
    issuer: Issuer, clr: Callable[..., dict[str, Any]]
) -> None:
    unreachable = award(
        issuer,
        1,
        "Data Cleaning",
        achievement(module_id(1), "Data Cleaning"),
        credentialStatus=status_entry(LIST_URL, 3),
    )
    report = verify(clr([unreachable]), resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["credentials"] == "unknown"
    assert "could not be fully checked" in detail(report, "credentials")
    assert report.verified is False


def test_an_expired_included_credential_is_named(
    issuer: Issuer, clr: Callable[..., dict[str, Any]]
) -> None:
    expired = award(
        issuer,
        1,
        "Data Cleaning",
        achievement(module_id(1), "Data Cleaning"),
        validUntil="2026-03-01T00:00:00Z",
    )
    report = verify(clr([expired, program_credential(issuer)]), resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["validity"] == "valid"
    assert "Validity period: It expired" in detail(report, "credentials")


def test_a_clr_inside_a_clr_is_not_accepted_as_an_achievement_credential(
    issuer: Issuer, clr: Callable[..., dict[str, Any]]
) -> None:
    inner = clr()
    outer = issuer.sign(clr_document(issuer, [inner], achievement=[], association=[]))
    report = verify(outer, resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["credentials"] == "invalid"
    assert statuses(report.children[0].report)["structure"] == "invalid"
    assert report.children[0].report.children == []


def test_too_many_included_credentials_are_not_checked(
    issuer: Issuer, clr: Callable[..., dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(included, "MAX_INCLUDED", 3)
    report = verify(clr(), resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["credentials"] == "unknown"
    assert "more than the 3" in detail(report, "credentials")
    assert report.verified is False


def test_an_unexpected_error_leaves_the_included_credentials_unchecked(
    issuer: Issuer, clr: Callable[..., dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "check_included", explode)
    report = verify(clr(), resolver=issuer.resolver(), now=NOW)
    assert statuses(report)["credentials"] == "unknown"
    assert report.verified is False


def test_endorsements_of_included_credentials_are_checked_once(
    issuer: Issuer, clr: Callable[..., dict[str, Any]]
) -> None:
    """An included credential's endorsements belong to its own report, not the record's."""
    endorsement = issuer.sign(
        {
            "@context": [
                "https://www.w3.org/ns/credentials/v2",
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            ],
            "id": "urn:uuid:8c1f5e0a-8c5b-4b1e-9e3c-2d9d7f1b6a10",
            "type": ["VerifiableCredential", "EndorsementCredential"],
            "issuer": {"id": issuer.did, "type": ["Profile"]},
            "validFrom": "2026-01-01T00:00:00Z",
            "name": "Endorsement",
            "credentialSubject": {"id": module_id(1), "type": ["EndorsementSubject"]},
        }
    )
    ach = {**achievement(module_id(1), "Data Cleaning"), "endorsement": [endorsement]}
    bundled = [award(issuer, 1, "Data Cleaning", ach), program_credential(issuer)]
    document = clr(bundled, achievement=[])
    report = verify(document, resolver=issuer.resolver(), now=NOW)
    assert report.check("endorsements") is None
    assert statuses(report.children[0].report)["endorsements"] == "valid"
    assert report.verified is True


# --- the shape the service signs ---------------------------------------------------------


def test_the_service_clr_shape_verifies(issuer: Issuer) -> None:
    """Same shape as ``app/programs/clr.py``: hashed e-mail learner, status on every module."""
    publish_list(issuer)
    salt = "5e1a7c0d9b3f2e41"
    identity = {
        "type": "IdentityObject",
        "identityHash": hash_identity("learner@example.com", salt),
        "identityType": "emailAddress",
        "hashed": True,
        "salt": salt,
    }
    profile = {"id": issuer.did, "type": ["Profile"], "name": "Example University"}
    stored = []
    for number, name in enumerate([*MODULES, "Data Program"], start=1):
        ach = achievement(module_id(number), name)
        ach["inLanguage"] = "en"
        subject = {"type": ["AchievementSubject"], "identifier": [identity], "achievement": ach}
        credential = make_credential(
            issuer.did,
            id=f"https://badges.example.edu/credentials/{number:08d}-0000-4000-8000-000000000000",
            issuer=profile,
            name=name,
            credentialSubject=subject,
            credentialStatus=[status_entry(LIST_URL, 100 + number)],
        )
        stored.append(issuer.sign(credential))
    program = stored[-1]["credentialSubject"]["achievement"]
    document = {
        "@context": list(CLR_CONTEXTS),
        "id": "urn:uuid:0f3c2b1a-9d8e-4f7a-b6c5-d4e3f2a1b0c9",
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": dict(profile),
        "validFrom": "2026-02-01T00:00:00Z",
        "name": "Transcript: Data Program",
        "description": "Program",
        "credentialSubject": {
            "type": ["ClrSubject"],
            "identifier": [{**identity, "salt": "a0b1c2d3e4f5a6b7"}],
            "verifiableCredential": stored,
            "achievement": [c["credentialSubject"]["achievement"] for c in stored],
            "association": [
                {
                    "type": "Association",
                    "associationType": "isChildOf",
                    "sourceId": module_id(n),
                    "targetId": program["id"],
                }
                for n in range(1, 4)
            ],
        },
        "credentialSchema": [dict(CLR_SCHEMA)],
    }
    document["credentialSubject"]["identifier"][0]["identityHash"] = hash_identity(
        "learner@example.com", "a0b1c2d3e4f5a6b7"
    )
    signed = issuer.sign(document)
    report = verify(signed, resolver=issuer.resolver(), now=NOW, recipient="learner@example.com")
    assert report.verified is True, [c for c in report.checks if c.status != "valid"]
    assert statuses(report)["recipient"] == "valid"
    assert all(statuses(c.report)["revocation"] == "valid" for c in report.children)
    partial = issuer.sign({**copy.deepcopy(document), "partial": True})
    assert verify(partial, resolver=issuer.resolver(), now=NOW).verified is True


# --- the 1EdTech CLR 2.0 test vector ------------------------------------------------------


def test_the_1edtech_clr_vector_reproduces() -> None:
    signed = json.loads((VECTOR / "credential.json").read_text(encoding="utf-8"))
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    canon = canonicalize(unsigned)
    assert canon == (VECTOR / "document-canon.txt").read_text(encoding="utf-8")
    assert hashlib.sha256(canon.encode()).hexdigest() == (
        "fd987e45f5ee69ee7bc36a4111d9012c727fb80d79f867b344bf3fa67e8c4e83"
    )
    options = {k: v for k, v in signed["proof"].items() if k != "proofValue"}
    options["@context"] = signed["@context"]
    proof_hash = hashlib.sha256((VECTOR / "proof-canon.txt").read_bytes()).hexdigest()
    assert proof_hash == "3cf3c265b6c8ebb29b4d5ea310b87d2f31c79b633eff8af561d2e8c97a85c8cb"
    assert proof_hash_data(unsigned, options)[:32].hex() == proof_hash
    key = SigningKey.from_ed25519_seed(bytes.fromhex(VECTOR_SEED))
    resigned = sign(
        unsigned,
        key,
        verification_method=signed["proof"]["verificationMethod"],
        created=signed["proof"]["created"],
    )
    assert resigned["proof"]["proofValue"] == signed["proof"]["proofValue"]


def test_the_1edtech_clr_vector_verifies_under_the_validator_policy() -> None:
    signed = json.loads((VECTOR / "credential.json").read_text(encoding="utf-8"))
    report = verify(signed, now=NOW, fragment_key_policy="validator")
    assert report.verified is True, [c for c in report.checks if c.status != "valid"]
    assert statuses(report)["proof"] == "valid"
    assert "older CLR context" in detail(report, "structure")
    assert [(c.name, c.report.verified) for c in report.children] == [
        ("Example University Degree", True)
    ]
    bound = verify(signed, now=NOW)  # offline: the issuer's documents cannot be consulted
    assert bound.verified is False
    assert statuses(bound)["issuer_key"] == "unknown"
