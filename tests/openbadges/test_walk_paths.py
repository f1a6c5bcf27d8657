"""The paths the structure and endorsement walks write in their findings: ``$.a.b[1]``, a
member as ``.name`` and an index as ``[i]``, written only for what they report."""

from __future__ import annotations

from typing import Any

from openbadges.verification.endorsements import find_endorsements
from openbadges.verification.nodes import dotted_path
from openbadges.verification.structure import _typed_member_problems


def _credential() -> dict[str, Any]:
    return {
        "issuer": {"type": "Nope", "id": "https://example.edu/issuer"},
        "credentialSubject": {
            "achievement": {
                "type": ["Achievement"],
                "alignment": [{"type": "Alignment"}, {"type": ["Wrong", "Other"]}, "a string"],
                "endorsement": [{"type": ["EndorsementCredential"]}, "not an object"],
                "related": [[{"type": "Related", "endorsementJwt": ["a.b.c", 7]}]],
            },
            "result": [{"type": "Result"}, {"no": "type"}],
        },
        "endorsementJwt": "x.y.z",
        "proof": {"endorsement": {"type": "hidden in a proof"}},
    }


def test_a_trail_is_written_as_the_checks_write_paths() -> None:
    assert dotted_path("$", None) == "$"
    assert dotted_path("$", ((((None, "credentialSubject"), "result"), 1), "odd name")) == (
        "$.credentialSubject.result[1].odd name"
    )


def test_typed_member_problems_name_their_paths() -> None:
    assert sorted(_typed_member_problems(_credential())) == [
        "$.credentialSubject.achievement.alignment[1] must have type Alignment, but has Other,"
        " Wrong.",
        "$.credentialSubject.result[1] must have type Result, but has no type.",
        "$.issuer must have type Profile, but has Nope.",
    ]


def test_endorsements_are_found_with_their_paths() -> None:
    found = [(path, type(value).__name__) for path, value in find_endorsements(_credential())]
    assert found == [
        ("$.credentialSubject.achievement.endorsement[0]", "dict"),
        ("$.credentialSubject.achievement.related[0][0].endorsementJwt[0]", "str"),
        ("$.endorsementJwt", "str"),
    ]
