"""1EdTech revocation lists under both array names (issue 9, item 13).

Issuers publish the revoked credentials as ``revokedCredential`` (1EdTech's validator, Badgr)
or ``revokedCredentials``. Both are read; a list with neither cannot say anything, so it gives
``unknown`` — it used to be read as "nothing revoked", i.e. ``valid``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from openbadges.errors import StatusListError
from openbadges.status_list import is_revoked_1edtech
from openbadges.verify import verify

NOW = datetime(2026, 6, 1, tzinfo=UTC)
CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]

LIST_URL = "https://badges.example.edu/revocations"
ID = "urn:uuid:1b6c7a4e-3f0f-4b8e-9a52-1f1e7d0c9a11"


@pytest.mark.parametrize("name", ["revokedCredential", "revokedCredentials"])
def test_either_array_name_is_read(name: str) -> None:
    assert is_revoked_1edtech({name: [{"id": ID}]}, ID) is True
    assert is_revoked_1edtech({name: [{"id": ID, "revoked": False}]}, ID) is False
    assert is_revoked_1edtech({name: []}, ID) is False


def test_an_entry_in_either_array_revokes_when_both_are_present() -> None:
    both = {"revokedCredential": [], "revokedCredentials": [{"id": ID}]}
    assert is_revoked_1edtech(both, ID) is True
    assert is_revoked_1edtech({**both, "revokedCredentials": []}, ID) is False


def test_a_list_with_neither_array_is_refused() -> None:
    with pytest.raises(StatusListError) as caught:
        is_revoked_1edtech({"id": LIST_URL, "revoked": [{"id": ID}]}, ID)
    assert caught.value.code == "MALFORMED_VALUE_ERROR"


def test_a_malformed_plural_array_is_refused() -> None:
    with pytest.raises(StatusListError) as caught:
        is_revoked_1edtech({"revokedCredentials": {"id": ID}}, ID)
    assert caught.value.path == "$.revokedCredentials"


@pytest.fixture
def credential(signed: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    entry = {"id": LIST_URL, "type": "1EdTechRevocationList"}
    contexts = [*CONTEXTS, "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"]
    return signed(credentialStatus=entry, **{"@context": contexts})


@pytest.mark.parametrize(
    ("list_doc", "status"),
    [
        ({"revokedCredential": [{"id": ID}]}, "invalid"),
        ({"revokedCredentials": [{"id": ID}]}, "invalid"),
        ({"revokedCredentials": [{"id": "urn:uuid:someone-else"}]}, "valid"),
        ({"id": LIST_URL, "issuer": "did:web:badges.example.edu:issuers:42"}, "unknown"),
    ],
    ids=["singular", "plural", "plural-not-listed", "neither"],
)
def test_the_revocation_check_reads_the_three_shapes(
    issuer: Any, credential: dict[str, Any], list_doc: dict[str, Any], status: str
) -> None:
    issuer.documents[LIST_URL] = list_doc
    report = verify(credential, resolver=issuer.resolver(), now=NOW)
    revocation = report.check("revocation")
    assert revocation is not None
    assert revocation.status == status, revocation.detail
    assert report.verified is (status == "valid")
    if status == "unknown":
        assert "neither a revokedCredential nor a revokedCredentials" in revocation.detail
