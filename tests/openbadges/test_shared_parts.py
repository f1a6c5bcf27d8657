"""Signing with :class:`openbadges.jsonld.shared.SharedParts` gives what signing without does.

Documents share objects by reference (a batch's issuer profile and achievement); the walks of
those objects are recorded once and replayed. Whatever the rest of each document looks like —
more or fewer blank nodes before the shared part, the part twice in one document, the same
facts elsewhere (de-duplication), an endorsement's proof (a named graph) inside it, an undefined
term or an unportable value inside it — the canonical form, the signature and the errors must
be those of a walk without it.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import strategies as S
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openbadges.errors import OpenBadgesError
from openbadges.jsonld._fast_rdf import to_quads_vetted
from openbadges.jsonld.canonical import canonicalize_defined
from openbadges.jsonld.limits import Limits, check_structure
from openbadges.jsonld.safe import find_unportable_values
from openbadges.jsonld.shared import SharedParts
from openbadges.keys import SigningKey
from openbadges.proofs import data_integrity

KEY = SigningKey.from_ed25519_seed(bytes(range(32)))
METHOD = "did:web:uni.example#key-1"
CREATED = "2026-12-02T10:00:00Z"


def _sign(doc: dict[str, Any], shared: SharedParts | None) -> dict[str, Any] | str:
    try:
        return data_integrity.sign(
            doc, KEY, verification_method=METHOD, created=CREATED, shared=shared
        )
    except OpenBadgesError as exc:
        return f"{type(exc).__name__}:{exc.code}:{exc.path}"


def _with_shared(
    doc: dict[str, Any], profile: dict[str, Any] | None, achievement: dict[str, Any]
) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    if profile is not None:
        doc["issuer"] = profile
    doc["credentialSubject"]["achievement"] = achievement
    return doc


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(docs=st.lists(S.credential(), min_size=2, max_size=4), twice=st.booleans())
def test_signing_with_shared_parts_is_signing_without(
    docs: list[dict[str, Any]], twice: bool
) -> None:
    first = docs[0]
    profile = first["issuer"] if isinstance(first["issuer"], dict) else None
    achievement = first["credentialSubject"]["achievement"]
    batch = [_with_shared(doc, profile, achievement) for doc in docs]
    if twice:  # two subjects holding the very same achievement: a replay inside one document
        other = copy.deepcopy(batch[-1]["credentialSubject"])
        other["achievement"] = achievement
        batch[-1]["credentialSubject"] = [batch[-1]["credentialSubject"], other]
    shared = SharedParts([p for p in (profile, achievement) if p is not None])
    for doc in batch:
        assert _sign(doc, shared) == _sign(doc, None)
        assert canonicalize_defined(doc, shared=shared) == canonicalize_defined(doc)
    assert shared.quads, "the shared parts were recorded"


def _base() -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "https://uni.example/credentials/1",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "https://uni.example/issuer", "type": ["Profile"], "name": "Uni"},
        "validFrom": "2026-12-01T00:00:00Z",
        "name": "Badge",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [],
            "achievement": {},
        },
    }


def _achievement() -> dict[str, Any]:
    return {
        "id": "https://uni.example/achievements/1",
        "type": ["Achievement"],
        "name": "Translation",
        "description": "Translates.",
        "criteria": {"narrative": "Pass."},
        "alignment": [{"type": ["Alignment"], "targetUrl": "https://x.example", "targetName": "X"}],
        "creator": {"id": "https://uni.example/issuer", "type": ["Profile"], "name": "Uni"},
    }


def _identity(n: int) -> dict[str, Any]:
    return {
        "type": "IdentityObject",
        "identityHash": f"sha256${n:064x}",
        "identityType": "emailAddress",
        "hashed": True,
    }


def test_replays_renumber_blank_nodes_and_deduplicate() -> None:
    """The achievement is recorded after no identifier, replayed after three (its blank nodes
    shift by three), and its creator repeats the issuer's facts (merged, not doubled)."""
    achievement = _achievement()
    shared = SharedParts([achievement])
    for count in (0, 3, 1):
        doc = _base()
        doc["credentialSubject"]["identifier"] = [_identity(n) for n in range(count)]
        doc["credentialSubject"]["achievement"] = achievement
        with_shared = to_quads_vetted(doc, shared)
        assert with_shared == to_quads_vetted(doc)
        assert with_shared is not None
        assert len(with_shared) == len(set(with_shared))
        assert _sign(doc, shared) == _sign(doc, None)


def test_an_undefined_term_in_a_shared_part_is_refused_every_time() -> None:
    achievement = _achievement()
    achievement["notInTheContext"] = "x"
    shared = SharedParts([achievement])
    for n in range(2):
        doc = _base()
        doc["id"] = f"https://uni.example/credentials/{n}"
        doc["credentialSubject"]["achievement"] = achievement
        refused = _sign(doc, shared)
        assert isinstance(refused, str)
        assert refused == _sign(doc, None)
        assert "notInTheContext" in refused


def test_an_unportable_value_in_a_shared_part_is_named_every_time() -> None:
    achievement = _achievement()
    achievement["creditsAvailable"] = 2**60
    shared = SharedParts([achievement])
    for _ in range(2):
        doc = _base()
        doc["credentialSubject"]["achievement"] = achievement
        findings = find_unportable_values(doc, shared=shared)
        assert [f.path for f in findings] == ["$.credentialSubject.achievement.creditsAvailable"]
    assert id(achievement) not in shared.portable


@pytest.mark.parametrize(
    ("limits", "code", "path"),
    [
        (Limits(max_depth=4), "too_deep", "$.credentialSubject.achievement.creator.type"),
        (Limits(max_nodes=30), "too_many_nodes", "$.issuer.id"),
    ],
)
def test_limits_crossed_with_shared_parts_give_the_same_error(
    limits: Limits, code: str, path: str
) -> None:
    """A part measured within the default limits is walked again where a smaller limit is
    crossed, so the error names the same place as without it."""
    achievement = _achievement()
    shared = SharedParts([achievement])
    doc = _base()
    doc["credentialSubject"]["achievement"] = achievement
    check_structure(doc, shared=shared)
    assert shared.structure
    for use in (shared, None):
        with pytest.raises(OpenBadgesError) as refused:
            check_structure(doc, limits, shared=use)
        assert (refused.value.code, refused.value.path) == (code, path)


def test_only_the_objects_themselves_are_shared() -> None:
    achievement = _achievement()
    shared = SharedParts([achievement])
    assert achievement in shared
    assert copy.deepcopy(achievement) not in shared
