"""The OB 3.0 model: conformance fixtures, exact round trips, validation paths, helpers."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from shared_corpus import OB30_CORPUS

from openbadges import model as ob
from openbadges.errors import ModelError

CORPUS = OB30_CORPUS
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="conformance corpus not present")


def _manifest() -> list[dict[str, Any]]:
    if not (CORPUS / "MANIFEST.json").is_file():
        return []
    entries: list[dict[str, Any]] = json.loads((CORPUS / "MANIFEST.json").read_text())
    return entries


def _load(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((CORPUS / name).read_text())
    return doc


def _canonical(doc: Any) -> str:
    return json.dumps(doc, sort_keys=True, ensure_ascii=False)


VALID_JSON = [e["file"] for e in _manifest() if e["expect"] == "valid" and e["format"] == "json"]

TYPE_ERRORS = {
    "simple-err-credential-subject-achievement-result-description-type.json": (
        "$.credentialSubject.achievement.resultDescription[2].type"
    ),
    "simple-err-credential-subject-identifier-type.json": "$.credentialSubject.identifier[0].type",
    "simple-err-credential-subject-profile-type.json": "$.credentialSubject.source.type",
    "simple-err-credential-subject-result-type.json": "$.credentialSubject.result[1].type",
    "simple-err-credential-subject-type.json": "$.credentialSubject.type",
    "simple-err-evidence-type.json": "$.evidence[1].type",
    "simple-err-issuer-otheridentifier-type.json": "$.issuer.otherIdentifier[1].type",
    "simple-err-issuer-parentorg-type.json": "$.issuer.parentOrg.type",
    "simple-err-issuer-type.json": "$.issuer.type",
    "simple-err-type.json": "$.type",
}


def simple_credential(**changes: Any) -> dict[str, Any]:
    """The spec's minimal OpenBadgeCredential (unsigned), with top-level changes."""
    doc: dict[str, Any] = {
        "@context": [ob.VC_V2_CONTEXT, ob.OB_CONTEXT],
        "id": "urn:uuid:4f5f6c1e-8a37-4b8a-9d0f-2a0a5c1f2b11",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "https://example.edu/issuers/1", "type": ["Profile"], "name": "Uni"},
        "validFrom": "2024-01-01T00:00:00Z",
        "name": "Teamwork",
        "credentialSubject": {
            "id": "did:example:learner",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://example.edu/achievements/teamwork",
                "type": ["Achievement"],
                "criteria": {"narrative": "Works in teams."},
                "description": "Teamwork skills.",
                "name": "Teamwork",
            },
        },
    }
    doc.update(changes)
    return doc


def error_path(doc: Any, parse: Any = ob.validate_credential) -> str | None:
    with pytest.raises(ModelError) as info:
        parse(doc)
    return info.value.path


# --- conformance corpus ----------------------------------------------------------------------


@needs_corpus
@pytest.mark.parametrize("name", VALID_JSON)
def test_valid_fixture_parses_and_round_trips_exactly(name: str) -> None:
    doc = _load(name)
    parsed = ob.parse_document(doc)
    assert _canonical(ob.to_json(parsed)) == _canonical(doc)


@needs_corpus
def test_fixture_classes_are_chosen_from_type() -> None:
    assert isinstance(ob.parse_document(_load("endorsement-valid.json")), ob.EndorsementCredential)
    status = ob.parse_document(_load("bit-string-list/testlist"))
    assert isinstance(status, ob.BitstringStatusListCredential)
    assert status.credential_subject.status_purpose == "revocation"


@needs_corpus
@pytest.mark.parametrize(("name", "path"), sorted(TYPE_ERRORS.items()))
def test_type_error_fixture_names_the_path(name: str, path: str) -> None:
    assert error_path(_load(name), ob.parse_credential) == path
    assert error_path(_load(name), ob.validate_credential) == path


@needs_corpus
def test_complete_fixture_keeps_numbers_and_nested_models() -> None:
    doc = _load("complete.json")
    credential = ob.validate_credential(doc)
    assert credential.credential_subject.credits_earned == 42
    assert isinstance(credential.credential_subject.credits_earned, int)
    assert credential.credential_subject.achievement.achievement_type == "Degree"
    assert isinstance(credential.issuer, ob.Profile)
    assert credential.issuer.address is not None
    assert credential.issuer.address.geo is not None
    assert json.dumps(ob.to_json(credential)).count('"creditsEarned": 42,') == 1


@needs_corpus
def test_vc11_fixture_is_legacy_and_written_back_in_its_shape() -> None:
    doc = _load("simple_v1.json")
    with pytest.raises(ModelError, match=r"\$\.validFrom: Field required") as info:
        ob.validate_credential(doc)
    assert info.value.path == "$.@context"
    credential = ob.parse_credential(doc)
    assert credential.legacy
    assert credential.valid_from == "2010-01-01T00:00:00Z"
    out = ob.to_json(credential)
    assert "validFrom" not in out
    assert out["issuanceDate"] == doc["issuanceDate"]


@needs_corpus
def test_integer_status_list_index_is_read_and_kept() -> None:
    doc = _load("bit-string-list/credential-status-revoked.json")
    credential = ob.validate_credential(doc)
    assert isinstance(credential.credential_status, ob.BitstringStatusListEntry)
    assert credential.credential_status.index == 23
    assert ob.to_json(credential)["credentialStatus"]["statusListIndex"] == 23


# --- validation -------------------------------------------------------------------------------


def test_minimal_credential_round_trips() -> None:
    doc = simple_credential()
    assert _canonical(ob.to_json(ob.validate_credential(doc))) == _canonical(doc)


@pytest.mark.parametrize("value", ["2024-01-01T00:00:00", "2024-01-01", "yesterday"])
def test_valid_from_needs_a_zoned_date_time(value: str) -> None:
    assert error_path(simple_credential(validFrom=value)) == "$.validFrom"


def test_fractional_and_offset_date_times_are_kept_verbatim() -> None:
    doc = simple_credential(validFrom="2024-01-01T00:00:00.000+02:00")
    assert ob.to_json(ob.validate_credential(doc))["validFrom"] == "2024-01-01T00:00:00.000+02:00"


def test_subject_needs_id_or_identifier() -> None:
    doc = simple_credential()
    del doc["credentialSubject"]["id"]
    assert error_path(doc) == "$.credentialSubject"
    doc["credentialSubject"]["identifier"] = [
        {
            "type": "IdentityObject",
            "hashed": True,
            "identityHash": ob.hash_identity("a@example.com", "salt"),
            "identityType": "emailAddress",
            "salt": "salt",
        }
    ]
    assert ob.validate_credential(doc).credential_subject.identifier is not None


def test_hashed_identity_needs_algorithm_prefix() -> None:
    doc = simple_credential()
    doc["credentialSubject"]["identifier"] = [
        {
            "type": "IdentityObject",
            "hashed": True,
            "identityHash": "abc",
            "identityType": "emailAddress",
        }
    ]
    assert error_path(doc) == "$.credentialSubject.identifier[0]"


def test_subject_extra_property_refused_strictly_kept_permissively() -> None:
    doc = simple_credential()
    doc["credentialSubject"]["name"] = "Ada"
    assert error_path(doc) == "$.credentialSubject.name"
    assert ob.to_json(ob.parse_credential(doc))["credentialSubject"]["name"] == "Ada"


def test_image_has_no_extension_point() -> None:
    doc = simple_credential(image={"id": "https://x/i.png", "type": "Image", "width": 3})
    assert error_path(doc) == "$.image.width"


def test_achievement_and_credential_extensions_are_kept() -> None:
    doc = simple_credential(customTerm="kept")
    doc["credentialSubject"]["achievement"]["ext:note"] = {"a": 1}
    out = ob.to_json(ob.validate_credential(doc))
    assert out["customTerm"] == "kept"
    assert out["credentialSubject"]["achievement"]["ext:note"] == {"a": 1}


def test_credential_type_needs_openbadge_type() -> None:
    doc = simple_credential(type=["VerifiableCredential"])
    with pytest.raises(ModelError, match="OpenBadgeCredential or AchievementCredential") as info:
        ob.validate_credential(doc)
    assert info.value.path == "$.type"
    assert ob.validate_credential(
        simple_credential(type=["VerifiableCredential", "AchievementCredential"])
    )


def test_vc2_context_must_come_first() -> None:
    doc = simple_credential(**{"@context": [ob.OB_CONTEXT, ob.VC_V2_CONTEXT]})
    assert error_path(doc) == "$.@context"
    assert error_path(simple_credential(**{"@context": [ob.VC_V2_CONTEXT]})) == "$.@context"


def test_issuer_of_wrong_json_type_names_issuer() -> None:
    with pytest.raises(ModelError) as info:
        ob.validate_credential(simple_credential(issuer=5))
    assert info.value.path == "$.issuer"
    assert "string" in info.value.message


def test_issuer_may_be_a_uri() -> None:
    credential = ob.validate_credential(simple_credential(issuer="https://example.edu/issuers/1"))
    assert credential.issuer_id == "https://example.edu/issuers/1"
    assert error_path(simple_credential(issuer="not a uri")) == "$.issuer"


def test_missing_field_is_named() -> None:
    doc = simple_credential()
    del doc["credentialSubject"]["achievement"]["criteria"]
    assert error_path(doc) == "$.credentialSubject.achievement.criteria"


def test_non_object_document() -> None:
    assert error_path([1, 2]) == "$"


def test_snake_case_keys_are_not_json_names() -> None:
    doc = simple_credential()
    doc["valid_from"] = doc.pop("validFrom")
    assert error_path(doc) == "$.validFrom"


@pytest.mark.parametrize(
    ("value", "ok"),
    [("MicroCredential", True), ("ext:Nanodegree", True), ("ext:", False), ("Nanodegree", False)],
)
def test_achievement_type_vocabulary(value: str, ok: bool) -> None:
    doc = simple_credential()
    doc["credentialSubject"]["achievement"]["achievementType"] = value
    if ok:
        assert ob.validate_credential(doc).credential_subject.achievement.achievement_type == value
    else:
        assert error_path(doc) == "$.credentialSubject.achievement.achievementType"


def test_result_status_is_a_closed_vocabulary() -> None:
    doc = simple_credential()
    doc["credentialSubject"]["result"] = [{"type": ["Result"], "status": "ext:Paused"}]
    assert error_path(doc) == "$.credentialSubject.result[0].status"


def test_status_entry_rules() -> None:
    entry = {
        "id": "https://x/status/1#5",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "-5",
        "statusListCredential": "https://x/status/1",
    }
    assert (
        error_path(simple_credential(credentialStatus=entry))
        == "$.credentialStatus.statusListIndex"
    )
    entry["statusListIndex"] = "5"
    entry["id"] = "https://x/status/1"
    assert error_path(simple_credential(credentialStatus=[entry])) == "$.credentialStatus[0]"


def test_credential_status_may_be_a_list_of_methods() -> None:
    statuses = [
        {"id": "https://x/revocations", "type": "1EdTechRevocationList"},
        {"id": "https://x/other", "type": "SomeOtherStatus"},
    ]
    credential = ob.validate_credential(simple_credential(credentialStatus=statuses))
    assert isinstance(credential.credential_status, list)
    assert isinstance(credential.credential_status[0], ob.OneEdTechRevocationListEntry)
    assert isinstance(credential.credential_status[1], ob.CredentialStatusEntry)


def test_data_integrity_proof_requires_its_fields() -> None:
    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "proofPurpose": "assertionMethod",
    }
    doc = simple_credential(proof=proof)
    assert error_path(doc) == "$.proof.verificationMethod"
    other = {"type": "Ed25519Signature2020", "proofValue": "z1"}
    assert (
        ob.validate_credential(simple_credential(proof=[other])).proofs[0].type
        == "Ed25519Signature2020"
    )


# --- building from Python -----------------------------------------------------------------------


def test_build_credential_from_python_names() -> None:
    credential = ob.AchievementCredential(
        id="urn:uuid:0e5b2a1c-6a59-4a88-b2a5-7f1f6f3b8a10",
        issuer=ob.Profile(id="did:web:example.edu", name="Example University"),
        valid_from=datetime(2025, 3, 1, 12, 0, tzinfo=UTC),
        name="Python 101",
        credential_subject=ob.AchievementSubject(
            id="did:example:learner",
            achievement=ob.Achievement(
                id="https://example.edu/achievements/py101",
                name="Python 101",
                description="Intro course.",
                criteria=ob.Criteria(narrative="Pass the exam."),
                achievement_type=ob.AchievementType.MICRO_CREDENTIAL,
                credits_available=3.0,
                tag=[],
            ),
        ),
    )
    out = ob.to_json(credential)
    assert list(out)[:3] == ["@context", "id", "type"]
    assert out["validFrom"] == "2025-03-01T12:00:00Z"
    assert out["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert out["issuer"] == {
        "id": "did:web:example.edu",
        "type": ["Profile"],
        "name": "Example University",
    }
    achievement = out["credentialSubject"]["achievement"]
    assert achievement["achievementType"] == "MicroCredential"
    assert "tag" not in achievement
    assert "endorsement" not in out
    assert _canonical(ob.to_json(ob.validate_credential(out))) == _canonical(out)


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        ob.EndorsementCredential(
            id="urn:uuid:1",
            name="E",
            issuer="did:web:x",
            valid_from=datetime(2025, 1, 1),
            credential_subject=ob.EndorsementSubject(id="did:web:y"),
        )


def test_clr_credential_with_associations() -> None:
    module = ob.validate_credential(simple_credential())
    clr = ob.ClrCredential(
        id="urn:uuid:2",
        name="Record",
        issuer="did:web:example.edu",
        valid_from="2025-01-01T00:00:00Z",
        credential_subject=ob.ClrSubject(
            id="did:example:learner",
            verifiable_credential=[module],
            association=[
                ob.Association(
                    association_type=ob.AssociationType.IS_CHILD_OF,
                    source_id="https://example.edu/achievements/teamwork",
                    target_id="https://example.edu/achievements/program",
                )
            ],
        ),
    )
    out = ob.to_json(clr)
    assert ob.CLR_CONTEXT in out["@context"]
    assert out["credentialSubject"]["association"][0]["associationType"] == "isChildOf"
    assert isinstance(ob.parse_document(out), ob.ClrCredential)
    out["credentialSubject"]["association"][0]["associationType"] = "isCousinOf"
    assert (
        error_path(out, ob.parse_document) == "$.credentialSubject.association[0].associationType"
    )


def test_every_model_is_fully_built() -> None:
    models = [getattr(ob, name) for name in ob.__all__]
    for cls in models:
        if isinstance(cls, type) and issubclass(cls, ob.OBModel):
            assert cls.__pydantic_complete__, cls.__name__


# --- identity helpers ---------------------------------------------------------------------------


def test_hash_identity_spec_example() -> None:
    expected = "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"
    assert ob.hash_identity("a@example.com", "Kosher") == expected


def _identity(
    identity_hash: str, *, hashed: bool = True, salt: str | None = None
) -> ob.IdentityObject:
    return ob.IdentityObject(
        hashed=hashed, identity_hash=identity_hash, identity_type="emailAddress", salt=salt
    )


def test_identity_matches_hashed_in_any_case() -> None:
    identity = _identity(
        ob.hash_identity("a@example.com", "Kosher").upper().replace("SHA256", "sha256"),
        salt="Kosher",
    )
    assert ob.identity_matches(identity, "a@example.com")
    assert not ob.identity_matches(identity, "b@example.com")


def test_identity_matches_md5_and_unsalted() -> None:
    digest = hashlib.md5(b"a@example.com").hexdigest()
    assert ob.identity_matches({"hashed": True, "identityHash": f"md5${digest}"}, "a@example.com")


def test_identity_matches_plaintext() -> None:
    identity = _identity("student@example.edu", hashed=False)
    assert ob.identity_matches(identity, "student@example.edu")
    assert not ob.identity_matches(identity, "Student@example.edu ")


def test_identity_matches_malformed_never_matches() -> None:
    assert not ob.identity_matches({"hashed": True, "identityHash": "sha1$abc"}, "x")
    assert not ob.identity_matches({"hashed": True}, "x")
