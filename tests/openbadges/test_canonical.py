"""RDFC-1.0 canonicalisation: published vectors, bounds on hostile input, and the fast-path hook."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from openbadges.errors import CanonicalizationError, ContextError, LimitExceededError
from openbadges.jsonld import canonical
from openbadges.jsonld.limits import Limits, check_structure

VECTORS = Path(__file__).parent / "vectors"
OB = VECTORS / "obv3p0"
V2 = "https://www.w3.org/ns/credentials/v2"
OB303 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


def ob_credential() -> dict[str, Any]:
    return json.loads((OB / "credential.json").read_text())


def clique(n: int) -> dict[str, Any]:
    """n blank nodes, each linked to all others by the same predicate: indistinguishable."""
    return {
        "@graph": [
            {
                "@id": f"_:b{i}",
                "http://example.org/knows": [{"@id": f"_:b{j}"} for j in range(n) if j != i],
            }
            for i in range(n)
        ]
    }


def test_ob_spec_vector_document_canon_byte_for_byte() -> None:
    expected = (OB / "document-canon.txt").read_text()
    assert canonical.canonicalize_reference(ob_credential()) == expected


def test_ob_spec_vector_proof_canon_byte_for_byte() -> None:
    proof_config = {
        "@context": [V2, OB303],
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2010-01-01T19:23:24Z",
        "verificationMethod": "https://example.edu/issuers/565049#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",
        "proofPurpose": "assertionMethod",
    }
    assert canonical.canonicalize_reference(proof_config) == (OB / "proof-canon.txt").read_text()


def test_canonicalize_equals_reference() -> None:
    doc = ob_credential()
    assert canonical.canonicalize(doc) == canonical.canonicalize_reference(doc)


def test_caller_document_is_not_mutated() -> None:
    doc = ob_credential()
    doc["credentialSubject"]["result"] = [{"type": ["Result"], "value": "A"}]
    before = copy.deepcopy(doc)
    canonical.canonicalize_reference(doc)
    canonical.to_nquads_reference(doc)
    assert doc == before


def test_blank_node_labels_do_not_depend_on_input_order() -> None:
    doc = ob_credential()
    doc["credentialSubject"]["result"] = [
        {"type": ["Result"], "value": "A"},
        {"type": ["Result"], "value": "B"},
    ]
    swapped = copy.deepcopy(doc)
    swapped["credentialSubject"]["result"].reverse()
    out = canonical.canonicalize_reference(doc)
    assert out == canonical.canonicalize_reference(swapped)
    assert "_:c14n2" in out  # criteria + two results are blank nodes


def test_to_nquads_reference_has_the_same_quads_before_relabelling() -> None:
    doc = ob_credential()
    raw = canonical.to_nquads_reference(doc).splitlines()
    canon = canonical.canonicalize_reference(doc).splitlines()
    assert len(raw) == len(canon)
    assert {q for q in raw if "_:" not in q} == {q for q in canon if "_:" not in q}


def test_unbundled_context_is_a_context_error_not_a_fetch() -> None:
    doc = ob_credential()
    doc["@context"].append("https://example.com/my-context.json")
    with pytest.raises(ContextError) as info:
        canonical.canonicalize_reference(doc)
    assert "https://example.com/my-context.json" in str(info.value)


def test_invalid_json_ld_is_a_canonicalization_error() -> None:
    # The 3.0.0 OB context redefines terms the VC 2.0 context protects.
    doc = ob_credential()
    doc["@context"] = [V2, "https://purl.imsglobal.org/spec/ob/v3p0/context.json"]
    with pytest.raises(CanonicalizationError) as info:
        canonical.canonicalize_reference(doc)
    assert "protected term redefinition" in str(info.value)


def test_poisoned_graph_is_refused_with_a_work_limit() -> None:
    with pytest.raises(LimitExceededError) as info:
        canonical.canonicalize_reference(clique(9))
    assert info.value.code == "canonicalization_work"


def test_poisoned_graph_is_refused_by_the_deadline_when_work_is_unbounded() -> None:
    limits = Limits(max_work=10**12, timeout_s=0.05)
    with pytest.raises(LimitExceededError) as info:
        canonical.canonicalize_reference(clique(9), limits=limits)
    assert info.value.code == "canonicalization_timeout"


def test_small_symmetric_graph_is_still_canonicalised() -> None:
    out = canonical.canonicalize_reference(clique(3))
    assert len(out.splitlines()) == 6
    assert {line.split()[0] for line in out.splitlines()} == {"_:c14n0", "_:c14n1", "_:c14n2"}


def test_too_many_blank_nodes() -> None:
    doc = {"@graph": [{"http://example.org/n": i} for i in range(30)]}
    with pytest.raises(LimitExceededError) as info:
        canonical.canonicalize_reference(doc, limits=Limits(max_blank_nodes=20))
    assert info.value.code == "too_many_blank_nodes"
    assert len(canonical.canonicalize_reference(doc).splitlines()) == 30


@pytest.mark.parametrize(
    ("doc", "limits", "code", "path"),
    [
        ({"a": {"b": {"c": {"d": 1}}}}, Limits(max_depth=3), "too_deep", "$.a.b.c"),
        ({"a": [[[[1]]]]}, Limits(max_depth=4), "too_deep", "$.a[0][0][0]"),
        ({"a": list(range(50))}, Limits(max_nodes=40), "too_many_nodes", None),
        ({"a": "x" * 200}, Limits(max_bytes=100), "too_large", "$"),
        ({"a": "é" * 60}, Limits(max_bytes=100), "too_large", "$"),  # counted in UTF-8 bytes
        ({"@context": [V2] * 17}, Limits(), "too_many_contexts", '$["@context"]'),
        ({"a": {"@context": [V2] * 5}}, Limits(max_contexts=4), "too_many_contexts", None),
    ],
)
def test_structure_limits(doc: Any, limits: Limits, code: str, path: str | None) -> None:
    with pytest.raises(LimitExceededError) as info:
        check_structure(doc, limits)
    assert info.value.code == code
    if path is not None:
        assert info.value.path == path


def test_structure_limits_apply_before_json_ld_processing() -> None:
    deep: dict[str, Any] = {"@context": [V2]}
    cursor = deep
    for _ in range(100):
        cursor["http://example.org/x"] = {}
        cursor = cursor["http://example.org/x"]
    with pytest.raises(LimitExceededError):
        canonical.canonicalize(deep)
    with pytest.raises(LimitExceededError):
        canonical.canonicalize_reference(deep)


def test_check_structure_accepts_a_real_credential() -> None:
    check_structure(ob_credential(), Limits())


def test_canonicalize_uses_the_fast_path_when_it_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []

    def fast(doc: dict[str, Any]) -> str:
        calls.append(doc)
        return "<urn:x> <urn:y> <urn:z> .\n"

    monkeypatch.setattr(canonical, "_fast_canonicalizer", lambda: fast)
    assert canonical.canonicalize(ob_credential()) == "<urn:x> <urn:y> <urn:z> .\n"
    assert len(calls) == 1


def test_canonicalize_falls_back_when_the_fast_path_declines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(canonical, "_fast_canonicalizer", lambda: lambda doc: None)
    expected = (OB / "document-canon.txt").read_text()
    assert canonical.canonicalize(ob_credential()) == expected


# --- canonical N-Quads escaping (RDFC-1.0 §5, RDF 1.2 canonical N-Triples) ---------------------


def _named(name: str, subject_name: str = "s") -> dict[str, Any]:
    return {
        "@context": [V2],
        "type": "VerifiableCredential",
        "name": name,
        "issuer": "did:example:issuer",
        "credentialSubject": {"name": subject_name},
    }


def test_control_characters_are_escaped_as_rdf_canonize_does() -> None:
    doc = _named('form\ffeed back\bspace bell\u0007 del\u007f nul\x00 "q" \\ \n\t\r é')
    expected = (
        '"form\\ffeed back\\bspace bell\\u0007 del\\u007F nul\\u0000 \\"q\\" \\\\ \\n\\t\\r é"'
    )
    for text in (canonical.canonicalize(doc), canonical.canonicalize_reference(doc)):
        assert f"<https://schema.org/name> {expected} ." in text
    assert expected in canonical.to_nquads_reference(doc)


def test_blank_node_labels_hash_the_escaped_form() -> None:
    """Hash First Degree Quads (§4.6) must serialise like the output, or labels differ."""
    doc = _named("a", subject_name="\u0007")
    doc["credentialSubject"] = [{"name": "\u0002"}, {"name": "\u0003"}]
    del doc["name"]
    result = canonical.canonicalize_reference(doc)

    def first_degree(escaped: str) -> str:
        line = f'_:a <https://schema.org/name> "{escaped}" .\n'
        back = "_:z <https://www.w3.org/2018/credentials#credentialSubject> _:a .\n"
        return hashlib.sha256("".join(sorted([line, back])).encode()).hexdigest()

    stx, etx = first_degree("\\u0002"), first_degree("\\u0003")
    # Labels follow the order of first-degree hashes (§4.4 step 5): the two subjects' labels
    # must be ordered as their hashes over the *escaped* form are.
    lines = result.splitlines()
    stx_label = next(x.split()[0] for x in lines if x.endswith('"\\u0002" .'))
    etx_label = next(x.split()[0] for x in lines if x.endswith('"\\u0003" .'))
    assert (stx_label < etx_label) == (stx < etx)
    raw_stx, raw_etx = first_degree("\u0002"), first_degree("\u0003")
    assert (stx < etx) != (raw_stx < raw_etx), "the vector must tell them apart"


def test_fast_output_with_raw_control_characters_is_not_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc = _named("bell\u0007")
    monkeypatch.setattr(canonical, "_fast_canonicalizer", lambda: lambda d: '"bell\u0007"\n')
    assert canonical.canonicalize(doc) == canonical.canonicalize_reference(doc)
    monkeypatch.setattr(canonical, "_fast_canonicalizer", lambda: lambda d: "from the fast path")
    assert canonical.canonicalize(doc) == "from the fast path"
