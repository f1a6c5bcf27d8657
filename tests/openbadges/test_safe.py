"""The "refuse undefined terms" check: what would silently fall out of a signature."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from openbadges.errors import ContextError, UndefinedTermError
from openbadges.jsonld.safe import ensure_defined, find_undefined_terms

VECTORS = Path(__file__).parent / "vectors"
CONFORMANCE = Path("/work/shared/conformance/ob30")
V2 = "https://www.w3.org/ns/credentials/v2"
OB303 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"


def credential() -> dict[str, Any]:
    """The OB 3.0 vector credential, plus the parts that exercise scoped contexts."""
    doc: dict[str, Any] = json.loads((VECTORS / "obv3p0" / "credential.json").read_text())
    doc["@context"].append(EXTENSIONS)
    doc["issuer"]["image"] = {
        "id": "https://example.edu/logo.png",
        "type": "Image",
        "caption": "Logo",
    }
    doc["credentialSubject"]["result"] = [
        {"type": ["Result"], "value": "A", "resultDescription": "urn:uuid:1"},
        {"type": ["Result"], "status": "Completed"},
    ]
    doc["credentialSubject"]["achievement"]["alignment"] = [
        {"type": ["Alignment"], "targetName": "Teamwork", "targetUrl": "https://example.org/t"}
    ]
    doc["credentialSubject"]["achievement"]["resultDescription"] = [
        {
            "id": "urn:uuid:1",
            "type": ["ResultDescription"],
            "name": "Grade",
            "resultType": "LetterGrade",
            "allowedValue": ["A", "B", "C"],
        }
    ]
    doc["credentialSchema"] = [
        {
            "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
            "type": "1EdTechJsonSchemaValidator2019",
        }
    ]
    doc["credentialStatus"] = {
        "id": "https://example.edu/status/1#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": "https://example.edu/status/1",
    }
    return doc


def test_a_complete_credential_is_fully_defined() -> None:
    assert find_undefined_terms(credential()) == []
    ensure_defined(credential())


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["credentialSubject"].update(nickname="Sam"), "$.credentialSubject.nickname"),
        (lambda d: d.update(color="blue"), "$.color"),
        (
            lambda d: d["credentialSubject"]["achievement"]["type"].append("FancyAchievement"),
            "$.credentialSubject.achievement.type[1]",
        ),
        (lambda d: d["issuer"].update(type="Organisation"), "$.issuer.type"),
        (
            lambda d: d["credentialSubject"]["result"][1].update(grade="B"),
            "$.credentialSubject.result[1].grade",
        ),
        (
            lambda d: d["credentialSubject"]["achievement"]["alignment"][0].update(weight=2),
            "$.credentialSubject.achievement.alignment[0].weight",
        ),
        # Type-scoped terms: Image's "caption" means nothing on a Profile...
        (lambda d: d["issuer"].update(caption="Our logo"), "$.issuer.caption"),
        # ...and Achievement's terms do not propagate into nested nodes (Criteria).
        (
            lambda d: d["credentialSubject"]["achievement"]["criteria"].update(
                achievementType="Badge"
            ),
            "$.credentialSubject.achievement.criteria.achievementType",
        ),
        # IRI-valued properties with relative values get pyld's placeholder base.
        (lambda d: d["issuer"].update(image="logo.png"), "$.issuer.image"),
        (lambda d: d.update(id="credentials/1"), "$.id"),
        (lambda d: d["credentialSchema"][0].update(id="schema.json"), "$.credentialSchema[0].id"),
        (lambda d: d.update({"@foo": "bar"}), '$["@foo"]'),
        (
            lambda d: d["credentialSubject"].update({"my field": 1}),
            '$.credentialSubject["my field"]',
        ),
    ],
)
def test_undefined_terms_are_found_with_their_path(mutate: Any, expected: str) -> None:
    doc = credential()
    mutate(doc)
    assert find_undefined_terms(doc) == [expected]


def test_extension_types_need_the_extensions_context() -> None:
    doc = credential()
    doc["@context"].remove(EXTENSIONS)
    assert find_undefined_terms(doc) == ["$.credentialSchema[0].type"]


def test_several_problems_are_all_reported_once() -> None:
    doc = credential()
    doc["credentialSubject"]["nickname"] = "Sam"
    doc["credentialSubject"]["result"].append({"type": ["Result", "Grade"], "grade": "B"})
    found = find_undefined_terms(doc)
    assert sorted(found) == [
        "$.credentialSubject.nickname",
        "$.credentialSubject.result[2].grade",
        "$.credentialSubject.result[2].type[1]",
    ]
    assert len(found) == len(set(found))


def test_issuer_dependent_vocab_is_undefined() -> None:
    doc = credential()
    doc["@context"].append({"@vocab": "https://www.w3.org/ns/credentials/issuer-dependent#"})
    doc["credentialSubject"]["nickname"] = "Sam"
    assert find_undefined_terms(doc) == ["$.credentialSubject.nickname"]


def test_undefined_terms_context_is_undefined() -> None:
    doc = credential()
    doc["@context"].append("https://www.w3.org/ns/credentials/undefined-terms/v2")
    doc["credentialSubject"]["nickname"] = "Sam"
    assert find_undefined_terms(doc) == ["$.credentialSubject.nickname"]


def test_an_inline_context_can_define_a_term() -> None:
    doc = credential()
    doc["@context"].append({"nickname": "https://example.org/vocab#nickname"})
    doc["nickname"] = "Sam"
    assert find_undefined_terms(doc) == []


def test_a_term_mapped_to_null_is_dropped() -> None:
    doc = credential()
    doc["@context"].append({"internalNote": None})
    doc["internalNote"] = "do not sign me"
    assert find_undefined_terms(doc) == ["$.internalNote"]


def test_absolute_iri_properties_are_kept() -> None:
    doc = credential()
    doc["credentialSubject"]["https://example.org/vocab#nickname"] = "Sam"
    assert find_undefined_terms(doc) == []


def test_proofs_are_checked_too() -> None:
    doc = credential()
    doc["proof"] = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2010-01-01T19:23:24Z",
        "verificationMethod": "https://example.edu/issuers/565049#key-1",
        "proofPurpose": "assertionMethod",
        "proofValue": "z123",
    }
    assert find_undefined_terms(doc) == []
    doc["proof"]["proofPurpose"] = "bragging"
    doc["proof"]["signer"] = "me"
    assert sorted(find_undefined_terms(doc)) == ["$.proof.proofPurpose", "$.proof.signer"]


def test_caller_document_is_not_mutated() -> None:
    doc = credential()
    doc["credentialSubject"]["nickname"] = "Sam"
    before = copy.deepcopy(doc)
    find_undefined_terms(doc)
    assert doc == before


def test_ensure_defined_names_the_first_path_and_lists_all() -> None:
    doc = credential()
    doc["credentialSubject"]["nickname"] = "Sam"
    doc["credentialSubject"]["achievement"]["type"] = ["Achievement", "Fancy"]
    with pytest.raises(UndefinedTermError) as info:
        ensure_defined(doc)
    error = info.value
    assert error.code == "undefined_term"
    assert error.path in {"$.credentialSubject.nickname", "$.credentialSubject.achievement.type[1]"}
    assert "$.credentialSubject.nickname" in str(error)
    assert "$.credentialSubject.achievement.type[1]" in str(error)


def test_unbundled_context_is_refused() -> None:
    doc = credential()
    doc["@context"].append("https://example.com/context.json")
    with pytest.raises(ContextError):
        find_undefined_terms(doc)


def _conformance_documents() -> list[str]:
    if not CONFORMANCE.is_dir():
        return []
    manifest = json.loads((CONFORMANCE / "MANIFEST.json").read_text())
    names = [e["file"] for e in manifest if e["format"] == "json" and e["expect"] == "valid"]
    return [*names, "complete.json"]  # invalid only for its status list; its terms are fine


@pytest.mark.parametrize("file_name", _conformance_documents())
def test_valid_spec_examples_pass(file_name: str) -> None:
    document = json.loads((CONFORMANCE / file_name).read_text())
    assert find_undefined_terms(document) == []


def test_conformance_type_errors_are_caught() -> None:
    if not CONFORMANCE.is_dir():
        pytest.skip("conformance corpus not present")
    document = json.loads((CONFORMANCE / "simple-err-type.json").read_text())
    assert find_undefined_terms(document) == ["$.type[1]"]
