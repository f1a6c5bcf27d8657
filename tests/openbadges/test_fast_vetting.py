"""Signing's one walk (canonical form and term check together) agrees with the two it replaces.

``canonicalize_defined`` answers only when the fast walk met no undefined term or IRI; then the
reference term check (pyld's expansion) must find nothing and the canonical form must be the
reference's. When it does not answer, signing runs the term check and the reference path, so
the only cost of a None is speed: the OB profile's credentials must get an answer.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import strategies as S
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_safe import _MUTATIONS, CONFORMANCE, _conformance_documents, credential

from openbadges.errors import UndefinedTermError
from openbadges.jsonld import safe
from openbadges.jsonld.canonical import canonicalize_defined, canonicalize_reference
from openbadges.keys import SigningKey
from openbadges.proofs import data_integrity as di


def _agrees(doc: dict[str, Any]) -> str | None:
    """Check the contract on ``doc``; the fast answer (None when there is none)."""
    answer = canonicalize_defined(doc)
    if answer is not None:
        assert safe.find_undefined_terms_reference(doc) == []
        assert answer == canonicalize_reference(doc)
    return answer


def _unsecured(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "proof"}


@pytest.mark.parametrize("index", range(len(_MUTATIONS)))
def test_the_one_walk_agrees_on_each_kind_of_undefined_term(index: int) -> None:
    doc = credential()
    _MUTATIONS[index](doc)
    answer = _agrees(_unsecured(doc))
    undefined = safe.find_undefined_terms_reference(_unsecured(doc))
    if not undefined:
        assert answer is not None, "a defined credential of the profile needs no second walk"
    else:
        assert answer is None


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["credentialSubject"].update(nickname=None),  # an undefined key, null value
        lambda d: d["credentialSubject"].update(nickname=[]),  # ... no value at all
        lambda d: d["credentialSubject"]["achievement"].update(type=["Achievement", "Fancy"]),
        lambda d: d["issuer"].update(id="https://example.edu/a|b"),  # not an IRI character
        lambda d: d.update(id="urn:uuid:{x}"),
        lambda d: d["credentialSubject"]["achievement"].update(
            type=["Achievement", "https://www.w3.org/ns/credentials/issuer-dependent#Odd"]
        ),
    ],
)
def test_undefined_terms_without_any_quad_of_their_own_are_still_refused(mutate: Any) -> None:
    """Keys with no value make no quad, yet the term check refuses them: so must the walk."""
    doc = _unsecured(credential())
    mutate(doc)
    assert safe.find_undefined_terms_reference(doc) != []
    assert canonicalize_defined(doc) is None


@pytest.mark.parametrize("file_name", _conformance_documents())
def test_the_one_walk_agrees_on_the_conformance_corpus(file_name: str) -> None:
    _agrees(_unsecured(json.loads((CONFORMANCE / file_name).read_text())))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    S.credential(),
    st.sampled_from(["nickname", "grade", "color", "name", "description"]),
    st.integers(0, 3),
    st.sampled_from(["text", None, [], ["a", "b"]]),
)
def test_the_one_walk_agrees_on_generated_credentials(
    doc: dict[str, Any], name: str, where: int, value: Any
) -> None:
    doc = _unsecured(doc)
    targets = [doc, doc["credentialSubject"], doc["credentialSubject"]["achievement"], None]
    if targets[where] is not None:
        targets[where][name] = value
    _agrees(doc)


def test_signing_still_names_the_undefined_term() -> None:
    """When the walk refuses, the term check runs and its error carries the path."""
    doc = _unsecured(credential())
    doc["credentialSubject"]["nickname"] = []
    key = SigningKey.generate()
    with pytest.raises(UndefinedTermError) as caught:
        di.sign(doc, key, verification_method="did:example:issuer#key-1")
    assert caught.value.path == "$.credentialSubject.nickname"


def test_what_the_one_walk_signs_verifies() -> None:
    doc = _unsecured(credential())
    key = SigningKey.generate()
    signed = di.sign(doc, key, verification_method="did:example:issuer#key-1")
    assert di.verify_proof(signed, signed["proof"], key.public_key)
