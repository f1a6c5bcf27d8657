"""The "refuse undefined terms" check: what would silently fall out of a signature."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import strategies as S
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shared_corpus import OB30_CORPUS

from openbadges.errors import ContextError, UndefinedTermError
from openbadges.jsonld import safe
from openbadges.jsonld.safe import ensure_defined, find_undefined_terms

VECTORS = Path(__file__).parent / "vectors"
CONFORMANCE = OB30_CORPUS
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


# --- the quick check equals the reference -------------------------------------------------

_MUTATIONS = [
    lambda d: None,
    lambda d: d["credentialSubject"].update(nickname="Sam"),
    lambda d: d.update(color="blue", **{"@foo": 1, "my field": 2}),
    lambda d: d["credentialSubject"]["achievement"]["type"].append("FancyAchievement"),
    lambda d: d["issuer"].update(type="Organisation", caption="Our logo"),
    lambda d: d["credentialSubject"]["result"][1].update(grade="B"),
    lambda d: d["credentialSubject"]["achievement"]["criteria"].update(achievementType="Badge"),
    lambda d: d["issuer"].update(image="logo.png"),  # relative: the quick check defers
    lambda d: d["issuer"].update(image="https://example.edu/a b.png"),
    lambda d: d.update(id="https://example.edu/{x}"),
    lambda d: d["credentialSchema"][0].update(type="SomethingElse"),
    lambda d: d["credentialSubject"]["achievement"].update(achievementType="NotInTheEnum"),
    lambda d: d["@context"].remove(EXTENSIONS),
    lambda d: d["credentialSubject"].update(**{"https://example.org/vocab#nickname": "Sam"}),
    lambda d: d.update(proof={"type": "DataIntegrityProof", "proofPurpose": "bragging", "x": 1}),
]


@pytest.mark.parametrize("index", range(len(_MUTATIONS)))
def test_quick_check_agrees_with_the_reference(index: int) -> None:
    doc = credential()
    _MUTATIONS[index](doc)
    quick = safe._quick_undefined_terms(doc)
    reference = safe.find_undefined_terms_reference(doc)
    if index not in (7, 8):  # relative IRIs (and a space makes one) are left to the reference
        assert quick is not None, "the quick check must answer for the OB profile"
    if quick is not None:
        assert sorted(dict.fromkeys(quick)) == sorted(reference)
    assert sorted(find_undefined_terms(doc)) == sorted(reference)


def test_quick_check_defers_what_it_does_not_model() -> None:
    doc = credential()
    doc["@context"].append({"nickname": "https://example.org/vocab#nickname"})  # inline context
    assert safe._quick_undefined_terms(doc) is None
    doc = credential()
    doc["name"] = {"@value": "Teamwork", "@language": "en"}  # value object
    assert safe._quick_undefined_terms(doc) is None
    assert find_undefined_terms(doc) == []


@pytest.mark.parametrize("file_name", _conformance_documents())
def test_quick_check_agrees_on_the_conformance_corpus(file_name: str) -> None:
    document = json.loads((CONFORMANCE / file_name).read_text())
    quick = safe._quick_undefined_terms(document)
    if quick is not None:
        assert sorted(quick) == sorted(safe.find_undefined_terms_reference(document))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(S.credential(), st.sampled_from(["nickname", "grade", "color"]), st.integers(0, 3))
def test_quick_check_agrees_on_generated_credentials(
    doc: dict[str, Any], name: str, where: int
) -> None:
    targets = [doc, doc["credentialSubject"], doc["credentialSubject"]["achievement"], None]
    if targets[where] is not None:
        targets[where][name] = "not in any context"
    quick = safe._quick_undefined_terms(doc)
    reference = safe.find_undefined_terms_reference(doc)
    if quick is not None:
        assert sorted(quick) == sorted(reference)
    if targets[where] is not None:
        assert reference, "the undefined property must be found"


def test_iris_that_are_not_iris_are_refused() -> None:
    for bad in ("https://example.edu/a b.png", "https://example.edu/<a>", 'https://e.edu/"q"'):
        doc = credential()
        doc["issuer"]["image"]["id"] = bad
        assert find_undefined_terms(doc) == ["$.issuer.image.id"], bad


# --- values the JSON-LD processors sign differently ---------------------------------------


@pytest.mark.parametrize(
    ("mutate", "path", "code"),
    [
        (
            lambda d: d.update(name={"@value": "x", "@language": "ar", "@direction": "rtl"}),
            '$.name["@direction"]',
            "base_direction",
        ),
        (
            lambda d: d["@context"].append({"@direction": "rtl"}),
            '$["@context"][3]["@direction"]',
            "base_direction",
        ),
        (
            lambda d: d["@context"].append({"dir": "@direction"}),
            '$["@context"][3].dir',
            "keyword_alias",
        ),
        (
            lambda d: d.update(name={"@value": "x", "@language": "not a tag!"}),
            '$.name["@language"]',
            "invalid_language_tag",
        ),
        (
            lambda d: d.update(name={"@value": "x", "@language": "en_US"}),
            '$.name["@language"]',
            "invalid_language_tag",
        ),
        (
            lambda d: d["@context"].append({"@language": "123456789"}),
            '$["@context"][3]["@language"]',
            "invalid_language_tag",
        ),
        (
            lambda d: d["credentialSubject"].update(creditsEarned=2**53),
            "$.credentialSubject.creditsEarned",
            "unsafe_integer",
        ),
        (
            lambda d: d["credentialSubject"].update(creditsEarned=[1, -(2**64)]),
            "$.credentialSubject.creditsEarned[1]",
            "unsafe_integer",
        ),
        (
            lambda d: d["credentialSubject"].update(creditsEarned=1e-7),
            "$.credentialSubject.creditsEarned",
            "unsafe_double",
        ),
        (
            lambda d: d["credentialSubject"].update(creditsEarned=-2.5e-9),
            "$.credentialSubject.creditsEarned",
            "unsafe_double",
        ),
        (  # 17 significant digits ending in 5: pyld rounds half to even, JavaScript half up
            lambda d: d["credentialSubject"].update(creditsEarned=1234567890123456.5),
            "$.credentialSubject.creditsEarned",
            "unsafe_double",
        ),
        (
            lambda d: d["credentialSubject"].update(creditsEarned=float("nan")),
            "$.credentialSubject.creditsEarned",
            "non_finite_number",
        ),
    ],
)
def test_unportable_values_are_found_with_their_path(mutate: Any, path: str, code: str) -> None:
    doc = credential()
    mutate(doc)
    assert [(f.path, f.code) for f in safe.find_unportable_values(doc)] == [(path, code)]
    with pytest.raises(UndefinedTermError) as info:
        safe.ensure_portable(doc)
    assert (info.value.path, info.value.code) == (path, code)


@pytest.mark.parametrize(
    "value",
    [
        0,
        3,
        2**53 - 1,
        -(2**53 - 1),
        3.0,
        0.5,
        0.1 + 0.2,
        1e-6,
        -1e-6,
        2.5e-6,
        12.75,
        1e21,
        1e300,
        True,
    ],
)
def test_numbers_both_stacks_agree_on_are_accepted(value: Any) -> None:
    doc = credential()
    doc["credentialSubject"]["creditsEarned"] = value
    assert safe.find_unportable_values(doc) == []


def test_well_formed_language_tags_and_context_numbers_are_accepted() -> None:
    doc = credential()
    doc["@context"].append({"@version": 1.1, "@language": None})
    doc["name"] = {"@value": "团队合作", "@language": "zh-Hant-TW"}
    doc["description"] = {"@value": "Teamwork", "@language": "en"}
    assert safe.find_unportable_values(doc) == []


def test_ensure_signable_checks_values_before_terms() -> None:
    doc = credential()
    doc["credentialSubject"]["nickname"] = "Sam"
    with pytest.raises(UndefinedTermError) as info:
        safe.ensure_signable(doc)
    assert (info.value.code, info.value.path) == ("undefined_term", "$.credentialSubject.nickname")
    doc["credentialSubject"]["creditsEarned"] = 1e-7
    with pytest.raises(UndefinedTermError) as info:
        safe.ensure_signable(doc)
    assert info.value.code == "unsafe_double"
    safe.ensure_signable(credential())
