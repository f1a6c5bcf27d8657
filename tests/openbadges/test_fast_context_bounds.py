"""The fast canonicaliser's caches stay bounded whatever documents come in (issue 9, 18c).

Every ``@id`` it had seen used to be kept for good: ~0.3 MiB per 1,000 credentials issued, and
whatever anonymous verification requests brought.
"""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from openbadges.jsonld import _fast_context as fc
from openbadges.jsonld.canonical import canonicalize
from openbadges.jsonld.fast import canonicalize_strict

VECTOR = Path(__file__).parent / "vectors" / "obv3p0" / "credential.json"


def _credential() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(VECTOR.read_text(encoding="utf-8"))
    doc.pop("proof", None)
    return doc


def _kept_lookups() -> int:
    """Entries in every per-context lookup cache of every processed context."""
    total = 0
    for _raw, ctx in list(fc._WRAPPED.values()):
        for name in ("_terms", "_vocab_iris", "_type_iris"):
            total += len(getattr(ctx, name))
        total += len(getattr(ctx, "_id_iris", ()))
    return total


def _terms_defined() -> int:
    """The bound: three caches, each keyed by the terms of the processed contexts."""
    return sum(3 * len(raw["mappings"]) for raw, _ctx in fc._WRAPPED.values())


def _unique(base: dict[str, Any], n: int) -> dict[str, Any]:
    doc = copy.deepcopy(base)
    doc["id"] = f"urn:uuid:{uuid.uuid4()}"
    doc["credentialSubject"]["id"] = f"did:example:{uuid.uuid4()}"
    doc[f"https://example.org/terms/p{n}"] = "an absolute IRI as a key"
    doc["type"] = [*doc["type"], f"https://example.org/types/T{n}"]
    return doc


def test_unique_ids_keys_and_types_are_not_kept() -> None:
    base = _credential()
    assert canonicalize_strict(_unique(base, 0)) is not None  # on the fast path
    for n in range(200):
        canonicalize(_unique(base, n))
    after_warm_up = _kept_lookups()
    for n in range(200, 5_200):
        canonicalize(_unique(base, n))
    assert _kept_lookups() == after_warm_up
    assert _kept_lookups() <= _terms_defined()


def test_more_contexts_than_the_cap_start_afresh_instead_of_leaving_the_fast_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fc, "MAX_CONTEXTS", 6)
    base = _credential()
    contexts = base["@context"]
    for extra in range(1, 12):  # each a distinct top-level @context list: new contexts
        doc = copy.deepcopy(base)
        doc["@context"] = [*contexts, *[contexts[-1]] * extra]
        canonicalize(doc)
        assert fc.context_count() <= 6 + 8  # the cap, plus what one document derives
    unseen = copy.deepcopy(base)
    unseen["@context"] = [*contexts, *[contexts[-1]] * 20]
    assert canonicalize_strict(unseen) is not None  # a new context still takes the fast path
    assert fc.context_count() <= 6 + 8


def test_the_proof_template_cache_keeps_only_bundled_contexts() -> None:
    from openbadges.keys import KeyType, SigningKey
    from openbadges.proofs import data_integrity as di

    key = SigningKey.generate(KeyType.ED25519)
    method = "did:example:issuer#key-1"
    di._build_template.cache_clear()
    for n in range(20):
        doc = {**_credential(), "@context": [*_credential()["@context"], f"https://x.example/{n}"]}
        try:
            di.sign(doc, key, verification_method=method)
        except Exception:  # an unbundled context is refused; the point is what got cached
            pass
    assert di._build_template.cache_info().currsize == 0
    di.sign(_credential(), key, verification_method=method)
    assert di._build_template.cache_info().currsize == 1


def test_long_iris_a_document_brings_are_not_cached() -> None:
    from openbadges.jsonld import _iri

    _iri._is_defined_short_iri.cache_clear()
    for n in range(100):
        assert _iri.is_defined_iri(f"https://example.org/{'x' * 300}{n}")
    assert _iri._is_defined_short_iri.cache_info().currsize == 0
